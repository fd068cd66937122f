import { describe, expect, it } from "vitest";
import { lineageDifferences } from "../pipeline/trace-verify.ts";

// What the demo's step 6 checks with --k8s: the Deployment's lineage names the same commit, job run
// and image as the prediction's log line's.
const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"a".repeat(64)}`;
const fromLogLine = { handle: "log line", gitSha: SHA, jobRunId: "1795788642450004", imageDigest: DIGEST };
const fromDeployment = { ...fromLogLine, handle: "deployment/default/churn-model" };

describe("lineageDifferences", () => {
  it("is empty when both name the same commit, job run and image", () => {
    expect(lineageDifferences(fromLogLine, fromDeployment)).toEqual([]);
  });

  it("names each id that differs, with both values and where each came from", () => {
    const other = {
      ...fromDeployment,
      jobRunId: "1795788642450001",
      imageDigest: `sha256:${"b".repeat(64)}`,
    };
    expect(lineageDifferences(fromLogLine, other)).toEqual([
      "job run id: 1795788642450004 from log line, 1795788642450001 from deployment/default/churn-model",
      `image digest: ${DIGEST} from log line, sha256:${"b".repeat(64)} from deployment/default/churn-model`,
    ]);
  });

  it("counts an id either trace lacks as a difference: both are meant to reach the whole lineage", () => {
    const { imageDigest: _, ...noImage } = fromDeployment;
    expect(lineageDifferences(fromLogLine, noImage)).toEqual([
      `image digest: ${DIGEST} from log line, none from deployment/default/churn-model`,
    ]);
    const { gitSha: __, ...noCommit } = fromLogLine;
    expect(lineageDifferences(noCommit, { ...fromDeployment, gitSha: undefined })).toEqual([
      "commit: none from log line, none from deployment/default/churn-model",
    ]);
  });
});
