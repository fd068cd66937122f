import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate and its private key, as PEM text and as files. */
export interface TestCert {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** What a test certificate is for, and the names it holds. */
export interface TestCertRequest {
  /** File name stem (`apiserver` writes `apiserver.crt` / `apiserver.key`). */
  name: string;
  /** Subject common name. */
  cn: string;
  /** Subject organisations (Kubernetes reads them as groups, e.g. `system:masters`). */
  orgs?: string[];
  /** `server` (serverAuth, with subject alternative names) or `client` (clientAuth). */
  usage: "server" | "client";
  /** DNS names (server certificates). */
  dns?: string[];
  /** IP addresses (server certificates). */
  ips?: string[];
}

/** A throwaway certificate authority that issues test certificates into one directory. */
export interface TestCa extends TestCert {
  dir: string;
  /** Issues a certificate signed by this CA (RSA 2048, valid 10 years). */
  issue(request: TestCertRequest): TestCert;
}

/**
 * Creates a throwaway CA in `dir` with the `openssl` command (RSA 2048, valid 10 years), for TLS
 * tests and for the local Kubernetes control plane. Throws when openssl is missing or fails.
 */
export function createTestCa(dir: string, cn = "modeltrail-test-ca"): TestCa {
  mkdirSync(dir, { recursive: true });
  const stem = cn.replace(/[^A-Za-z0-9_.-]+/g, "-");
  const certFile = join(dir, `${stem}.crt`);
  const keyFile = join(dir, `${stem}.key`);
  openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "3650",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const ca: TestCa = {
    dir,
    certFile,
    keyFile,
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(keyFile, "utf8"),
    issue: (request) => issue(ca, request),
  };
  return ca;
}

function issue(ca: TestCa, request: TestCertRequest): TestCert {
  const base = join(ca.dir, request.name);
  const certFile = `${base}.crt`;
  const keyFile = `${base}.key`;
  const subject = [...(request.orgs ?? []).map((o) => `/O=${o}`), `/CN=${request.cn}`].join("");
  openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    `${base}.csr`,
    "-subj",
    subject,
  ]);
  const ext = ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment"];
  if (request.usage === "server") {
    ext.push("extendedKeyUsage=serverAuth");
    const sans = [
      ...(request.dns ?? []).map((d) => `DNS:${d}`),
      ...(request.ips ?? []).map((i) => `IP:${i}`),
    ];
    if (sans.length > 0) ext.push(`subjectAltName=${sans.join(",")}`);
  } else {
    ext.push("extendedKeyUsage=clientAuth");
  }
  writeFileSync(`${base}.ext`, `${ext.join("\n")}\n`);
  openssl([
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-CAcreateserial",
    "-out",
    certFile,
    "-days",
    "3650",
    "-extfile",
    `${base}.ext`,
  ]);
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(
      `openssl ${args[0]} failed (is openssl installed?): ${(err as Error).message}\n${stderr}`,
    );
  }
}
