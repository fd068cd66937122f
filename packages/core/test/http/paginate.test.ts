import { describe, expect, it } from "vitest";
import { AbortError, isModelTrailError, ValidationError } from "../../src/index.js";
import { paginate, parseRetryAfter, registerSecret } from "../../src/internal.js";

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

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

describe("paginate errors belong to the hierarchy", () => {
  it("a repeated page token is a ValidationError that names the listing", async () => {
    const err = await drain(
      paginate(async (t) => ({ items: [t ?? "first"], nextPageToken: "same" }), {
        subject: "mlflow model versions",
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(isModelTrailError(err, "VALIDATION_ERROR")).toBe(true);
    expect((err as Error).message).toMatch(/page token "same" twice in the pages of mlflow model versions/);
    expect((err as Error).message).toMatch(/stopped after 2 pages/);
  });

  it("a repeated token is quoted redacted first, then cut", async () => {
    const secret = "pagesecret-0123456789abcdef0123456789";
    registerSecret(secret);
    const token = `${"x".repeat(30)}${secret}${"y".repeat(100)}`;
    const err = (await drain(paginate(async () => ({ items: [1], nextPageToken: token }))).catch(
      (e: unknown) => e,
    )) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    for (let i = 0; i + 6 <= secret.length; i++) expect(err.message).not.toContain(secret.slice(i, i + 6));
    expect(err.message).toContain(`(${token.length} characters)`);
  });

  it("a next page token that is not a string is a ValidationError", async () => {
    const err = await drain(
      paginate(async () => ({ items: [1], nextPageToken: 42 as unknown as string })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.message).toMatch(/must be a string, got number/);
  });

  it("an aborted signal stops between pages with an AbortError carrying the reason", async () => {
    const controller = new AbortController();
    let pages = 0;
    const err = await drain(
      paginate(
        async (t) => {
          pages++;
          if (pages === 2) controller.abort(new Error("user pressed ctrl-c"));
          return { items: [pages], nextPageToken: `${t ?? ""}n` };
        },
        { signal: controller.signal, subject: "jobs" },
      ),
    ).catch((e: unknown) => e);
    expect(pages).toBe(2);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).code).toBe("ABORTED");
    expect((err as AbortError).message).toMatch(/pages of jobs was aborted/);
    expect(((err as AbortError).cause as Error).message).toBe("user pressed ctrl-c");
    const already = AbortSignal.abort();
    const err2 = await drain(paginate(async () => ({ items: [1] }), { signal: already })).catch(
      (e: unknown) => e,
    );
    expect(err2).toBeInstanceOf(AbortError);
    expect(((err2 as AbortError).cause as DOMException).name).toBe("AbortError");
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
