/**
 * The rules of Databricks unified auth that decide which settings count, as the Databricks SDKs
 * apply them: when the config file is read, several methods at once, credentials and hosts from
 * different places, Azure principals outside Azure, basic auth, account hosts, `default_profile`,
 * and values of the file that the SDKs would read differently.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConfigError, type DatabricksAuthOptions, resolveDatabricksAuth } from "@modeltrail/core";
import { type MswServer, startMswServer } from "@modeltrail/test-utils";
import fc from "fast-check";
import { HttpResponse, http } from "msw";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { databricksOidcHandlers } from "./fixtures.js";

// Distinctive values no generic token pattern matches: only the resolver's own care keeps them out.
const FILE_TOKEN = "Planted7FileTokenQa";
const ENV_TOKEN = "Planted7EnvTokenWb";
const SECRET = "Planted7ClientSecretXc";
const ARM_SECRET = "Planted7ArmSecretYd";
const PASSWORD = "Planted7PasswordZe";
const ALL = [FILE_TOKEN, ENV_TOKEN, SECRET, ARM_SECRET, PASSWORD];

let server: MswServer;
let home: string;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startMswServer(...databricksOidcHandlers().handlers);
});
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "modeltrail-dbrules-"));
});
afterEach(async () => {
  server.resetHandlers();
  for (const close of closers.splice(0)) await close();
  await rm(home, { recursive: true, force: true });
});
afterAll(async () => {
  await server.close();
});

async function cfg(text: string): Promise<string> {
  const path = join(home, ".databrickscfg");
  await writeFile(path, text);
  return path;
}

async function resolve(env: Record<string, string>, options: DatabricksAuthOptions = {}) {
  const auth = await resolveDatabricksAuth({ env, homeDir: home, ...options });
  closers.push(async () => auth.provider.close?.());
  return auth;
}

async function refused(
  env: Record<string, string>,
  options: DatabricksAuthOptions = {},
): Promise<ConfigError> {
  const err = await resolveDatabricksAuth({ env, homeDir: home, ...options }).then(
    () => new Error("expected a ConfigError"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  const everything = [
    String(err),
    inspect(err, { depth: 5 }),
    JSON.stringify(err),
    (err as Error).stack,
  ].join("\n");
  for (const s of ALL) expect(everything).not.toContain(s);
  return err as ConfigError;
}

const OTHER_WORKSPACE = `[DEFAULT]\nhost = https://other.cloud.databricks.com\ntoken = ${FILE_TOKEN}\n`;

describe("the config file is not read once the environment names a host or a credential", () => {
  it("never sends the DEFAULT profile's token to the environment's host", async () => {
    const path = await cfg(OTHER_WORKSPACE);
    const err = await refused({ DATABRICKS_HOST: "https://mine.cloud.databricks.com" });
    expect(err.message).toContain(
      `config file ${path} not read because DATABRICKS_HOST is set and no profile is named`,
    );
  });

  it("never sends the environment's token to the DEFAULT profile's host", async () => {
    await cfg(OTHER_WORKSPACE);
    const err = await refused({ DATABRICKS_TOKEN: ENV_TOKEN });
    expect(err.message).toContain("Databricks workspace host is not configured for auth type pat");
    expect(err.message).toContain("not read because DATABRICKS_TOKEN is set");
  });

  it("does not let the file's token win over M2M credentials from the environment", async () => {
    await cfg(OTHER_WORKSPACE);
    const auth = await resolve({
      DATABRICKS_HOST: server.url,
      DATABRICKS_CLIENT_ID: "env-client",
      DATABRICKS_CLIENT_SECRET: SECRET,
    });
    expect(auth).toMatchObject({ authType: "oauth-m2m", principal: "env-client", host: server.url });
    expect(auth.profile).toBeUndefined();
    expect(auth.configFile).toBeUndefined();
  });

  it("counts every credential setting and DATABRICKS_AZURE_RESOURCE_ID, but not DATABRICKS_CONFIG_FILE", async () => {
    const path = await cfg(OTHER_WORKSPACE);
    for (const [name, value] of [
      ["ARM_TENANT_ID", "tenant-1"],
      ["DATABRICKS_USERNAME", "someone"],
      [
        "DATABRICKS_AZURE_RESOURCE_ID",
        "/subscriptions/s/resourceGroups/g/providers/Microsoft.Databricks/workspaces/w",
      ],
      ["GOOGLE_CREDENTIALS", "{}"],
      ["DATABRICKS_OIDC_TOKEN_FILE", "/var/run/token"],
    ]) {
      const err = await refused({ [name!]: value! });
      expect(err.message).toContain(`not read because ${name} is set`);
    }
    const fromFile = await resolve({ DATABRICKS_CONFIG_FILE: path, DATABRICKS_ACCOUNT_ID: "acc-1" });
    expect(fromFile).toMatchObject({ host: "https://other.cloud.databricks.com", authType: "pat" });
  });

  it("reads the named profile even when the environment sets credentials, the environment winning", async () => {
    await cfg(`[dev]\nhost = ${server.url}\ntoken = ${FILE_TOKEN}\n`);
    const auth = await resolve({ DATABRICKS_CONFIG_PROFILE: "dev", DATABRICKS_TOKEN: ENV_TOKEN });
    expect(auth.host).toBe(server.url);
    expect(await auth.provider.getAuthHeaders()).toEqual({ authorization: `Bearer ${ENV_TOKEN}` });
    expect(auth.sources).toMatchObject({
      host: `host in profile dev of ${join(home, ".databrickscfg")}`,
      token: "DATABRICKS_TOKEN",
    });
  });
});

describe("a named profile's credentials never go to another workspace", () => {
  it("refuses DATABRICKS_HOST naming another workspace than the profile that supplies the token", async () => {
    const path = await cfg(`[prod]\nhost = https://prod.cloud.databricks.com\ntoken = ${FILE_TOKEN}\n`);
    const err = await refused({
      DATABRICKS_CONFIG_PROFILE: "prod",
      DATABRICKS_HOST: "https://dev.cloud.databricks.com",
    });
    expect(err.message).toContain(
      `DATABRICKS_HOST (https://dev.cloud.databricks.com) and host in profile prod of ${path} (https://prod.cloud.databricks.com) name different workspaces, and the profile's token would be sent to https://dev.cloud.databricks.com`,
    );
    expect(err.hint).toContain("Unset DATABRICKS_HOST");
  });

  it("accepts the same workspace written differently, and a profile without a host", async () => {
    await cfg(
      `[prod]\nhost = prod.cloud.databricks.com/\ntoken = ${FILE_TOKEN}\n[tok]\ntoken = ${FILE_TOKEN}\n`,
    );
    const same = await resolve(
      { DATABRICKS_HOST: "https://PROD.cloud.databricks.com:443" },
      { profile: "prod" },
    );
    expect(same.host).toBe("https://prod.cloud.databricks.com");
    const hostless = await resolve(
      { DATABRICKS_HOST: "https://dev.cloud.databricks.com" },
      { profile: "tok" },
    );
    expect(hostless.host).toBe("https://dev.cloud.databricks.com");
  });
});

describe("several auth methods configured at once are refused unless an auth type is set", () => {
  const host = "https://adb-1.2.azuredatabricks.net";
  const cases: Array<[string, Record<string, string>, string[]]> = [
    [
      "PAT and M2M",
      { DATABRICKS_TOKEN: ENV_TOKEN, DATABRICKS_CLIENT_ID: "c", DATABRICKS_CLIENT_SECRET: SECRET },
      [
        "pat (personal access token) from DATABRICKS_TOKEN",
        "oauth-m2m (Databricks service principal) from DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET",
      ],
    ],
    [
      "PAT and ARM_*",
      { DATABRICKS_TOKEN: ENV_TOKEN, ARM_CLIENT_ID: "a", ARM_CLIENT_SECRET: ARM_SECRET, ARM_TENANT_ID: "t" },
      [
        "pat (personal access token) from DATABRICKS_TOKEN",
        "azure (Azure service principal or managed identity) from ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID",
      ],
    ],
    [
      "M2M and ARM_*",
      {
        DATABRICKS_CLIENT_ID: "c",
        DATABRICKS_CLIENT_SECRET: SECRET,
        ARM_CLIENT_ID: "a",
        ARM_CLIENT_SECRET: ARM_SECRET,
      },
      ["oauth-m2m (Databricks service principal)", "azure (Azure service principal or managed identity)"],
    ],
    [
      "PAT and basic",
      { DATABRICKS_TOKEN: ENV_TOKEN, DATABRICKS_USERNAME: "u", DATABRICKS_PASSWORD: PASSWORD },
      [
        "pat (personal access token)",
        "basic (username and password) from DATABRICKS_USERNAME, DATABRICKS_PASSWORD",
      ],
    ],
    [
      "PAT and only a tenant id",
      { DATABRICKS_TOKEN: ENV_TOKEN, ARM_TENANT_ID: "t" },
      [
        "pat (personal access token)",
        "azure (Azure service principal or managed identity) from ARM_TENANT_ID",
      ],
    ],
    [
      "PAT and Google credentials",
      { DATABRICKS_TOKEN: ENV_TOKEN, GOOGLE_CREDENTIALS: "{}" },
      ["pat (personal access token)", "google (Google service account) from GOOGLE_CREDENTIALS"],
    ],
  ];
  for (const [name, env, expected] of cases) {
    it(`refuses ${name} in the environment, naming both and DATABRICKS_AUTH_TYPE`, async () => {
      const err = await refused({ DATABRICKS_HOST: host, ...env });
      expect(err.message).toContain("Several Databricks auth methods are configured at once");
      for (const e of expected) expect(err.message).toContain(e);
      expect(err.hint).toContain("Set DATABRICKS_AUTH_TYPE");
      expect(err.sources).toContain("DATABRICKS_AUTH_TYPE");
    });
  }

  it("refuses them in one profile, naming the file keys and auth_type", async () => {
    const path = await cfg(
      `[DEFAULT]\nhost = ${host}\ntoken = ${FILE_TOKEN}\nazure_client_id = a\nazure_client_secret = ${ARM_SECRET}\n`,
    );
    const err = await refused({});
    expect(err.message).toContain(`pat (personal access token) from token in profile DEFAULT of ${path}`);
    expect(err.message).toContain(
      `from azure_client_id in profile DEFAULT of ${path}, azure_client_secret in profile DEFAULT of ${path}`,
    );
    expect(err.hint).toContain("Set DATABRICKS_AUTH_TYPE (or auth_type in profile DEFAULT)");
  });

  it("refuses them across the environment and a named profile", async () => {
    await cfg(`[p]\nhost = ${host}\nclient_id = c\nclient_secret = ${SECRET}\n`);
    const err = await refused({ DATABRICKS_CONFIG_PROFILE: "p", DATABRICKS_TOKEN: ENV_TOKEN });
    expect(err.message).toContain("pat (personal access token) from DATABRICKS_TOKEN; and oauth-m2m");
  });

  it("accepts them with an auth type, from the environment or the profile", async () => {
    await cfg(
      `[p]\nhost = ${host}\ntoken = ${FILE_TOKEN}\nclient_id = c\nclient_secret = ${SECRET}\nauth_type = pat\n`,
    );
    expect((await resolve({ DATABRICKS_CONFIG_PROFILE: "p" })).authType).toBe("pat");
    const m2m = await resolve({ DATABRICKS_CONFIG_PROFILE: "p", DATABRICKS_AUTH_TYPE: "oauth-m2m" });
    expect(m2m).toMatchObject({ authType: "oauth-m2m", principal: "c" });
  });
});

describe("methods modeltrail does not implement", () => {
  it("says so when they are the only ones configured", async () => {
    const err = await refused({
      DATABRICKS_HOST: "https://x.gcp.databricks.com",
      DATABRICKS_GOOGLE_SERVICE_ACCOUNT: "sa@p.iam.gserviceaccount.com",
    });
    expect(err.message).toContain(
      "Databricks auth is configured for google (Google service account) (from DATABRICKS_GOOGLE_SERVICE_ACCOUNT), which modeltrail does not support",
    );
    expect(err.hint).toContain("pat, basic, oauth-m2m, azure-client-secret");
  });

  it("names the login method of a profile written by `databricks auth login`", async () => {
    await cfg("[DEFAULT]\nhost = https://x.cloud.databricks.com\nauth_type = databricks-cli\n");
    const err = await refused({});
    expect(err.message).toContain(
      `"databricks-cli" (from auth_type in profile DEFAULT of ${join(home, ".databrickscfg")}) is the Databricks CLI's login`,
    );
  });
});

describe("an Azure service principal outside Azure", () => {
  const arm = { ARM_CLIENT_ID: "arm-client", ARM_CLIENT_SECRET: ARM_SECRET, ARM_TENANT_ID: "tenant-1" };

  it("is refused before any token request", async () => {
    for (const host of ["https://dbc-1.cloud.databricks.com", "https://1.2.gcp.databricks.com", server.url]) {
      const err = await refused({ DATABRICKS_HOST: host, ...arm }, { azureAuthorityHost: server.url });
      expect(err.message).toContain(
        `The Azure service principal (ARM_CLIENT_ID) cannot sign in to ${host}: it is not an Azure Databricks host`,
      );
      expect(err.hint).toContain("DATABRICKS_CLIENT_ID");
    }
    expect(server.requests).toEqual([]);
  });

  it("is accepted for another host name with DATABRICKS_CLOUD=azure or a workspace resource id", async () => {
    const viaCloud = await resolve({ DATABRICKS_HOST: server.url, DATABRICKS_CLOUD: "Azure", ...arm });
    expect(viaCloud).toMatchObject({
      authType: "azure-client-secret",
      cloud: "azure",
      principal: "arm-client",
    });
    const viaResource = await resolve({
      DATABRICKS_HOST: server.url,
      DATABRICKS_AZURE_RESOURCE_ID:
        "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws",
      ...arm,
    });
    expect(viaResource.cloud).toBe("azure");
    expect(server.requests).toEqual([]);
    const bad = await refused({ DATABRICKS_HOST: server.url, DATABRICKS_CLOUD: "mars", ...arm });
    expect(bad.message).toContain('The cloud "mars" (from DATABRICKS_CLOUD) is not aws, azure or gcp');
  });

  it("refuses a malformed tenant id or resource id at once", async () => {
    const host = "https://adb-1.2.azuredatabricks.net";
    const tenant = await refused({ DATABRICKS_HOST: host, ...arm, ARM_TENANT_ID: "../../evil" });
    expect(tenant.message).toContain(
      'The Azure tenant id "../../evil" (from ARM_TENANT_ID) is not a tenant GUID',
    );
    const resource = await refused({
      DATABRICKS_HOST: host,
      ...arm,
      DATABRICKS_AZURE_RESOURCE_ID: "/subscriptions/x/../y",
    });
    expect(resource.message).toContain("(from DATABRICKS_AZURE_RESOURCE_ID) is not /subscriptions/");
  });
});

describe("basic auth", () => {
  it("sends DATABRICKS_USERNAME / DATABRICKS_PASSWORD as Basic credentials", async () => {
    const auth = await resolve({
      DATABRICKS_HOST: "https://dbc-1.cloud.databricks.com",
      DATABRICKS_USERNAME: "admin@example.com",
      DATABRICKS_PASSWORD: PASSWORD,
    });
    expect(auth).toMatchObject({ authType: "basic", principal: "admin@example.com", cloud: "aws" });
    expect(await auth.provider.getAuthHeaders()).toEqual({
      authorization: `Basic ${Buffer.from(`admin@example.com:${PASSWORD}`).toString("base64")}`,
    });
  });

  it("reads username and password from a profile, and names what is missing", async () => {
    await cfg(
      `[DEFAULT]\nhost = dbc-1.cloud.databricks.com\nusername = u\npassword = ${PASSWORD}\n[half]\nusername = u\n`,
    );
    expect((await resolve({})).authType).toBe("basic");
    const err = await refused({}, { profile: "half" });
    expect(err.message).toContain("basic: DATABRICKS_PASSWORD (or password in profile half) not set");
  });
});

describe("account-level configuration", () => {
  it("needs DATABRICKS_ACCOUNT_ID with an accounts host", async () => {
    const err = await refused({
      DATABRICKS_HOST: "https://accounts.cloud.databricks.com",
      DATABRICKS_TOKEN: ENV_TOKEN,
    });
    expect(err.message).toContain(
      "https://accounts.cloud.databricks.com is an account console host, which needs the account id: DATABRICKS_ACCOUNT_ID is not set",
    );
    const ok = await resolve({
      DATABRICKS_HOST: "accounts.azuredatabricks.net",
      DATABRICKS_TOKEN: ENV_TOKEN,
      DATABRICKS_ACCOUNT_ID: "acc-1",
    });
    expect(ok).toMatchObject({ hostType: "accounts", accountId: "acc-1", cloud: "azure" });
    const workspace = await resolve({
      DATABRICKS_HOST: "https://dbc-1.cloud.databricks.com",
      DATABRICKS_TOKEN: ENV_TOKEN,
    });
    expect(workspace).toMatchObject({ hostType: "workspace", cloud: "aws" });
    expect(workspace.accountId).toBeUndefined();
  });

  it("runs OAuth M2M against the account's endpoints on an accounts host", async () => {
    server.use(
      http.get("*/oidc/accounts/:account/.well-known/oauth-authorization-server", ({ params }) =>
        HttpResponse.json({
          token_endpoint: `${server.url}/oidc/accounts/${String(params.account)}/v1/token`,
        }),
      ),
      http.post("*/oidc/accounts/:account/v1/token", ({ params }) =>
        HttpResponse.json({ access_token: `account-token-${String(params.account)}`, expires_in: 3600 }),
      ),
    );
    const dispatcher = (await import("@modeltrail/test-utils")).loopbackDispatcher(server.url);
    closers.push(() => dispatcher.close());
    const auth = await resolve(
      {
        DATABRICKS_HOST: "https://accounts.cloud.databricks.com",
        DATABRICKS_ACCOUNT_ID: "acc-42",
        DATABRICKS_CLIENT_ID: "c",
        DATABRICKS_CLIENT_SECRET: SECRET,
      },
      { dispatcher },
    );
    expect(await auth.provider.getAuthHeaders()).toEqual({ authorization: "Bearer account-token-acc-42" });
    expect(server.requests.map((r) => `${r.headers.host} ${r.method} ${r.path}`)).toEqual([
      "accounts.cloud.databricks.com GET /oidc/accounts/acc-42/.well-known/oauth-authorization-server",
      `127.0.0.1:${new URL(server.url).port} POST /oidc/accounts/acc-42/v1/token`,
    ]);
  });
});

