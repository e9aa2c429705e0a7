// gateway.workers: several processes (node:cluster) behind one port, with the limits counted once in
// the primary: a client's token bucket and connection cap are the same whichever worker the kernel
// gives its connection to; TLS session tickets resume on any worker; a worker killed -9 is started
// again and what it held is freed; metrics are the workers' sum.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect as connectTcp, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connect as connectTls, type TLSSocket } from "node:tls";
import { ensureDevCertificate } from "../../src/gateway/dev-cert.ts";
import {
  BIN,
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGatewayWith,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";

const CAPACITY = 60;

const workerPids = (gatewayPid: number) =>
  spawnSync("pgrep", ["-P", String(gatewayPid)], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map(Number);

async function metrics(url: string): Promise<string> {
  return (await fetch(url)).text();
}

function metricValue(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A TCP connection from a chosen loopback address, and whether the gateway closed it within `ms`. */
async function heldOpen(
  url: string,
  localAddress: string,
): Promise<{ socket: Socket; closedWithin(ms: number): Promise<boolean> }> {
  const u = new URL(url);
  const socket = connectTcp({ host: u.hostname, port: Number(u.port), localAddress });
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  await new Promise<void>((r) => {
    socket.once("connect", () => r());
    socket.once("close", () => r());
  });
  return {
    socket,
    closedWithin: (ms) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        closed.then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

describe("gateway with two workers", { timeout: 120_000 }, () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  let gateway: RunningGateway;
  let ca: Buffer;

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    const cert = ensureDevCertificate(join(dir, "tls"));
    ca = readFileSync(cert.caFile);
    gateway = await startGatewayWith(
      join(dir, "gw.json"),
      {
        bindAddress: "127.0.0.1:0",
        adminBindAddress: "127.0.0.1:0",
        upstreams: [devnet.url],
        workers: 2,
        tls: { certFile: cert.certFile, keyFile: cert.keyFile },
        rateLimit: { capacity: CAPACITY, refillPerSecond: 0.001 },
        limits: { maxConnectionsPerClient: 8 },
        logger: { level: "warn" },
      },
      { ca },
    );
  });

  after(async () => {
    const pid = gateway?.proc.pid;
    if (gateway) assert.equal(await gateway.stop(), 0);
    if (pid) assert.deepEqual(workerPids(pid), [], "no worker outlives the gateway");
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("runs two workers that both answer, and one token bucket per client across them", async () => {
    assert.equal(workerPids(gateway.proc.pid!).length, 2);
    const statuses: number[] = [];
    // A new connection per request, four at once (half the connection cap: a closed socket's slot
    // comes back a moment after the client sees it close): the kernel hands them to both workers.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 30; i++) {
          const r = await getFrom(gateway.url, "/api/v1/info", {
            localAddress: "127.0.0.41",
            ca,
            close: true,
          });
          statuses.push(r.status);
        }
      }),
    );
    assert.equal(statuses.filter((s) => s === 200).length, CAPACITY, "exactly one bucket's worth allowed");
    assert.equal(statuses.filter((s) => s === 429).length, 120 - CAPACITY);
    const text = await metrics(gateway.metricsUrl);
    const perWorker = [0, 1].map((w) =>
      metricValue(text, `stinger_gateway_worker_requests_total{worker="${w}"}`),
    );
    assert.ok(
      perWorker.every((n) => n > 0),
      `both workers answered: ${perWorker.join(", ")}`,
    );
    assert.equal(
      metricValue(text, 'stinger_gateway_refusals_total{reason="rate_limited"}'),
      120 - CAPACITY,
      "the workers' counters are summed",
    );
  });

  it("caps connections per client across workers", async () => {
    const held = await Promise.all(Array.from({ length: 8 }, () => heldOpen(gateway.url, "127.0.0.42")));
    const closedEarly = await Promise.all(held.map((h) => h.closedWithin(300)));
    assert.deepEqual(closedEarly, Array(8).fill(false));
    const extra = await Promise.all(Array.from({ length: 6 }, () => heldOpen(gateway.url, "127.0.0.42")));
    assert.deepEqual(await Promise.all(extra.map((h) => h.closedWithin(3000))), Array(6).fill(true));
    for (const h of held) h.socket.destroy();
    // Given back once closed: the client may open its eight again.
    await waitFor(
      async () => {
        const again = await Promise.all(Array.from({ length: 8 }, () => heldOpen(gateway.url, "127.0.0.42")));
        const closed = await Promise.all(again.map((h) => h.closedWithin(300)));
        for (const h of again) h.socket.destroy();
        return closed.every((c) => !c);
      },
      5000,
      "connection slots given back",
    );
  });

  it("resumes a TLS session on whichever worker takes the next connection", async () => {
    const u = new URL(gateway.url);
    // Each round from its own address: the sockets of the last one may not have given their slots back.
    const handshake = (localAddress: string, session?: Buffer) =>
      new Promise<TLSSocket>((resolve, reject) => {
        const tcp = connectTcp({ host: u.hostname, port: Number(u.port), localAddress });
        const socket = connectTls({ socket: tcp, ca, session, maxVersion: "TLSv1.2" });
        socket.once("secureConnect", () => resolve(socket));
        socket.once("error", reject);
      });
    const first = await handshake("127.0.0.50");
    // TLS 1.2 hands out its session (with the ticket) at the handshake.
    const session = first.getSession()!;
    first.end();
    // Many at once, so both workers take some (a worker that did not issue the ticket must still accept it).
    for (let round = 0; round < 3; round++) {
      const sockets = await Promise.all(
        Array.from({ length: 6 }, () => handshake(`127.0.0.${51 + round}`, session)),
      );
      assert.deepEqual(
        sockets.map((s) => s.isSessionReused()),
        Array(6).fill(true),
      );
      for (const s of sockets) s.end();
    }
  });

  it("starts a worker killed -9 again and frees the connections it held", async () => {
    const before = workerPids(gateway.proc.pid!);
    const held = await Promise.all(Array.from({ length: 8 }, () => heldOpen(gateway.url, "127.0.0.43")));
    for (const pid of before) process.kill(pid, "SIGKILL");
    await Promise.all(held.map((h) => h.closedWithin(5000)));
    await waitFor(
      async () => {
        const now = workerPids(gateway.proc.pid!);
        return now.length === 2 && now.every((p) => !before.includes(p));
      },
      15_000,
      "workers started again",
    );
    await waitFor(
      async () => (await getFrom(gateway.url, "/health", { localAddress: "127.0.0.45", ca })).status === 200,
      15_000,
      "gateway serving again",
    );
    assert.equal(metricValue(await metrics(gateway.metricsUrl), "stinger_gateway_worker_restarts_total"), 2);
    const again = await Promise.all(Array.from({ length: 8 }, () => heldOpen(gateway.url, "127.0.0.43")));
    assert.deepEqual(await Promise.all(again.map((h) => h.closedWithin(500))), Array(8).fill(false));
    for (const h of again) h.socket.destroy();
  });
});

describe("gateway workers that cannot start", () => {
  it("stops the gateway with the workers' reason, in one line", async () => {
    const dir = tempDir();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    const port = (busy.address() as { port: number }).port;
    const file = join(dir, "gw.json");
    writeFileSync(
      file,
      JSON.stringify({
        bindAddress: `127.0.0.1:${port}`,
        adminBindAddress: "127.0.0.1:0",
        upstreams: ["http://127.0.0.1:9"],
        workers: 2,
      }),
    );
    try {
      const r = spawnSync(process.execPath, [BIN, "gateway", "--config", file], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(r.status, 1);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("stinger:"));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /EADDRINUSE/);
    } finally {
      busy.close();
      removeDir(dir);
    }
    // The config is refused before any worker starts.
    assert.throws(
      () =>
        execFileSync(process.execPath, [BIN, "gateway", "--config", "/nonexistent.json"], { stdio: "pipe" }),
      (e: { status: number }) => e.status === 2,
    );
  });
});
