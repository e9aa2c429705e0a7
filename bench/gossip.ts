// Gossip over loopback between separate processes: A (devnet: node + coordinator) and B (`stinger node`)
// are child processes; C, the observer, runs in this process so arrival times come from its own
// "messageStored" events. Figures: propagation latency submit-on-A -> stored-on-C at a steady rate,
// the highest rate A and C stay in sync, and the catch-up rate of a fresh node D.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseConfig } from "../src/config/load.ts";
import { nodeConfigSchema } from "../src/config/node.ts";
import { StingerNode } from "../src/node/node.ts";
import { ed25519PublicKey } from "../src/protocol/ed25519.ts";
import { toHex } from "../src/protocol/hex.ts";
import { messageId, networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { BIN, startDevnet, waitFor } from "../test/helpers/devnet.ts";
import { freePort, jwtFor, newIdentity } from "../test/helpers/peers.ts";
import { fmt, percentile, printHeader, report } from "./_lib.ts";

const NETWORK = "private_tangle1";
const RATE = Number(process.env.BENCH_GOSSIP_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_GOSSIP_SECONDS ?? 10);
const BURST = Number(process.env.BENCH_GOSSIP_BURST ?? 10_000);
const CONNECTIONS = 16;
const CATCHUP = Number(process.env.BENCH_GOSSIP_CATCHUP ?? 10_000);
const WARMUP_SECONDS = 3;

function nodeConfig(keys: string[], port: number | string, peers: string[]) {
  return {
    protocol: {
      networkID: NETWORK,
      minPoWScore: 0,
      milestonePublicKeyCount: keys.length,
      publicKeyRanges: keys.map((key) => ({ key })),
    },
    restAPI: { bindAddress: "127.0.0.1:0" },
    prometheus: { enabled: false },
    logger: { level: "warn" as const },
    p2p: {
      bindMultiAddresses: [`/ip4/127.0.0.1/tcp/${port}`],
      peers: peers.map((multiAddress) => ({ multiAddress })),
      heartbeatInterval: "1s",
      reconnectInterval: "2s",
    },
  };
}

function inProcessNode(dir: string, keys: string[], peers: string[]): StingerNode {
  mkdirSync(dir, { recursive: true });
  const config = parseConfig(
    nodeConfigSchema,
    { ...nodeConfig(keys, 0, peers), logger: { level: "silent" } },
    "bench",
    {},
  );
  return new StingerNode(config, { baseDir: dir, log: pino({ level: "silent" }), env: {} });
}

async function addPeer(apiUrl: string, token: string, multiAddress: string): Promise<void> {
  const res = await fetch(`${apiUrl}/api/v1/peers`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ multiAddress }),
  });
  if (res.status !== 200) throw new Error(`adding a peer failed: ${await res.text()}`);
}

let counter = 0;
function message(parents: Uint8Array[]): Uint8Array {
  const data = Buffer.alloc(16);
  data.writeUInt32LE(counter++, 0);
  data.writeUInt32LE(process.pid, 4);
  return serializeMessage({
    networkId: networkIdFromName(NETWORK),
    parents,
    payload: { type: 2, index: Buffer.from("bench-gossip"), data },
    nonce: 1n,
  });
}

