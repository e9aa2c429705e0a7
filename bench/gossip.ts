// Gossip: propagation latency A -> C over a 3-node mesh at a steady rate, the highest rate two nodes
// keep in sync, and the catch-up rate of a node that was offline. Nodes run in this process (each
// with its own LMDB, libp2p host and API) so arrival times come from C's own "messageStored" event.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { parseConfig } from "../src/config/load.ts";
import { nodeConfigSchema } from "../src/config/node.ts";
import { StingerNode } from "../src/node/node.ts";
import { ed25519PublicKey, generateEd25519Seed } from "../src/protocol/ed25519.ts";
import { toHex } from "../src/protocol/hex.ts";
import { networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { fmt, percentile, printHeader, report } from "./_lib.ts";

const NETWORK = "private_tangle1";
const RATE = Number(process.env.BENCH_GOSSIP_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_GOSSIP_SECONDS ?? 10);
const CATCHUP = Number(process.env.BENCH_GOSSIP_CATCHUP ?? 10_000);
const seeds = [generateEd25519Seed()];
const log = pino({ level: "silent" });

function makeNode(root: string, i: number, coordinator: boolean): StingerNode {
  const dir = join(root, `node${i}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "coordinator.keys"), JSON.stringify({ seeds: seeds.map(toHex) }), { mode: 0o600 });
  const config = parseConfig(
    nodeConfigSchema,
    {
      protocol: {
        networkID: NETWORK,
        minPoWScore: 0,
        milestonePublicKeyCount: 1,
        publicKeyRanges: seeds.map((s) => ({ key: toHex(ed25519PublicKey(s)) })),
      },
      restAPI: { bindAddress: "127.0.0.1:0" },
      coordinator: { enabled: coordinator, interval: "1s" },
      p2p: { bindMultiAddresses: ["/ip4/127.0.0.1/tcp/0"], heartbeatInterval: "1s", reconnectInterval: "2s" },
      prometheus: { enabled: false },
      logger: { level: "silent" },
    },
    "bench",
    {},
  );
  return new StingerNode(config, { baseDir: dir, log, env: {} });
}

function peer(a: StingerNode, b: StingerNode): void {
  a.gossip!.addPeer(b.gossip!.listenAddresses()[0]!);
  b.gossip!.addPeer(a.gossip!.listenAddresses()[0]!);
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

let counter = 0;
function nextMessage(node: StingerNode): Uint8Array {
  const data = Buffer.alloc(16);
  data.writeUInt32LE(counter++, 0);
  data.writeUInt32LE(process.pid, 4);
  return serializeMessage({
    networkId: networkIdFromName(NETWORK),
    parents: node.tangle.selectTips(),
    payload: { type: 2, index: Buffer.from("bench-gossip"), data },
    nonce: 1n,
  });
}

printHeader("gossip");
const root = mkdtempSync(join(tmpdir(), "stinger-bench-gossip-"));
try {
  // 1. Propagation A -> C at a steady rate over a full mesh of three nodes.
  const [a, b, c] = [makeNode(root, 0, true), makeNode(root, 1, false), makeNode(root, 2, false)];
  for (const n of [a, b, c]) await n.start();
  peer(a, b);
  peer(b, c);
  peer(a, c);
  await until(() => c.tangle.isSynced() && b.tangle.isSynced(), 20_000);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  c.events.on("messageStored", (id) => {
    const t = sentAt.get(toHex(id));
    if (t !== undefined) latencies.push(performance.now() - t);
  });
  const total = RATE * SECONDS;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const bytes = nextMessage(a);
    const { id } = await a.tangle.submit(bytes);
    sentAt.set(toHex(id), due);
  }
  await until(() => latencies.length >= total, 10_000);
  console.log(
    `propagation A->C at ${RATE} msg/s for ${SECONDS} s (3-node mesh): ${fmt(latencies.length)}/${fmt(total)} arrived, ` +
      `p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms`,
  );

  // 2. Highest rate two nodes keep in sync: A ingests as fast as it can; when has B got everything?
  const burst = 10_000;
  const burstIds = new Set<string>();
  let onB = 0;
  const countB = (id: Uint8Array) => {
    if (burstIds.has(toHex(id))) onB++;
  };
  b.events.on("messageStored", countB);
  const t0 = performance.now();
  for (let i = 0; i < burst; i += 8) {
    const batch = Array.from({ length: Math.min(8, burst - i) }, () => nextMessage(a));
    const results = await Promise.all(batch.map((m) => a.tangle.submit(m)));
    for (const r of results) burstIds.add(toHex(r.id));
  }
  const ingestMs = performance.now() - t0;
  await until(() => onB >= burst, 60_000);
  const syncMs = performance.now() - t0;
  console.log(
    `sync rate A->B: ${fmt(burst)} msgs ingested by A in ${fmt(ingestMs)} ms (${fmt(burst / (ingestMs / 1000))} msg/s); ` +
      `all on B after ${fmt(syncMs)} ms: ${fmt(onB / (syncMs / 1000))} msg/s kept in sync`,
  );

  // 3. Catch-up: D was never online; A has CATCHUP more messages under milestones. Start D and time it.
  for (let i = 0; i < CATCHUP; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, CATCHUP - i) }, () => a.tangle.submit(nextMessage(a))),
    );
  }
  const targetCmi = a.tangle.latestMilestoneIndex + 2;
  await until(() => a.tangle.confirmedMilestoneIndex >= targetCmi, 30_000);
  const d = makeNode(root, 3, false);
  let storedOnD = 0;
  d.events.on("messageStored", () => storedOnD++);
  await d.start();
  const t1 = performance.now();
  peer(a, d);
  await until(() => d.tangle.confirmedMilestoneIndex >= targetCmi, 120_000);
  const catchMs = performance.now() - t1;
  console.log(
    `catch-up: a fresh node fetched ${fmt(storedOnD)} messages and confirmed ${targetCmi} milestones in ${fmt(catchMs)} ms: ` +
      `${fmt(storedOnD / (catchMs / 1000))} msg/s`,
  );
  report({
    propagationP50: percentile(latencies, 50),
    propagationP99: percentile(latencies, 99),
    syncRate: onB / (syncMs / 1000),
    catchUpRate: storedOnD / (catchMs / 1000),
  });
  for (const n of [a, b, c, d]) await n.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
