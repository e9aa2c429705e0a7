// Too large a body gets its 413 read by the client, on the node and through the HTTPS gateway: the server
// answers, then keeps reading and discarding the rest for a bounded time and byte count (lingering close)
// instead of closing on a client that is still sending, which would reset the connection under it.
// The HAProxy engine's gateway answers the 413 too, without the lingering (see its test below).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { Agent, fetch } from "undici";
import {
  type RunningDevnet,
  type RunningGateway,
  type RunningNode,
  removeDir,
  startDevnet,
  startGateway,
  startGatewayWith,
  startNode,
  tempDir,
} from "../helpers/devnet.ts";
import { freePort } from "../helpers/peers.ts";

const MB = 1024 * 1024;

interface Target {
  url: string;
  /** the CA to trust for an https URL */
  ca?: Buffer;
}

interface RawResult {
  /** what the server sent, as text */
  response: string;
  /** body bytes the client got out before it stopped or the server closed */
  sent: number;
  /** the connection ended before the client had sent all it declared */
  cutOff: boolean;
}

/**
 * A client that declares `declared` body bytes and writes them in `chunk`-sized pieces every `everyMs`
 * without reading, as a busy uploader does; reading starts once it has sent everything (or could not
 * go on). `readWhileSending` reads from the start instead (to watch the server end the connection).
 */
function rawPost(
  target: Target,
  opts: { declared: number; chunk: number; everyMs: number; readWhileSending?: boolean; deadlineMs?: number },
): Promise<RawResult> {
  const u = new URL(target.url);
  const port = Number(u.port);
  return new Promise((resolve, reject) => {
    // allowHalfOpen: the server's FIN does not end our side, the client decides when it stops sending.
    // (TLS sockets end with the server's close_notify, so the bound tests use plain HTTP.)
    const s =
      u.protocol === "https:"
        ? tlsConnect({ host: u.hostname, port, ca: target.ca })
        : tcpConnect({ port, host: u.hostname, allowHalfOpen: true });
    let response = "";
    let sent = 0;
    let finished = false;
    const deadline = setTimeout(() => {
      s.destroy();
      reject(
        new Error(
          `no end of the connection within ${opts.deadlineMs ?? 20_000} ms; got: ${response.slice(0, 80)}`,
        ),
      );
    }, opts.deadlineMs ?? 20_000);
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearInterval(pump);
      resolve({ response, sent, cutOff: sent < opts.declared });
    };
    s.on("data", (d: Buffer) => (response += d.toString("latin1")));
    s.on("close", done);
    s.on("error", () => s.resume()); // EPIPE/ECONNRESET: what arrived before it still counts
    if (!opts.readWhileSending) s.pause();
    s.write(
      `POST /api/v1/messages HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${opts.declared}\r\n\r\n`,
    );
    const piece = Buffer.alloc(opts.chunk, 7);
    const pump = setInterval(() => {
      if (s.destroyed || sent >= opts.declared) {
        clearInterval(pump);
        s.resume();
        s.end();
        return;
      }
      const n = Math.min(piece.length, opts.declared - sent);
      s.write(n === piece.length ? piece : piece.subarray(0, n));
      sent += n;
    }, opts.everyMs);
  });
}

function assert413(text: string, what: string): void {
  assert.match(text, /^HTTP\/1\.1 413 /, `${what}: ${JSON.stringify(text.slice(0, 120))}`);
  const body = text.slice(text.indexOf("\r\n\r\n") + 4);
  const json = JSON.parse(body) as { error: { code: string; message: string } };
  assert.equal(json.error.code, "413");
  assert.match(json.error.message, /larger than/);
}

async function fetch413s(target: Target, times: number): Promise<void> {
  const dispatcher = new Agent({ connect: target.ca ? { ca: target.ca } : {} });
  const body = new Uint8Array(2 * MB);
  try {
    for (let i = 0; i < times; i++) {
      const res = await fetch(`${target.url}/api/v1/messages`, {
        method: "POST",
        body,
        headers: { "content-type": "application/octet-stream" },
        dispatcher,
      });
      assert.equal(res.status, 413, `POST ${i + 1} of ${times}`);
      const json = (await res.json()) as { error: { code: string } };
      assert.equal(json.error.code, "413");
    }
  } finally {
    await dispatcher.close();
  }
}

async function raw413s(target: Target, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    // 2 MB in 32 KB pieces, one every millisecond: still sending well after the 413 went out.
    const r = await rawPost(target, { declared: 2 * MB, chunk: 32 * 1024, everyMs: 1 });
    assert413(r.response, `raw POST ${i + 1} of ${times}`);
  }
}

/** Linger bounds of the bounded servers below: one bound tight, the other loose enough never to be hit. */
const BOUNDS = {
  bytes: { timeout: "60s", timeoutMs: 60_000, bytes: "1M", byteCount: MB },
  time: { timeout: "1s", timeoutMs: 1000, bytes: "64M", byteCount: 64 * MB },
} as const;