describe("[__settings__] default_profile", () => {
  const file = `[__settings__]\ndefault_profile = dev\n[DEFAULT]\nhost = https://default.cloud.databricks.com\ntoken = ${FILE_TOKEN}\n[dev]\nhost = https://dev.cloud.databricks.com\ntoken = ${FILE_TOKEN}\n`;

  it("picks the profile when none is named, and a named one wins", async () => {
    await cfg(file);
    expect(await resolve({})).toMatchObject({ host: "https://dev.cloud.databricks.com", profile: "dev" });
    expect(await resolve({ DATABRICKS_CONFIG_PROFILE: "DEFAULT" })).toMatchObject({
      host: "https://default.cloud.databricks.com",
    });
  });

  it("is an error when it names a missing profile or the settings section", async () => {
    await cfg(file.replace("default_profile = dev", "default_profile = gone"));
    const err = await refused({});
    expect(err.message).toContain(
      `Databricks profile gone (from default_profile in [__settings__] of ${join(home, ".databrickscfg")}) not found`,
    );
    expect(err.message).toContain("(profiles: DEFAULT, dev)");
    await cfg(file.replace("default_profile = dev", "default_profile = __settings__"));
    expect((await refused({})).message).toContain("is the reserved section of file-wide settings");
    expect((await refused({ DATABRICKS_CONFIG_PROFILE: "__settings__" })).message).toContain("not a profile");
  });
});

