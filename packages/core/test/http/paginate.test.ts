import { describe, expect, it } from "vitest";
import { paginate, parseRetryAfter } from "../../src/index.js";

describe("paginate", () => {
  it("walks every page lazily", async () => {
    const pages: Record<string, { items: number[]; nextPageToken?: string }> = {
      start: { items: [1, 2], nextPageToken: "b" },
      b: { items: [3], nextPageToken: "c" },
      c: { items: [4, 5] },
    };
    const fetched: string[] = [];
    const out: number[] = [];
    for await (const n of paginate(async (t) => {
      fetched.push(t ?? "start");
      return pages[t ?? "start"]!;
    })) {
      out.push(n);
      if (n === 3) expect(fetched).toEqual(["start", "b"]);
    }
    expect(out).toEqual([1, 2, 3, 4, 5]);
  });

  it("stops at maxPages and detects a repeated token", async () => {
    let calls = 0;
    const it1 = paginate(
      async () => {
        calls++;
        return { items: [calls], nextPageToken: `t${calls}` };
      },
      { maxPages: 3 },
    );
    const seen: number[] = [];
    for await (const x of it1) seen.push(x);
    expect(seen).toEqual([1, 2, 3]);
    const loop = paginate(async () => ({ items: [1], nextPageToken: "same" }));
    await expect(
      (async () => {
        for await (const _ of loop) {
          // drain
        }
      })(),
    ).rejects.toThrow(/twice/);
  });
});

describe("parseRetryAfter", () => {
  it("parses seconds, dates and junk", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:30 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("-3", now)).toBeUndefined();
  });
});
