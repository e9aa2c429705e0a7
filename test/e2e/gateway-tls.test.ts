// Gateway TLS: TLS 1.2+ only, and a certificate rotated on disk is served without a restart.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "node:tls";
import {
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";

/** A fresh self-signed certificate for 127.0.0.1 (made per run with the openssl CLI). */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { cert, key };
}

function served(url: string, ca: Buffer): Promise<{ status: number; fingerprint: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: "/api/v1/info", ca, agent: false }, (res) => {
      const fingerprint = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode!, fingerprint }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("gateway TLS", () => {
  let devnet: RunningDevnet;
  const dir = tempDir();
  let gateway: RunningGateway;
  let url = "";
  let first: { cert: string; key: string };

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    first = makeCert(dir, "first");
    writeFileSync(join(dir, "live.crt"), readFileSync(first.cert));
    writeFileSync(join(dir, "live.key"), readFileSync(first.key));
    writeFileSync(
      join(dir, "gateway.json"),
      JSON.stringify({
        bindAddress: "127.0.0.1:0",
        adminBindAddress: "127.0.0.1:0",
        upstreams: [devnet.url],
        tls: { certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key"), reloadCheckMs: 200 },
        logger: { level: "warn" },
      }),
    );
    gateway = await startGateway(join(dir, "gateway.json"));
    url = gateway.url;
    assert.match(url, /^https:/);
  });

  after(async () => {
    assert.equal(await gateway.stop(), 0);
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("serves HTTPS with the configured certificate", async () => {
    const r = await waitFor(
      async () => {
        const s = await served(url, readFileSync(first.cert));
        return s.status === 200 ? s : undefined;
      },
      20_000,
      "a healthy node behind the gateway",
    );
    assert.match(r.fingerprint, /^[0-9A-F:]+$/);
  });

  it("refuses TLS 1.1", async () => {
    const u = new URL(url);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect(
          {
            host: u.hostname,
            port: Number(u.port),
            maxVersion: "TLSv1.1",
            minVersion: "TLSv1",
            rejectUnauthorized: false,
          },
          () => resolve(s),
        );
        s.on("error", reject);
      }),
    );
  });

  it("serves a certificate rotated on disk without a restart", async () => {
    const before = (await served(url, readFileSync(first.cert))).fingerprint;
    const second = makeCert(dir, "second");
    // Key first, then certificate: each replaced atomically by rename, as certbot-style tools do.
    renameSync(second.key, join(dir, "live.key"));
    renameSync(second.cert, join(dir, "live.crt"));
    const ca = readFileSync(join(dir, "live.crt"));
    const after = await waitFor(
      async () => {
        const s = await served(url, ca).catch(() => undefined);
        return s && s.fingerprint !== before ? s : undefined;
      },
      10_000,
      "the new certificate",
    );
    assert.equal(after.status, 200);
    assert.equal(gateway.proc.exitCode, null, "same process");
  });
});
