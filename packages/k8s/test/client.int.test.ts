import { ConflictError, NotFoundError } from "@modeltrail/core";
import { describe, expect, inject, it } from "vitest";
import { ApplyConflictError, KubeClient, type WatchEvent } from "../src/index.js";
import { kubectl, useKubeNamespace } from "./kube-test-env.js";

const env = useKubeNamespace("client");

const configMap = (data: Record<string, string>) => ({
  apiVersion: "v1" as const,
  kind: "ConfigMap" as const,
  metadata: { name: "settings" },
  data,
});

describe("against a real kube-apiserver", () => {
  it("authenticates with the client certificate and with the token kubeconfig", async () => {
    const viaToken = new KubeClient({ kubeconfig: inject("tokenKubeconfig"), namespace: env.namespace });
    try {
      await viaToken.configMaps.apply(
        { metadata: { name: "made-with-token" }, data: { by: "token" } },
        { fieldManager: "token-user" },
      );
      const seen = await env.kube.configMaps.get("made-with-token"); // read with the client certificate
      expect(seen.data).toEqual({ by: "token" });
      expect(seen.metadata?.managedFields?.map((f) => f.manager)).toEqual(["token-user"]);
    } finally {
      await viaToken.close();
    }
  });

  it("applies server-side, and kubectl reads what we applied", async () => {
    const applied = await env.kube.configMaps.apply(configMap({ model: "churn", version: "3" }), {
      fieldManager: "modeltrail",
    });
    expect(applied.data).toEqual({ model: "churn", version: "3" });
    expect(applied.metadata?.managedFields?.map((f) => [f.manager, f.operation])).toEqual([
      ["modeltrail", "Apply"],
    ]);
    const seen = JSON.parse(
      await kubectl(["get", "configmap", "settings", "-n", env.namespace, "-o", "json"]),
    );
    expect(seen.data).toEqual({ model: "churn", version: "3" });
    // a dry run changes nothing
    const dry = await env.kube.configMaps.apply(configMap({ model: "churn", version: "4" }), {
      fieldManager: "modeltrail",
      dryRun: true,
    });
    expect(dry.data?.version).toBe("4");
    expect((await env.kube.configMaps.get("settings")).data?.version).toBe("3");
  });

  it("reads what kubectl applied", async () => {
    await kubectl(
      ["apply", "--server-side", "--field-manager=kubectl-test", "-n", env.namespace, "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "from-kubectl", labels: { tier: "x" } },
        data: { a: "1" },
      }),
    );
    const cm = await env.kube.configMaps.get("from-kubectl");
    expect(cm.data).toEqual({ a: "1" });
    expect(
      (await env.kube.configMaps.list({ labelSelector: { tier: "x" } })).items.map((c) => c.metadata?.name),
    ).toEqual(["from-kubectl"]);
  });

  it("reports a conflict between two field managers field by field, and force takes the field over", async () => {
    await env.kube.configMaps.apply(configMap({ model: "churn", version: "3" }), {
      fieldManager: "modeltrail",
    });
    const err = (await env.kube.configMaps
      .apply(configMap({ model: "fraud", version: "3" }), { fieldManager: "intruder" })
      .catch((e: unknown) => e)) as ApplyConflictError;
    expect(err).toBeInstanceOf(ApplyConflictError);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.conflicts).toEqual([
      {
        field: ".data.model",
        manager: "modeltrail",
        message: expect.stringContaining('conflict with "modeltrail"'),
      },
    ]);
    expect(err.message).toContain('.data.model: owned by "modeltrail"');
    const forced = await env.kube.configMaps.apply(configMap({ model: "fraud", version: "3" }), {
      fieldManager: "intruder",
      force: true,
    });
    expect(forced.data?.model).toBe("fraud");
  });

  it("patches and deletes, mapping NotFound", async () => {
    await env.kube.configMaps.patch("settings", { data: { extra: "yes" } });
    await env.kube.configMaps.patch("settings", [{ op: "remove", path: "/data/extra" }], { type: "json" });
    expect((await env.kube.configMaps.get("settings")).data?.extra).toBeUndefined();
    await env.kube.configMaps.delete("settings", { propagationPolicy: "Background" });
    await expect(env.kube.configMaps.get("settings")).rejects.toBeInstanceOf(NotFoundError);
    expect(await env.kube.configMaps.find("settings")).toBeUndefined();
  });

  it("watches: the initial list, changes as they happen, and a bookmark", async () => {
    await env.kube.configMaps.apply(configMap({ step: "0" }), { fieldManager: "modeltrail" });
    const controller = new AbortController();
    const events: Array<WatchEvent<unknown>["type"]> = [];
    const seenSteps: string[] = [];
    const watching = (async () => {
      for await (const ev of env.kube.configMaps.watch({
        fieldSelector: { "metadata.name": "settings" },
        timeoutSeconds: 4,
        signal: controller.signal,
      })) {
        events.push(ev.type);
        if (ev.type === "SYNC") seenSteps.push(...ev.items.map((i) => i.data?.step ?? ""));
        if (ev.type === "MODIFIED") seenSteps.push(ev.object.data?.step ?? "");
        if (ev.type === "BOOKMARK" && seenSteps.includes("2")) break;
      }
    })();
    for (const step of ["1", "2"]) {
      await new Promise((r) => setTimeout(r, 200));
      await env.kube.configMaps.apply(configMap({ step }), { fieldManager: "modeltrail" });
    }
    const timer = setTimeout(() => controller.abort(), 60_000);
    await watching;
    clearTimeout(timer);
    expect(seenSteps).toEqual(["0", "1", "2"]);
    expect(events[0]).toBe("SYNC");
    expect(events).toContain("BOOKMARK");
  });
});
