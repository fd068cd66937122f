import { randomUUID } from "node:crypto";
import {
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
} from "@azure/storage-blob";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "@modeltrail/test-utils";
import { HttpResponse, http, type RequestHandler } from "msw";
import type { CloudStore } from "./cloud-stores.js";

interface FakeVersion {
  name: string;
  version: string;
  source: string;
  run_id?: string;
  status: "PENDING_REGISTRATION" | "READY" | "FAILED_REGISTRATION";
  storage_location: string;
  tags: Record<string, string>;
  description?: string;
  model_id?: string;
}

interface FakeModel {
  tags: Record<string, string>;
  aliases: Map<string, string>;
  versions: Map<string, FakeVersion>;
}

/** Where the fake UC keeps model files: Azurite (abfss:// locations) or moto (s3:// locations). */
export type UcBacking =
  | { kind: "azure"; store: CloudStore; container: string }
  | { kind: "s3"; store: CloudStore; bucket: string };

/** Behaviour a test can change. */
export interface FakeUcState {
  backing: UcBacking;
  /** Lifetime of temporary credentials, seconds. */
  ttlSeconds: number;
  credentialRequests: Array<{ name: string; version: string; operation: string }>;
}

const err = (status: number, error_code: string, message: string) =>
  HttpResponse.json({ error_code, message }, { status });

/**
 * MLflow's Unity Catalog registry API of a Databricks workspace as msw handlers, written from
 * databricks_uc_registry_service.proto: registered models, versions (PENDING_REGISTRATION with an
 * assigned storage location, finalize to READY once an MLmodel file is there), aliases, tags,
 * temporary credentials that are a real container SAS on Azurite (standing in for a user-delegation
 * SAS: same query-string shape) or AWS temporary credentials for moto. Search answers without
 * tags, and only takes `name = '...'` or `run_id = '...'`, as UC does.
 */
