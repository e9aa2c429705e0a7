// Gateway TLS: TLS 1.2+ only, and a certificate rotated on disk is served without a restart. Once per
// engine (the node engine and HAProxy, rendered from the same config).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect } from "node:tls";
import {
  engineArgs,
  GATEWAY_ENGINES,
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { freePort } from "../helpers/peers.ts";

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

for (const engine of GATEWAY_ENGINES)
  describe(`gateway TLS (engine ${engine})`, () => {
    // HAProxy binds fixed ports.
    const port = async () => (engine === "haproxy" ? freePort() : 0);
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
          bindAddress: `127.0.0.1:${await port()}`,
          adminBindAddress: `127.0.0.1:${await port()}`,
          upstreams: [devnet.url],
          tls: { certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key"), reloadCheckMs: 200 },
          logger: { level: "warn" },
        }),
      );
      gateway = await startGateway(
        join(dir, "gateway.json"),
        30_000,
        undefined,
        undefined,
        engineArgs(engine),
      );
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

    /** The suite negotiated for a client that offers only `ciphers` (over TLS 1.2), or the error. */
    const handshake = (opts: {
      ciphers?: string;
      maxVersion?: "TLSv1.2" | "TLSv1.3";
      minVersion?: "TLSv1.2" | "TLSv1.3";
      ecdhCurve?: string;
      port?: string;
    }) =>
      new Promise<string>((resolve) => {
        const u = new URL(url);
        const { port, ...tlsOpts } = opts;
        const s = connect(
          { host: u.hostname, port: Number(port ?? u.port), rejectUnauthorized: false, ...tlsOpts },
          () => {
            resolve(`${s.getProtocol()} ${s.getCipher().name}`);
            s.end();
          },
        );
        s.on("error", (e) => resolve(`refused: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      });

    it("offers Mozilla's intermediate profile: ECDHE + AEAD on TLS 1.2, TLS 1.3; no CBC, CCM or ARIA", async () => {
      for (const ok of [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
      ])
        assert.equal(await handshake({ ciphers: ok, maxVersion: "TLSv1.2" }), `TLSv1.2 ${ok}`);
      // The server's handshake alert, not the client refusing a suite it does not know.
      for (const bad of [
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA384",
        "ECDHE-ECDSA-AES128-CCM8",
        "ECDHE-ECDSA-ARIA128-GCM-SHA256",
        "AES128-GCM-SHA256",
      ])
        assert.match(
          await handshake({ ciphers: bad, maxVersion: "TLSv1.2" }),
          /^refused: .*HANDSHAKE_FAILURE/,
          bad,
        );
      assert.match(
        await handshake({ minVersion: "TLSv1.3" }),
        /^TLSv1\.3 TLS_AES_(128|256)_GCM_SHA(256|384)$/,
      );
      // Key exchange groups: X25519, P-256, P-384 only.
      assert.match(await handshake({ ecdhCurve: "X25519", minVersion: "TLSv1.3" }), /^TLSv1\.3/);
      assert.match(await handshake({ ecdhCurve: "secp521r1", maxVersion: "TLSv1.2" }), /^refused/);
    });

    it("picks the suite in the server's order, except for a client that puts ChaCha20 first", async () => {
      // Offered in the "wrong" order: the server's order (AES-128-GCM first) wins.
      assert.equal(
        await handshake({
          ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
          maxVersion: "TLSv1.2",
        }),
        "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
      );
      // A client without AES instructions lists ChaCha20 first and gets it.
      assert.equal(
        await handshake({
          ciphers: "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256",
          maxVersion: "TLSv1.2",
        }),
        "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305",
      );
    });

    it("HSTS and nosniff on every answer, proxied or refused, and no server banner", async () => {
      const ca = readFileSync(first.cert);
      for (const path of ["/api/v1/info", "/wp-login.php"]) {
        const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
          const u = new URL(url);
          const req = request({ host: u.hostname, port: u.port, path, ca, agent: false }, (res) => {
            res.resume();
            resolve(res.headers);
          });
          req.on("error", reject);
          req.end();
        });
        assert.equal(headers["strict-transport-security"], "max-age=63072000", path);
        assert.equal(headers["x-content-type-options"], "nosniff", path);
        assert.equal(headers.server, undefined, path);
        assert.equal(headers["x-powered-by"], undefined, path);
      }
    });

    it('"modern" offers TLS 1.3 only', async () => {
      writeFileSync(
        join(dir, "modern.json"),
        JSON.stringify({
          bindAddress: `127.0.0.1:${await port()}`,
          adminBindAddress: `127.0.0.1:${await port()}`,
          upstreams: [devnet.url],
          tls: { certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key"), profile: "modern" },
          logger: { level: "warn" },
        }),
      );
      const modern = await startGateway(
        join(dir, "modern.json"),
        30_000,
        undefined,
        undefined,
        engineArgs(engine),
      );
      try {
        const port = new URL(modern.url).port;
        assert.match(await handshake({ port, maxVersion: "TLSv1.2" }), /^refused/);
        assert.match(await handshake({ port }), /^TLSv1\.3 /);
      } finally {
        assert.equal(await modern.stop(), 0);
      }
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