async function postRaw(url: string, bytes: Uint8Array): Promise<string> {
  const res = await fetch(`${url}/api/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  const body = (await res.json()) as { data?: { messageId: string }; error?: { message: string } };
  if (res.status !== 201) throw new Error(`submit failed: ${body.error?.message}`);
  return body.data!.messageId;
}

/** Keeps a fresh set of A's tips, so the messages we send attach where A expects them. */
function tipFeed(url: string): { current: () => Uint8Array[]; stop: () => void } {
  let tips: Uint8Array[] = [];
  let stopped = false;
  const refresh = async () => {
    while (!stopped) {
      const r = (await (await fetch(`${url}/api/v1/tips`)).json()) as { data?: { tipMessageIds: string[] } };
      if (r.data) tips = r.data.tipMessageIds.map((h) => Buffer.from(h, "hex"));
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  void refresh();
  return { current: () => tips, stop: () => (stopped = true) };
}

printHeader("gossip");
const root = mkdtempSync(join(tmpdir(), "stinger-bench-gossip-"));
let b: ChildProcess | undefined;
const a = await startDevnet({
  dataDir: join(root, "a"),
  minPoWScore: 0,
  milestoneInterval: 1,
  extraArgs: ["--log-level", "warn"],
});
const inProcess: StingerNode[] = [];
try {
  const seeds = (JSON.parse(readFileSync(join(a.dataDir, "coordinator.keys"), "utf8")) as { seeds: string[] })
    .seeds;
  const keys = seeds.map((s) => toHex(ed25519PublicKey(Buffer.from(s, "hex"))));
  const token = jwtFor(a.dataDir);

  // B: a separate `stinger node` process with an identity and port chosen here, so peers can know it.
  const bId = newIdentity();
  const bPort = await freePort();
  const bAddr = `/ip4/127.0.0.1/tcp/${bPort}/p2p/${bId.peerId}`;
  const c = inProcessNode(join(root, "c"), keys, [a.gossipAddress, bAddr]);
  inProcess.push(c);
  await c.start();
  const cAddr = c.gossip!.listenAddresses()[0]!;
  const bDir = join(root, "b");
  mkdirSync(join(bDir, "p2pstore"), { recursive: true });
  writeFileSync(join(bDir, "p2pstore", "identity.key"), bId.pem, { mode: 0o600 });
  writeFileSync(join(bDir, "config.json"), JSON.stringify(nodeConfig(keys, bPort, [a.gossipAddress, cAddr])));
  b = spawn(process.execPath, [BIN, "node", "--config", join(bDir, "config.json")], { stdio: "ignore" });
  await addPeer(a.url, token, bAddr);
  await addPeer(a.url, token, cAddr);
  await waitFor(
    async () => c.tangle.isSynced() && c.gossip!.connectedCount() === 2,
    30_000,
    "C synced with two peers",
  );

  // 1. Propagation at a steady rate.
  const tips = tipFeed(a.url);
  await waitFor(async () => tips.current().length > 0, 5_000, "tips from A");
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  c.events.on("messageStored", (id) => {
    const t = sentAt.get(toHex(id));
    if (t !== undefined) latencies.push(performance.now() - t);
  });
  const total = RATE * SECONDS;
  const steady = async (count: number, record: boolean) => {
    const inflight: Promise<unknown>[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const bytes = message(tips.current());
      // Known before sending: C may store the message before A's 201 reaches us.
      if (record) sentAt.set(toHex(messageId(bytes)), performance.now());
      inflight.push(postRaw(a.url, bytes));
    }
    await Promise.all(inflight);
  };
  // Warm-up: JIT, connection pools and LMDB pages first, so the figures are the steady state.
  await steady(RATE * WARMUP_SECONDS, false);
  await steady(total, true);
  await waitFor(async () => latencies.length >= total, 20_000, "all messages on C").catch(() => {});
  console.log(
    `propagation submit on A -> stored on C at ${RATE} msg/s for ${SECONDS} s after ${WARMUP_SECONDS} s warm-up (A, B, C in separate processes, full mesh): ` +
      `${fmt(latencies.length)}/${fmt(total)} arrived, p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms`,
  );

  // 2. Highest rate A and C keep in sync: A is driven as fast as 16 connections go; when does C have all?
  const burstIds = new Set<string>();
  let onC = 0;
  c.events.on("messageStored", (id) => {
    if (burstIds.has(toHex(id))) onC++;
  });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < BURST) {
        next++;
        const bytes = message(tips.current());
        burstIds.add(toHex(messageId(bytes)));
        await postRaw(a.url, bytes);
      }
    }),
  );
  const ingestMs = performance.now() - t0;
  await waitFor(async () => onC >= BURST, 60_000, "burst on C").catch(() => {});
  const syncMs = performance.now() - t0;
  console.log(
    `in sync: ${fmt(BURST)} msgs accepted by A in ${fmt(ingestMs)} ms (${fmt(BURST / (ingestMs / 1000))} msg/s); ` +
      `${fmt(onC)} on C after ${fmt(syncMs)} ms: ${fmt(onC / (syncMs / 1000))} msg/s kept in sync`,
  );
  tips.stop();

  // 3. Catch-up of a node that was never online: everything under A's milestones so far, after CATCHUP
  // more messages attached the way clients attach them (A selects the tips).
  let sentJson = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (sentJson < CATCHUP) {
        sentJson++;
        const res = await fetch(`${a.url}/api/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            payload: { type: 2, index: "beef", data: (counter++).toString(16).padStart(8, "0") },
          }),
        });
        await res.arrayBuffer();
      }
    }),
  );
  const info = async () =>
    ((await (await fetch(`${a.url}/api/v1/info`)).json()) as { data: { confirmedMilestoneIndex: number } })
      .data;
  await new Promise((r) => setTimeout(r, 2500));
  const target = (await info()).confirmedMilestoneIndex;
  const d = inProcessNode(join(root, "d"), keys, [a.gossipAddress]);
  inProcess.push(d);
  let storedOnD = 0;
  d.events.on("messageStored", () => storedOnD++);
  await d.start();
  const t1 = performance.now();
  await addPeer(a.url, token, d.gossip!.listenAddresses()[0]!);
  await waitFor(async () => d.tangle.confirmedMilestoneIndex >= target, 180_000, "D caught up");
  const catchMs = performance.now() - t1;
  console.log(
    `catch-up: a fresh node fetched ${fmt(storedOnD)} messages and confirmed ${target} milestones in ${fmt(catchMs)} ms: ` +
      `${fmt(storedOnD / (catchMs / 1000))} msg/s`,
  );
  report({
    propagationP50: percentile(latencies, 50),
    propagationP99: percentile(latencies, 99),
    syncRate: onC / (syncMs / 1000),
    catchUpRate: storedOnD / (catchMs / 1000),
  });
} finally {
  for (const n of inProcess) await n.close();
  b?.kill("SIGTERM");
  await a.stop();
  rmSync(root, { recursive: true, force: true });
}
