import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createTraceContext, currentTraceContext, runWithTraceContext } from "../src/index.js";

describe("runWithTraceContext / currentTraceContext", () => {
  const a = createTraceContext({ model: { name: "a" } });
  const b = createTraceContext({ model: { name: "b" } });

  it("is undefined outside a run and set inside, across awaits", async () => {
    expect(currentTraceContext()).toBeUndefined();
    const seen = await runWithTraceContext(a, async () => {
      await sleep(1);
      return currentTraceContext();
    });
    expect(seen).toBe(a);
    expect(currentTraceContext()).toBeUndefined();
  });

  it("returns the function's value and rethrows its error", () => {
    expect(runWithTraceContext(a, () => 42)).toBe(42);
    expect(() =>
      runWithTraceContext(a, () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
  });

  it("keeps concurrent requests apart and lets nested runs shadow the outer one", async () => {
    const results = await Promise.all([
      runWithTraceContext(a, async () => {
        await sleep(5);
        return currentTraceContext()?.model?.name;
      }),
      runWithTraceContext(b, async () => {
        await sleep(1);
        const inner = runWithTraceContext(a, () => currentTraceContext()?.model?.name);
        return `${currentTraceContext()?.model?.name}/${inner}`;
      }),
    ]);
    expect(results).toEqual(["a", "b/a"]);
  });
});
