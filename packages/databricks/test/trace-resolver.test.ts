import { DEFAULT_CONVENTIONS, type RequestEvent, trace } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { databricksTraceResolver } from "../src/index.js";
import { type FakeWorkspace, startWorkspace } from "./client-test-helpers.js";
import {
  apiFixture,
  FAKE_RUN_ID,
  FakeWorkspaceState,
  fakeWorkspaceHandlers,
  MISSING_RUN_ID,
  PAGED_RUN_ID,
} from "./fake-workspace.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const USED = "89abcdef0123456789abcdef0123456789abcdef";
const SECRET = "spark-conf-secret-9f8e7d6c5b4a";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

const lookup = (events: RequestEvent[] = []) => ({
  conventions: DEFAULT_CONVENTIONS,
  onRequest: (e: RequestEvent) => events.push(e),
});

/** A job run as Databricks returns it for a job with a git source, a job cluster and libraries. */
function richRun() {
  const run = apiFixture("runs-get-success.json");
  run.run_id = 777001;
  run.git_source = {
    git_url: "https://github.com/acme/churn",
    git_provider: "gitHub",
    git_branch: "main",
    git_snapshot: { used_commit: USED },
  };
  run.job_clusters = [
    {
      job_cluster_key: "train_cluster",
      new_cluster: {
        spark_version: "15.4.x-scala2.12",
        node_type_id: "Standard_DS3_v2",
        driver_node_type_id: "Standard_DS4_v2",
        autoscale: { min_workers: 1, max_workers: 4 },
        data_security_mode: "SINGLE_USER",
        policy_id: "ABC123",
        custom_tags: { team: "risk" },
        spark_conf: { "fs.azure.account.key.acct.dfs.core.windows.net": SECRET },
        spark_env_vars: { TOKEN: SECRET },
      },
    },
  ];
  run.tasks[0].spark_python_task.parameters = ["--alpha=0.5", `--git-sha=${SHA}`];
  run.tasks[0].libraries = [{ pypi: { package: "scikit-learn==1.5.2" } }, { whl: "dbfs:/libs/churn.whl" }];
  run.tasks[0].cluster_instance = { cluster_id: "0101-abc", spark_context_id: "1" };
  return run;
}

describe("databricksTraceResolver over the fake workspace", () => {
  it("reads a job run with its parameters, tasks and the commit from the git_sha job parameter", async () => {
    const state = new FakeWorkspaceState();
    state.scenario("success");
    ws = await startWorkspace(fakeWorkspaceHandlers(state));
    const r = databricksTraceResolver(ws.client);
    const events: RequestEvent[] = [];
    const run = await r.getJobRun?.(String(FAKE_RUN_ID), lookup(events));
    expect(run).toMatchObject({
      platform: "databricks",
      runId: String(FAKE_RUN_ID),
      jobId: "11223344",
      jobName: "train-churn-model",
      parameters: { git_sha: SHA },
      gitSha: { value: SHA, field: "job parameter git_sha" },
    });
    expect(run?.tasks.map((t) => t.taskKey)).toEqual(["train", "register"]);
    expect(run?.workspaceUrl).toBe(ws.client.host);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ service: "databricks", method: "GET" });
  });

  it("follows every page of a long run and says undefined for a run that does not exist", async () => {
    const state = new FakeWorkspaceState();
    ws = await startWorkspace(fakeWorkspaceHandlers(state));
    const r = databricksTraceResolver(ws.client);
    const events: RequestEvent[] = [];
    const paged = await r.getJobRun?.(String(PAGED_RUN_ID), lookup(events));
    expect(events).toHaveLength(2);
    expect(paged?.tasks.length).toBeGreaterThan(1);
    expect(await r.getJobRun?.(String(MISSING_RUN_ID), lookup())).toBeUndefined();
    expect(await r.getJobRun?.("0e65c3f1a2b34c5d6e7f80912a3b4c5d", lookup())).toBeUndefined();
  });

  it("reads the cluster spec, runtime, libraries and git source, never spark conf or env", async () => {
    ws = await startWorkspace([http.get("*/api/2.2/jobs/runs/get", () => HttpResponse.json(richRun()))]);
    const r = databricksTraceResolver(ws.client);
    const run = await r.getJobRun?.("777001", lookup());
    expect(run?.gitSha).toEqual({ value: USED, field: "git_source.git_snapshot.used_commit" });
    expect(run?.gitSource).toMatchObject({
      url: "https://github.com/acme/churn",
      branch: "main",
      commit: USED,
    });
    const train = run?.tasks[0];
    expect(train?.cluster).toEqual({
      kind: "job cluster",
      clusterId: "0101-abc",
      sparkVersion: "15.4.x-scala2.12",
      nodeType: "Standard_DS3_v2",
      driverNodeType: "Standard_DS4_v2",
      autoscale: { min: 1, max: 4 },
      policyId: "ABC123",
      dataSecurityMode: "SINGLE_USER",
      customTags: { team: "risk" },
    });
    expect(train?.parameters).toEqual(["--alpha=0.5", `--git-sha=${SHA}`]);
    expect(train?.libraries).toEqual(["pypi:scikit-learn==1.5.2", "whl:dbfs:/libs/churn.whl"]);
    expect(JSON.stringify(run)).not.toContain(SECRET);

    const report = await trace("777001", { resolvers: [r] });
    const l = report.lineages[0];
    expect(l?.infrastructure.training.nodeType?.value).toBe("Standard_DS3_v2");
    expect(l?.environment.training.runtimeVersion?.value).toBe("15.4.x-scala2.12");
    expect(l?.code.gitSha?.value).toBe(USED);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(report.requests).toMatchObject({ total: 1, bySystem: { databricks: 1 } });
  });

  it("reports a workspace that refuses the token as failed, without the token", async () => {
    ws = await startWorkspace([
      http.get("*/api/2.2/jobs/runs/get", () =>
        HttpResponse.json(apiFixture("errors/unauthenticated.json"), { status: 401 }),
      ),
    ]);
    const report = await trace("777001", { resolvers: [databricksTraceResolver(ws.client)] });
    expect(report.unreachable).toContainEqual(
      expect.objectContaining({
        system: "databricks",
        reason: "failed",
        error: expect.objectContaining({ status: 401 }),
      }),
    );
    expect(JSON.stringify(report)).not.toContain("dapi-PLANTED-SECRET");
  });
});