describe("413 with lingering close", () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  let gateway: Target;
  let node: Target;
  let haproxy: RunningGateway;
  // Nodes and plain-HTTP gateways with one tight linger bound each, to see each bound hold on its own.
  const bounded: Record<string, { node?: RunningNode; gateway?: RunningGateway }> = { bytes: {}, time: {} };

  before(async () => {
    devnet = await startDevnet({ gateway: true });
    node = { url: devnet.url };
    gateway = { url: devnet.gateway!.url, ca: readFileSync(devnet.gateway!.caFile) };
    haproxy = await startGatewayWith(
      join(dir, "haproxy.json"),
      {
        bindAddress: `127.0.0.1:${await freePort()}`,
        adminBindAddress: `127.0.0.1:${await freePort()}`,
        upstreams: [devnet.url],
        limits: { bodyLength: 65_536 },
        logger: { level: "warn" },
      },
      { engine: "haproxy" },
    );
    for (const [kind, b] of Object.entries(BOUNDS)) {
      writeFileSync(
        join(dir, `node-${kind}.json`),
        JSON.stringify({
          restAPI: {
            bindAddress: "127.0.0.1:0",
            limits: { bodyLength: "64K", lingerTimeout: b.timeout, lingerBytes: b.bytes },
          },
          prometheus: { enabled: false },
          p2p: { enabled: false },
          logger: { level: "warn" },
        }),
      );
      bounded[kind]!.node = await startNode(join(dir, `node-${kind}.json`));
      writeFileSync(
        join(dir, `gateway-${kind}.json`),
        JSON.stringify({
          bindAddress: "127.0.0.1:0",
          adminBindAddress: "127.0.0.1:0",
          upstreams: [devnet.url],
          limits: { bodyLength: 65_536, lingerTimeoutMs: b.timeoutMs, lingerBytes: b.byteCount },
          logger: { level: "warn" },
        }),
      );
      bounded[kind]!.gateway = await startGateway(join(dir, `gateway-${kind}.json`));
    }
  });

  after(async () => {
    if (haproxy) assert.equal(await haproxy.stop(), 0);
    for (const b of Object.values(bounded)) {
      if (b.gateway) assert.equal(await b.gateway.stop(), 0);
      if (b.node) assert.equal(await b.node.stop(), 0);
    }
    assert.equal(await devnet.stop(), 0, devnet.stderr());
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("node: 50 consecutive 2 MB POSTs with fetch each get the 413", async () => {
    await fetch413s(node, 50);
  });

  it("node: 50 raw clients that keep sending each read the 413", async () => {
    await raw413s(node, 50);
  });

  it("gateway (HTTPS): 50 consecutive 2 MB POSTs with fetch each get the 413", async () => {
    await fetch413s(gateway, 50);
  });

  it("gateway (HTTPS): 50 raw clients that keep sending each read the 413", async () => {
    await raw413s(gateway, 50);
  });

  // HAProxy answers 413 from Content-Length at once and closes: a client that reads while it sends
  // gets the answer, but one still pushing megabytes may see a reset before it reads (README's matrix).
  it("HAProxy engine: a client sending an over-limit body reads the 413 in the JSON shape, then is cut off", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await rawPost(
        { url: haproxy.url },
        { declared: 2 * MB, chunk: 10, everyMs: 50, readWhileSending: true, deadlineMs: 10_000 },
      );
      assert413(r.response, `HAProxy POST ${i + 1}`);
      assert.ok(r.cutOff, `HAProxy took all ${r.sent} bytes`);
    }
  });

  for (const server of ["node", "gateway"] as const) {
    const url = (kind: "bytes" | "time") => bounded[kind]![server]!.url;

    it(`${server}: a body that never ends is cut off after lingerBytes (lingerTimeout 60 s), the 413 read first`, async () => {
      // 1 GB declared, sent as fast as the socket takes it; the 20 s deadline is far below the time bound.
      const r = await rawPost(
        { url: url("bytes") },
        { declared: 1024 * MB, chunk: 64 * 1024, everyMs: 1, readWhileSending: true, deadlineMs: 20_000 },
      );
      assert413(r.response, "endless body");
      assert.ok(r.cutOff, `the server took all ${r.sent} bytes`);
    });

    it(`${server}: a client that trickles its body is cut off after lingerTimeout (1 s), the 413 read first`, async () => {
      // 10 bytes every 50 ms: hours for 2 MB, and never near the 64 MB byte bound.
      const r = await rawPost(
        { url: url("time") },
        { declared: 2 * MB, chunk: 10, everyMs: 50, readWhileSending: true, deadlineMs: 20_000 },
      );
      assert413(r.response, "trickled body");
      assert.ok(r.cutOff, `the server waited for all ${r.sent} bytes`);
    });
  }
});
