import { splitImageRef } from "@modeltrail/core/internal";

/** An OpenLineage dataset identity: the namespace of its data source and its name within it. */
export interface DatasetName {
  namespace: string;
  name: string;
}

/** Schemes whose authority is a bucket or container: the name is the path without its leading `/`. */
const BUCKET_SCHEMES = new Set([
  "s3",
  "s3a",
  "s3n",
  "gs",
  "gcs",
  "abfs",
  "abfss",
  "wasb",
  "wasbs",
  "oss",
  "r2",
]);

/**
 * The OpenLineage name of the data at `uri`, following OpenLineage's naming conventions:
 * `file:///data/x.csv` and a plain absolute path give namespace `file`, name `/data/x.csv`;
 * `dbfs:/mnt/x` and `/Volumes/...`, `/dbfs/...` give namespace `dbfs`; `s3://bucket/key` gives
 * `s3://bucket` and `key` (likewise `gs`, `abfss://container@account.dfs.core.windows.net/path`,
 * `wasbs`); any other URL gives `scheme://host[:port]` and its path. Something that is not a URL or
 * a path (a table name `catalog.schema.table`) keeps its text as the name in `fallbackNamespace`.
 * Credentials and query strings of a URL are dropped. Never throws.
 */
export function datasetNameOfUri(uri: string, fallbackNamespace: string): DatasetName {
  const text = uri.trim();
  if (text.startsWith("/")) {
    const namespace = text.startsWith("/Volumes/") || text.startsWith("/dbfs/") ? "dbfs" : "file";
    return { namespace, name: text };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { namespace: fallbackNamespace, name: text };
  if (scheme === "dbfs") return { namespace: "dbfs", name: `/${text.slice(5).replace(/^\/+/, "")}` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { namespace: fallbackNamespace, name: text };
  }
  if (scheme === "file") return { namespace: "file", name: decodePath(url.pathname) };
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  const authority = url.username && BUCKET_SCHEMES.has(scheme) ? `${url.username}@${host}` : host;
  if (!authority) return { namespace: scheme, name: decodePath(url.pathname) || text };
  const path = decodePath(url.pathname);
  const name = BUCKET_SCHEMES.has(scheme) ? path.replace(/^\/+/, "") : path || "/";
  return { namespace: `${scheme}://${authority}`, name: name || "/" };
}

/**
 * The OpenLineage name of a container image repository: namespace `oci://<registry>` (Docker Hub
 * is `docker.io`), name the repository path (`library/` added for Docker Hub's official images).
 * Tag and digest are not part of the name: they are the dataset's version. Never throws.
 */
export function datasetNameOfImage(ref: string): DatasetName {
  const { name } = splitImageRef(ref.trim());
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const hasRegistry = first.includes(".") || first.includes(":") || first === "localhost";
  const registry = hasRegistry ? first : "docker.io";
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { namespace: `oci://${registry}`, name: repository };
}

/** `decodeURIComponent`, keeping the text as it is when it is not valid percent-encoding. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
