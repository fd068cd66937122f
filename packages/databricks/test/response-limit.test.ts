import { ResponseTooLargeError } from "@modeltrail/core";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeWorkspace, startWorkspace } from "./client-test-helpers.js";

let ws: FakeWorkspace | undefined;
afterEach(async () => {
  await ws?.close();
  ws = undefined;
});

describe("DatabricksClient maxResponseBytes", () => {
  it("bounds every JSON answer read into memory", async () => {
    ws = await startWorkspace(
      [
        http.get("*/api/2.2/jobs/get", () =>
          HttpResponse.json({ job_id: 1, settings: { name: "x".repeat(5000) } }),
        ),
      ],
      { maxResponseBytes: 1024 },
    );
    const err = await ws.client.jobs.get(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect((err as ResponseTooLargeError).limitBytes).toBe(1024);
  });
});