export function fakeUnityCatalog(
  azuriteUrl: string,
  initial: UcBacking,
): { handlers: RequestHandler[]; state: FakeUcState; models: Map<string, FakeModel> } {
  const models = new Map<string, FakeModel>();
  const state: FakeUcState = { backing: initial, ttlSeconds: 3600, credentialRequests: [] };
  let nextId = 1;
  // Storage locations are unique per fake: several test files share one bucket and one container, and a
  // location another file wrote to would add its files to this one's versions.
  const instance = randomUUID().slice(0, 8);
  const api = "*/api/2.0/mlflow/unity-catalog";
  const threeLevel = (name: unknown) => typeof name === "string" && /^[^.]+\.[^.]+\.[^.]+$/.test(name);
  const wire = (v: FakeVersion, withTags = true) => ({
    ...v,
    tags: withTags ? Object.entries(v.tags).map(([key, value]) => ({ key, value })) : [],
    aliases: withTags
      ? [...(models.get(v.name)?.aliases ?? [])]
          .filter(([, ver]) => ver === v.version)
          .map(([alias, version]) => ({ alias, version }))
      : [],
  });
  const version = (name: string | null, ver: string | null) =>
    models.get(name ?? "")?.versions.get(ver ?? "");
  const handlers: RequestHandler[] = [
    http.post(`${api}/registered-models/create`, async ({ request }) => {
      const body = (await request.json()) as { name: string; tags?: Array<{ key: string; value: string }> };
      if (!threeLevel(body.name))
        return err(400, "INVALID_PARAMETER_VALUE", "Model name must be catalog.schema.model");
      if (models.has(body.name))
        return err(400, "RESOURCE_ALREADY_EXISTS", `Registered model '${body.name}' already exists.`);
      models.set(body.name, {
        tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
        aliases: new Map(),
        versions: new Map(),
      });
      return HttpResponse.json({ registered_model: { name: body.name } });
    }),
    http.get(`${api}/registered-models/get`, ({ request }) => {
      const name = new URL(request.url).searchParams.get("name") ?? "";
      const m = models.get(name);
      if (!m) return err(404, "RESOURCE_DOES_NOT_EXIST", `Registered model '${name}' does not exist.`);
      return HttpResponse.json({
        registered_model: {
          name,
          tags: Object.entries(m.tags).map(([key, value]) => ({ key, value })),
          aliases: [...m.aliases].map(([alias, v]) => ({ alias, version: v })),
        },
      });
    }),
    http.post(`${api}/model-versions/create`, async ({ request }) => {
      const body = (await request.json()) as {
        name: string;
        source: string;
        run_id?: string;
        tags?: Array<{ key: string; value: string }>;
        model_id?: string;
      };
      const m = models.get(body.name);
      if (!m) return err(404, "RESOURCE_DOES_NOT_EXIST", `Registered model '${body.name}' does not exist.`);
      for (const t of body.tags ?? [])
        if (/[.,\-=/:]/.test(t.key)) return err(400, "INVALID_PARAMETER_VALUE", `Invalid tag key ${t.key}`);
      const v = String(m.versions.size + 1);
      const id = `${nextId++}`;
      const b = state.backing;
      const storage_location =
        b.kind === "azure"
          ? `abfss://${b.container}@${AZURITE_ACCOUNT}.dfs.core.windows.net/models/${instance}-${id}/versions/${v}`
          : `s3://${b.bucket}/uc/models/${instance}-${id}/versions/${v}`;
      const mv: FakeVersion = {
        name: body.name,
        version: v,
        source: body.source,
        ...(body.run_id ? { run_id: body.run_id } : {}),
        status: "PENDING_REGISTRATION",
        storage_location,
        tags: Object.fromEntries((body.tags ?? []).map((t) => [t.key, t.value])),
        ...(body.model_id ? { model_id: body.model_id } : {}),
      };
      m.versions.set(v, mv);
      return HttpResponse.json({ model_version: wire(mv) });
    }),
    http.post(`${api}/model-versions/generate-temporary-credentials`, async ({ request }) => {
      const body = (await request.json()) as { name: string; version: string; operation: string };
      const mv = version(body.name, body.version);
      if (!mv) return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      state.credentialRequests.push(body);
      const expires = Date.now() + state.ttlSeconds * 1000;
      const b = state.backing;
      if (mv.storage_location.startsWith("abfss://")) {
        const container = /^abfss:\/\/([^@]+)@/.exec(mv.storage_location)?.[1] ?? "";
        const sas = generateBlobSASQueryParameters(
          {
            containerName: container,
            permissions: ContainerSASPermissions.parse(
              body.operation.endsWith("READ_WRITE") ? "racwl" : "rl",
            ),
            startsOn: new Date(Date.now() - 60_000),
            expiresOn: new Date(expires),
            protocol: SASProtocol.HttpsAndHttp,
          },
          new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
        ).toString();
        return HttpResponse.json({
          credentials: {
            azure_user_delegation_sas: { sas_token: sas },
            expiration_time: expires,
            storage_mode: "CUSTOMER_HOSTED",
          },
        });
      }
      void b;
      return HttpResponse.json({
        credentials: {
          aws_temp_credentials: {
            access_key_id: "ASIATESTTEMPORARY01",
            secret_access_key: "uc-temp-secret-0123456789abcdef",
            session_token: "uc-session-token-0123456789abcdef",
          },
          expiration_time: expires,
          storage_mode: "CUSTOMER_HOSTED",
          encryption_details: { sse_encryption_details: { algorithm: "AWS_SSE_S3" } },
        },
      });
    }),
    http.post(`${api}/model-versions/finalize`, async ({ request }) => {
      const body = (await request.json()) as { name: string; version: string };
      const mv = version(body.name, body.version);
      if (!mv) return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      const prefix = mv.storage_location.replace(/^[a-z0-9]+:\/\/[^/]+\//, "");
      const files = await state.backing.store.list(state.backing.kind === "s3" ? prefix : prefix);
      mv.status = files.some((f) => f.key === `${prefix}/MLmodel`) ? "READY" : "FAILED_REGISTRATION";
      return HttpResponse.json({ model_version: wire(mv) });
    }),
    http.get(`${api}/model-versions/get`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const mv = version(q.get("name"), q.get("version"));
      if (!mv) return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      return HttpResponse.json({ model_version: wire(mv) });
    }),
    http.get(`${api}/model-versions/get-download-uri`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const mv = version(q.get("name"), q.get("version"));
      if (!mv) return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      return HttpResponse.json({ artifact_uri: mv.storage_location });
    }),
    http.delete(`${api}/model-versions/delete`, async ({ request }) => {
      const body = (await request.json()) as { name: string; version: string };
      models.get(body.name)?.versions.delete(body.version);
      return HttpResponse.json({});
    }),
    http.get(`${api}/model-versions/search`, ({ request }) => {
      const filter = new URL(request.url).searchParams.get("filter") ?? "";
      const byName = /^name\s*=\s*'([^']*)'$/.exec(filter)?.[1];
      const byRun = /^run_id\s*=\s*'([^']*)'$/.exec(filter)?.[1];
      if (filter !== "" && byName === undefined && byRun === undefined) {
        return err(400, "INVALID_PARAMETER_VALUE", "Unsupported filter: only name = '...' or run_id = '...'");
      }
      const all = [...models.values()].flatMap((m) => [...m.versions.values()]);
      const hits = all.filter(
        (v) => (byName === undefined || v.name === byName) && (byRun === undefined || v.run_id === byRun),
      );
      return HttpResponse.json({ model_versions: hits.map((v) => wire(v, false)) });
    }),
    http.post(`${api}/model-versions/set-tag`, async ({ request }) => {
      const body = (await request.json()) as { name: string; version: string; key: string; value: string };
      const mv = version(body.name, body.version);
      if (!mv) return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      mv.tags[body.key] = body.value;
      return HttpResponse.json({});
    }),
    http.delete(`${api}/model-versions/delete-tag`, async ({ request }) => {
      const body = (await request.json()) as { name: string; version: string; key: string };
      const mv = version(body.name, body.version);
      if (mv) delete mv.tags[body.key];
      return HttpResponse.json({});
    }),
    http.post(`${api}/registered-models/alias`, async ({ request }) => {
      const body = (await request.json()) as { name: string; alias: string; version: string };
      const m = models.get(body.name);
      if (!m?.versions.has(body.version))
        return err(404, "RESOURCE_DOES_NOT_EXIST", "Model version not found.");
      m.aliases.set(body.alias, body.version);
      return HttpResponse.json({});
    }),
    http.get(`${api}/registered-models/alias`, ({ request }) => {
      const q = new URL(request.url).searchParams;
      const m = models.get(q.get("name") ?? "");
      const v = m?.aliases.get(q.get("alias") ?? "");
      if (!m || v === undefined) return err(404, "RESOURCE_DOES_NOT_EXIST", "Alias not found.");
      return HttpResponse.json({ model_version: wire(m.versions.get(v) as FakeVersion) });
    }),
    http.delete(`${api}/registered-models/alias`, async ({ request }) => {
      const body = (await request.json()) as { name: string; alias: string };
      models.get(body.name)?.aliases.delete(body.alias);
      return HttpResponse.json({});
    }),
  ];
  void azuriteUrl;
  return { handlers, state, models };
}
