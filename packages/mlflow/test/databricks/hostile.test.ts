import { ValidationError } from "@modeltrail/core";
import { HttpClient } from "@modeltrail/core/internal";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { checkFlatListing } from "../../src/artifacts/listing-entry.js";
import { runArtifactResource } from "../../src/databricks/artifact-resources.js";
import { parseDatabricksArtifactUri } from "../../src/databricks/dbfs-artifact-uri.js";
import { parseUcStorageLocation } from "../../src/unity-catalog/uc-storage.js";

// The Databricks artifact repository reads the same kind of listings as the tracking server's:
// the same refusals apply (see artifacts-hostile.test.ts).

let server: MswServer | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

/** A run resource whose listing answers `pages` in turn (next_page_token links them). */
async function resourceListing(pages: Array<Array<Record<string, unknown>>>) {
  server = await startMswServer(
    http.get("*/api/2.0/mlflow/artifacts/list", ({ request }) => {
      const token = new URL(request.url).searchParams.get("page_token");
      const i = token === null ? 0 : Number(token);
      return HttpResponse.json({
        files: pages[i] ?? [],
        ...(i + 1 < pages.length ? { next_page_token: String(i + 1) } : {}),
      });
    }),
  );
  client = new HttpClient({ baseUrl: server.url, service: "databricks", retry: { maxRetries: 0 } });
  return runArtifactResource(client, "r1");
}

describe("Databricks artifact listings", () => {
  it.each([
    [
      "a name repeated on the next page",
      [[{ path: "m/a", file_size: 1 }], [{ path: "m/a", file_size: 1 }]],
      "listed twice",
    ],
    [
      "a file that is also a directory",
      [[{ path: "m/a", file_size: 1 }], [{ path: "m/a", is_dir: true }]],
      "as a file and as a directory",
    ],
    ["a grandchild", [[{ path: "m/a/b", file_size: 1 }]], "not a direct child"],
    ["a size of 1e18 bytes", [[{ path: "m/a", file_size: 1e18 }]], "file_size"],
    ["a negative size", [[{ path: "m/a", file_size: "-5" }]], "file_size"],
    ["an entry outside the directory", [[{ path: "other/a", file_size: 1 }]], "not inside"],
  ])("refuses %s", async (_what, pages, message) => {
    const resource = await resourceListing(pages);
    const err = await resource.listDirectory("m", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(message);
  });

  it("accepts a plain listing, sizes as numbers or decimal strings", async () => {
    const resource = await resourceListing([
      [
        { path: "m/a", file_size: 3 },
        { path: "m/d", is_dir: true },
      ],
      [{ path: "m/b", file_size: "12" }],
    ]);
    expect(await resource.listDirectory("m", {})).toEqual([
      { path: "m/a", isDir: false, fileSize: 3 },
      { path: "m/d", isDir: true, fileSize: undefined },
      { path: "m/b", isDir: false, fileSize: 12 },
    ]);
  });
});

describe("dbfs:/databricks/mlflow-tracking URIs are taken as written", () => {
  const base = "dbfs:/databricks/mlflow-tracking/1/r1/artifacts";
  it.each([
    `${base}/mod\tel`,
    `${base}/model\n`,
    ` ${base}/model`,
    `${base}//etc/passwd`,
    `${base}/./model`,
    `${base}/a%2Fb`,
    `${base}/model?x`,
  ])("refuses %j", (uri) => {
    expect(() => parseDatabricksArtifactUri(uri)).toThrow(ValidationError);
  });

  it("accepts one trailing slash and percent-escapes", () => {
    expect(parseDatabricksArtifactUri(`${base}/model/`)).toMatchObject({ kind: "run", path: "model" });
    expect(parseDatabricksArtifactUri(`${base}/a%20b`)).toMatchObject({ path: "a b" });
  });
});

describe("flat listings of object stores (Unity Catalog model versions)", () => {
  it.each([
    [
      "a key listed twice",
      [
        { path: "m/a", fileSize: 1 },
        { path: "m/a", fileSize: 1 },
      ],
      "listed twice",
    ],
    [
      "a key that is also the directory of another",
      [
        { path: "m", fileSize: 1 },
        { path: "m/a", fileSize: 1 },
      ],
      "as a file and as a directory",
    ],
    ["a size of 1e18 bytes", [{ path: "m/a", fileSize: 1e18 }], "file_size"],
    ["a size of twenty digits", [{ path: "m/a", fileSize: "99999999999999999999" }], "file_size"],
    ["an unsafe key", [{ path: "m/../../etc/passwd", fileSize: 1 }], "'..'"],
  ])("refuses %s", (_what, entries, message) => {
    expect(() => checkFlatListing(entries, "model version m/1")).toThrow(message);
  });

  it("accepts distinct keys with byte-count sizes", () => {
    expect(() =>
      checkFlatListing(
        [
          { path: "MLmodel", fileSize: 10 },
          { path: "data/model.pkl", fileSize: "2048" },
          { path: "data/sub/x", fileSize: 0 },
        ],
        "model version m/1",
      ),
    ).not.toThrow();
  });

  it.each(["s3://bkt/a//b", "s3://bkt/a/%2F/b", "s3://bkt/./a", "s3://bkt/a%zz"])(
    "refuses the storage location %j instead of repairing it",
    (location) => {
      expect(() => parseUcStorageLocation(location)).toThrow(ValidationError);
    },
  );
});
