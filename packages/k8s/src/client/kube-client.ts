import type { DebugLogger, RetryOptions } from "@modeltrail/core";
import { HttpClient, type HttpClientOptions } from "@modeltrail/core/internal";
import type { Deployment, ReplicaSet } from "kubernetes-types/apps/v1";
import type { ConfigMap, Event, Pod, Service } from "kubernetes-types/core/v1";
import type { Dispatcher } from "undici";
import type { ExecCredentialsOptions } from "../auth/exec-credentials.js";
import { impersonationHeaders, kubeCredentials } from "../auth/kube-credentials.js";
import type { KubeConfig } from "../config/kube-config.js";
import { type LoadKubeConfigOptions, loadKubeConfig } from "../config/load-kube-config.js";
import { mapKubeError } from "./kube-errors.js";
import { ResourceApi } from "./resource-api.js";
import {
  CONFIG_MAP,
  DEPLOYMENT,
  EVENT,
  type KubeObject,
  POD,
  REPLICA_SET,
  type ResourceKind,
  SERVICE,
} from "./resource-kinds.js";

/** Options of {@link KubeClient}: where the configuration comes from, and transport tuning. */
export interface KubeClientOptions extends LoadKubeConfigOptions {
  /** An already loaded configuration (else it is loaded with {@link loadKubeConfig} from these options). */
  config?: KubeConfig | undefined;
  /** Timeout of one HTTP attempt in ms (default 30 000; watches wait longer for their body). */
  timeoutMs?: number | undefined;
  /** Retry policy overrides. */
  retry?: Partial<RetryOptions> | undefined;
  /** undici dispatcher (tests); it then carries TLS and proxy settings itself. */
  dispatcher?: Dispatcher | undefined;
  /** Receives redacted debug events of every request. */
  logger?: DebugLogger | undefined;
  /** Product token appended to the user agent. */
  userAgent?: string | undefined;
  /** Extra headers sent with every request. */
  headers?: Record<string, string> | undefined;
  /** Exec credential plugin settings (timeout, expiry skew). */
  exec?: ExecCredentialsOptions | undefined;
  /** Test hook: replaces the wait between retries. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/**
 * A Kubernetes API client over core's transport, configured like kubectl (kubeconfig, context,
 * namespace, TLS, proxy, token/tokenFile/basic/exec/client-certificate auth, or in-cluster). Typed
 * APIs for Deployments, ReplicaSets, Services, ConfigMaps, Pods and Events; `resource()` for any
 * other kind. Close it with `close()`.
 */
export class KubeClient {
  /** The resolved configuration (secrets are not enumerable). */
  readonly config: KubeConfig;
  /** The default namespace of every namespaced call (the context's, or the one given). */
  readonly namespace: string;
  /** The HTTP transport (one connection pool). */
  readonly http: HttpClient;
  /** `apps/v1` Deployments. */
  readonly deployments: ResourceApi<Deployment>;
  /** `apps/v1` ReplicaSets. */
  readonly replicaSets: ResourceApi<ReplicaSet>;
  /** `v1` Services. */
  readonly services: ResourceApi<Service>;
  /** `v1` ConfigMaps. */
  readonly configMaps: ResourceApi<ConfigMap>;
  /** `v1` Pods. */
  readonly pods: ResourceApi<Pod>;
  /** `v1` Events. */
  readonly events: ResourceApi<Event>;

  /**
   * Creates a client. Throws ConfigError when the configuration cannot be loaded (see
   * {@link loadKubeConfig}: it names the file, context and field).
   */
  constructor(options: KubeClientOptions = {}) {
    this.config = options.config ?? loadKubeConfig(options);
    this.namespace = options.namespace || this.config.namespace;
    const { cluster, user } = this.config;
    const httpOptions: HttpClientOptions & { sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {
      baseUrl: cluster.server,
      service: "kubernetes",
      credentials: kubeCredentials(this.config, options.exec),
      mapError: mapKubeError,
      headers: { ...impersonationHeaders(this.config), ...options.headers },
      insecureTls: cluster.insecureSkipTlsVerify,
      ...(cluster.ca ? { ca: cluster.ca } : {}),
      ...(user.clientCert && user.clientKey
        ? { clientCert: user.clientCert, clientKey: user.clientKey }
        : {}),
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
      ...(cluster.proxyUrl ? { proxyUrl: cluster.proxyUrl } : {}),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    };
    this.http = new HttpClient(httpOptions);
    this.deployments = this.resource(DEPLOYMENT);
    this.replicaSets = this.resource(REPLICA_SET);
    this.services = this.resource(SERVICE);
    this.configMaps = this.resource(CONFIG_MAP);
    this.pods = this.resource(POD);
    this.events = this.resource(EVENT);
  }

  /** Typed operations on any kind, e.g. `resource<Job>({ group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true })`. */
  resource<T extends KubeObject>(kind: ResourceKind<T>): ResourceApi<T> {
    return new ResourceApi<T>(this.http, kind, this.namespace);
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.http.close();
  }
}