describe("an empty profile is found, not missing", () => {
  it("says the named profile has no settings", async () => {
    const path = await cfg("[empty]\n[DEFAULT]\nhost = https://x.cloud.databricks.com\n");
    const err = await refused({ DATABRICKS_CONFIG_PROFILE: "empty" });
    expect(err.message).not.toContain("not found");
    expect(err.message).toContain(`profile empty in ${path} has no settings`);
    const withEnv = await resolve({
      DATABRICKS_CONFIG_PROFILE: "empty",
      DATABRICKS_HOST: "https://y.cloud.databricks.com",
      DATABRICKS_TOKEN: ENV_TOKEN,
    });
    expect(withEnv).toMatchObject({ host: "https://y.cloud.databricks.com", profile: "empty" });
  });
});

describe("file values the SDKs would read differently", () => {
  it("refuses an inline comment on a value it uses, naming file, profile, key and line", async () => {
    const path = await cfg(
      "[DEFAULT]\n# prod\nhost = https://x.cloud.databricks.com # prod workspace\ntoken = t1\n",
    );
    const err = await refused({});
    expect(err.message).toContain(
      `host in profile DEFAULT of ${path} (line 3) has a " #" or " ;" in its value, which looks like an inline comment`,
    );
    expect(err.hint).toContain("quote the whole value");
  });

  it("never echoes a secret that looks like it carries a comment", async () => {
    await cfg(`[DEFAULT]\nhost = https://x.cloud.databricks.com\ntoken = ${FILE_TOKEN} ; ${FILE_TOKEN}\n`);
    expect((await refused({})).message).toContain("token in profile DEFAULT");
  });

  it("takes a quoted value literally, # and ; included", async () => {
    await cfg(
      `[DEFAULT]\nhost = https://x.cloud.databricks.com\npassword = "${PASSWORD} #;x"\nusername = u\n`,
    );
    const auth = await resolve({});
    expect(await auth.provider.getAuthHeaders()).toEqual({
      authorization: `Basic ${Buffer.from(`u:${PASSWORD} #;x`).toString("base64")}`,
    });
  });

  it("ignores comment-like text in keys it does not use", async () => {
    await cfg(
      `[DEFAULT]\nhost = https://x.cloud.databricks.com\ntoken = t2\ncluster_id = 0101-abc # dev cluster\n`,
    );
    expect((await resolve({})).authType).toBe("pat");
  });

  it("refuses a used value that spans lines, without echoing it", async () => {
    const path = await cfg(`[DEFAULT]\nhost = https://x.cloud.databricks.com\n  token = ${FILE_TOKEN}\n`);
    const err = await refused({});
    expect(err.message).toContain(`host in profile DEFAULT of ${path} (line 2) spans 2 lines`);
    expect(err.hint).toContain("un-indent");
  });
});

