/**
 * Every error a registry call throws belongs to modeltrail's hierarchy, and the text a server sends is
 * redacted before it is cut into a message: an aborted signal gives an AbortError (not the raw
 * DOMException or Node's AbortError), and a token straddling the cut of an error body leaks nothing.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import {
  AbortError,
  ApiError,
  isModelTrailError,
  UnauthorizedError,
  ValidationError,
} from "@modeltrail/core";
import { startMswServer } from "@modeltrail/test-utils";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildLayer,
  type ImageSource,
  OciLayout,
  RegistryClient,
  staticCredentials,
  unpackImage,
} from "../src/index.js";

/** A Databricks personal access token: redaction recognises its shape wherever it appears. */
const TOKEN = `dapi${"0123456789abcdef".repeat(2)}`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "modeltrail-registry-errors-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Everything a caller can see of an error. */
function channels(err: unknown): string {
  const e = err as Error & { serviceMessage?: string };
  return [e.message, e.stack, JSON.stringify(err), inspect(err, { depth: 5 }), e.serviceMessage].join("\n");
}

function expectNoTokenPiece(err: unknown): void {
  const text = channels(err);
  // the head of the token (what a cut before redaction would keep) and its tail
  expect(text).not.toContain(TOKEN.slice(0, 10));
  expect(text).not.toContain(TOKEN.slice(-10));
}

describe("aborted registry calls throw AbortError", () => {
  function aborted(reason?: unknown): AbortSignal {
    const c = new AbortController();
    c.abort(reason);
    return c.signal;
  }

  it.each([
    ["no reason", undefined],
    ["an Error as the reason", new Error("shutting down")],
    ["a string as the reason", "user pressed ctrl-c"],
  ])("tags() with %s", async (_, reason) => {
    const client = new RegistryClient({ plainHttp: true, retry: { maxRetries: 0 } });
    try {
      const err = await client.tags("127.0.0.1:9/team/model", { signal: aborted(reason) }).catch((e) => e);
      expect(err).toBeInstanceOf(AbortError);
      expect(isModelTrailError(err)).toBe(true);
      expect((err as AbortError).code).toBe("ABORTED");
    } finally {
      await client.close();
    }
  });

  it("buildLayer, and no partial file is left", async () => {
    const src = join(root, "model");
    const out = join(root, "layers");
    await mkdir(src, { recursive: true });
    await mkdir(out, { recursive: true });
    await writeFile(join(src, "weights.bin"), Buffer.alloc(1024, 1));
    const err = await buildLayer(src, "model", out, {
      mtime: 0,
      compression: "gzip",
      signal: aborted(),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(await readdir(out)).toEqual([]);
  });

  it("unpackImage, and no partial directory is left", async () => {
    const source = {
      name: "oci:test",
      digest: `sha256:${"0".repeat(64)}`,
      manifestBytes: new Uint8Array(),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      manifest: {
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: {
          mediaType: "application/vnd.oci.image.config.v1+json",
          digest: `sha256:${"1".repeat(64)}`,
          size: 2,
        },
        layers: [
          {
            mediaType: "application/vnd.oci.image.layer.v1.tar",
            digest: `sha256:${"2".repeat(64)}`,
            size: 1024,
          },
        ],
      },
      configBytes: new Uint8Array(),
      config: {},
      openBlob: () => Promise.reject(new Error("openBlob must not be called once the signal has aborted")),
    } as unknown as ImageSource;
    const parent = join(root, "unpack");
    await mkdir(parent, { recursive: true });
    const err = await unpackImage(source, join(parent, "target"), { signal: aborted() }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(await readdir(parent)).toEqual([]);
  });
});

describe("error bodies are redacted before they are cut", () => {
  it("a token endpoint's 401 body with a token straddling the 300-character cut", async () => {
    // the token runs from character 290 to 326: a cut at 300 before redaction kept its first 10 characters
    const body = `${"x".repeat(289)} ${TOKEN} ${"y".repeat(100)}`;
    const realm = await startMswServer(http.get("*/token", () => new HttpResponse(body, { status: 401 })));
    const registry = await startMswServer(
      http.get(
        "*/v2/*",
        () =>
          new HttpResponse(null, {
            status: 401,
            headers: { "www-authenticate": `Bearer realm="${realm.url}/token",service="x"` },
          }),
      ),
    );
    const host = registry.url.replace("http://", "");
    const client = new RegistryClient({
      credentials: staticCredentials({ [host]: { kind: "basic", username: "u", password: "p-123456" } }),
      plainHttp: true,
      retry: { maxRetries: 0 },
    });
    try {
      const err = await client.tags(`${host}/team/model`).catch((e) => e);
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect((err as UnauthorizedError).serviceMessage).toContain("[REDACTED]");
      expectNoTokenPiece(err);
    } finally {
      await client.close();
      await realm.close();
      await registry.close();
    }
  });

  it("a registry error's detail with a token straddling the 200-character cut", async () => {
    // JSON.stringify(detail) is `{"note":"` + 180 x + space + token...: the token runs from character 190 to 226
    const detail = { note: `${"x".repeat(180)} ${TOKEN} ${"y".repeat(50)}` };
    const registry = await startMswServer(
      http.get("*/v2/", () => HttpResponse.json({})),
      http.get("*/v2/team/model/tags/list", () =>
        HttpResponse.json(
          { errors: [{ code: "NAME_UNKNOWN", message: "repository name not known", detail }] },
          { status: 404 },
        ),
      ),
    );
    const host = registry.url.replace("http://", "");
    const client = new RegistryClient({ plainHttp: true, retry: { maxRetries: 0 } });
    try {
      const err = await client.tags(`${host}/team/model`).catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).serviceMessage).toContain("[REDACTED]");
      expectNoTokenPiece(err);
    } finally {
      await client.close();
      await registry.close();
    }
  });
});

describe("file-system errors on the paths a caller gives", () => {
  it("a layout to create under a file is a ValidationError naming the path, not a raw ENOTDIR", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "x");
    const err = await OciLayout.open(join(file, "layout"), { create: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/^The OCI layout directory .*a-file.* \(ENOTDIR\)/);
    expect((err as Error).cause).toMatchObject({ code: "ENOTDIR" });
  });
});
