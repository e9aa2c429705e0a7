// A local CA and a server certificate for 127.0.0.1/localhost, for the devnet's HTTPS gateway.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StingerError } from "../util/errors.ts";

export interface DevCertificate {
  /** the CA certificate clients trust (NODE_EXTRA_CA_CERTS, curl --cacert) */
  caFile: string;
  certFile: string;
  keyFile: string;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Reuses DIR/{ca.pem,server.pem,server.key} when present, else makes them with the openssl CLI
 * (Node has no X.509 writer). The CA key is deleted once the server certificate is signed: a CA
 * someone trusts must not leave a key behind that could sign certificates for other names.
 */
export function ensureDevCertificate(dir: string): DevCertificate {
  const out = {
    caFile: join(dir, "ca.pem"),
    certFile: join(dir, "server.pem"),
    keyFile: join(dir, "server.key"),
  };
  if (existsSync(out.caFile) && existsSync(out.certFile) && existsSync(out.keyFile)) return out;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Made in a scratch folder and moved in last, so an interrupted run leaves no half set behind.
  const tmp = mkdtempSync(join(dir, ".new-"));
  const openssl = (args: string[]) => {
    try {
      execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      throw new StingerError(
        "dev_certificate",
        e.code === "ENOENT"
          ? "the openssl command is needed to make the devnet gateway's certificate (apt-get install openssl), or use --no-gateway"
          : `openssl failed: ${
              String(e.stderr ?? e.message)
                .trim()
                .split("\n")[0]
            }`,
      );
    }
  };
  try {
    openssl([
      "req",
      "-x509",
      ...EC,
      "-keyout",
      join(tmp, "ca.key"),
      "-out",
      join(tmp, "ca.pem"),
      "-days",
      "3650",
      "-subj",
      "/CN=stinger devnet CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl([
      "req",
      "-x509",
      ...EC,
      "-keyout",
      join(tmp, "server.key"),
      "-out",
      join(tmp, "server.pem"),
      "-days",
      "825",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-CA",
      join(tmp, "ca.pem"),
      "-CAkey",
      join(tmp, "ca.key"),
    ]);
    chmodSync(join(tmp, "server.key"), 0o600);
    renameSync(join(tmp, "server.key"), out.keyFile);
    renameSync(join(tmp, "server.pem"), out.certFile);
    renameSync(join(tmp, "ca.pem"), out.caFile);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