describe("resolution invariants (property)", () => {
  const HOSTS = [
    "https://a.cloud.databricks.com",
    "https://b.cloud.databricks.com",
    "https://adb-1.2.azuredatabricks.net",
  ];
  const envSetting = fc.record(
    {
      DATABRICKS_HOST: fc.constantFrom(...HOSTS),
      DATABRICKS_TOKEN: fc.constant(ENV_TOKEN),
      DATABRICKS_CLIENT_ID: fc.constant("env-client"),
      DATABRICKS_CLIENT_SECRET: fc.constant(SECRET),
      ARM_CLIENT_ID: fc.constant("arm-client"),
      ARM_CLIENT_SECRET: fc.constant(ARM_SECRET),
      DATABRICKS_CONFIG_PROFILE: fc.constantFrom("DEFAULT", "p"),
      DATABRICKS_AUTH_TYPE: fc.constantFrom("pat", "oauth-m2m", "azure-client-secret"),
    },
    { requiredKeys: [] },
  );
  const profile = fc.record(
    {
      host: fc.constantFrom(...HOSTS),
      token: fc.constant(FILE_TOKEN),
      client_id: fc.constant("file-client"),
      client_secret: fc.constant(SECRET),
    },
    { requiredKeys: [] },
  );
  const ini = (name: string, p: Record<string, string>) =>
    `[${name}]\n${Object.entries(p)
      .map(([k, v]) => `${k} = ${v}`)
      .join("\n")}\n`;

  it("never uses the file when the environment names a host or credential and no profile, never sends a profile's credential to another profile's host, never picks among several methods", async () => {
    await fc.assert(
      fc.asyncProperty(envSetting, profile, profile, async (env, def, p) => {
        await cfg(ini("DEFAULT", def) + ini("p", p));
        const named = env.DATABRICKS_CONFIG_PROFILE;
        const envCredential = Object.keys(env).some(
          (k) => k !== "DATABRICKS_CONFIG_PROFILE" && k !== "DATABRICKS_AUTH_TYPE",
        );
        let auth: Awaited<ReturnType<typeof resolveDatabricksAuth>> | undefined;
        try {
          auth = await resolveDatabricksAuth({ env, homeDir: home });
          await auth.provider.close?.();
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          return;
        }
        const fromFile = Object.values(auth.sources).filter((s) => s.includes(" in profile "));
        if (!named && envCredential) expect(fromFile).toEqual([]);
        const used = named ?? "DEFAULT";
        const section = used === "p" ? p : def;
        const needs: Record<string, string[]> = {
          pat: ["token"],
          basic: ["username", "password"],
          "oauth-m2m": ["clientId", "clientSecret"],
          "azure-client-secret": ["azureClientId", "azureClientSecret"],
        };
        const credentialFromFile = needs[auth.authType]!.some((k) =>
          auth!.sources[k]?.includes(" in profile "),
        );
        if (credentialFromFile && section.host) expect(auth.host).toBe(new URL(section.host).origin);
        const families = new Set(
          Object.keys(auth.sources)
            .filter((k) =>
              ["token", "clientId", "clientSecret", "azureClientId", "azureClientSecret"].includes(k),
            )
            .map((k) => (k === "token" ? "pat" : k.startsWith("azure") ? "azure" : "oauth")),
        );
        if (families.size > 1) expect(auth.sources.authType).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
