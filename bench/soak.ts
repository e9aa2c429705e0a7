// `npm run bench -- soak [--minutes N] [--sample-seconds S] [--svg PATH] [--json]`: a long, modest,
// mixed load through the HTTPS gateway in front of three `stinger node` processes (test/helpers/cluster.ts
// with a genesis, so value transfers have funds; one gateway process, one worker, its dev CA), while the
// resident memory, open file descriptors, CPU and event-loop lag of every process are sampled every S
// seconds (10). After the warm-up (the first 20% of the run, at least a minute once the run is 5 minutes
// or more) each series should stay flat: the least-squares slope per hour is printed, and plotted to an
// SVG (docs/soak.svg by default).
//
// The load, each kind from its own loopback address (its own client at the gateway, with the gateway's
// default rate limits): REST reads of info, tips, messages, metadata, outputs, addresses, milestones and
// an index search; data messages mined here and posted as bytes, and posted as JSON without a nonce for
// the node's remote PoW; value transfers between eight wallets (test/helpers/ledger.ts LedgerModel: the
// ledger is followed through each milestone's UTXO diff, read through the gateway, and every transfer's
// metadata is read once it is confirmed: it must say "included"); MQTT subscribers over WebSocket
// through the gateway's /mqtt tunnel, counting what they receive. The ledger is kept near a fixed number
// of outputs (consolidations once it has more) and the nodes prune to their last 200 milestones, so a
// steady state exists. Every answer is counted by status: anything but 2xx, 429 and 503 (refusals by
// design), a connection error, an MQTT connection lost, a transfer not confirmed, is an error, and the
// bench exits 1 after printing the first few.
//
// Loop lag: the processes' prom-client p99 of a 10 ms timer's delay (nodejs_eventloop_lag_p99_seconds,
// reset by each scrape, so each sample covers the last interval) minus the 10 ms, and the same
// histogram in the bench client itself (whose lag includes mining its messages' PoW).
// Options: --minutes (or STINGER_SOAK_MINUTES; default 30), --sample-seconds (10), --svg PATH,
// --min-pow-score (10, the devnet's), --reads-per-second (200), --data-per-second (4, local PoW),
// --pow-per-second (1, remote PoW), --transfers-per-second (5).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { type MqttClient, connect as mqttConnect } from "mqtt";
import { Agent, request } from "undici";
import { ensureDevCertificate } from "../src/gateway/dev-cert.ts";
import { PowPool } from "../src/node/pow/pool.ts";
import { fromHex, toHex } from "../src/protocol/hex.ts";
import { generateEd25519Seed } from "../src/protocol/keys.ts";
import { messageId, networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../src/protocol/params.ts";
import type { IndexationPayload, TransactionPayload } from "../src/protocol/types.ts";
import { CLUSTER_NETWORK, type GenesisCluster, startCluster } from "../test/helpers/cluster.ts";
import {
  type RunningGateway,
  removeDir,
  startGatewayWith,
  tempDir,
  waitFor,
} from "../test/helpers/devnet.ts";
import { LedgerModel, type MessageMetadata, type UtxoChanges } from "../test/helpers/ledger.ts";
import { metricValue } from "../test/helpers/mqtt.ts";
import { freePort } from "../test/helpers/peers.ts";
import { type Wallet, wallet } from "../test/helpers/transactions.ts";
import {
  numberOption as benchNumberOption,
  cpuOf,
  fmt,
  median,
  option,
  percentile,
  printHeader,
  report,
  rssOf,
} from "./_lib.ts";

// ---------------------------------------------------------------------------------------------------
// Options

const numberOption = (name: string, fallback: number, min = 0) =>
  benchNumberOption("soak", name, fallback, min);

const MINUTES = numberOption("--minutes", Number(process.env.STINGER_SOAK_MINUTES ?? 30), 0.1);
const SAMPLE_SECONDS = numberOption("--sample-seconds", 10, 1);
const SVG_PATH = option("--svg") ?? "docs/soak.svg";
const MIN_POW_SCORE = numberOption("--min-pow-score", 10, 1);
const READS_PER_SECOND = numberOption("--reads-per-second", 200);
const DATA_PER_SECOND = numberOption("--data-per-second", 4);
const POW_PER_SECOND = numberOption("--pow-per-second", 1);
const TRANSFERS_PER_SECOND = numberOption("--transfers-per-second", 5);

const DURATION_S = MINUTES * 60;
const WARMUP_S = DURATION_S >= 300 ? Math.max(60, 0.2 * DURATION_S) : 0.2 * DURATION_S;
/** prom-client's (and our own) event-loop monitor resolution: its histogram counts this delay too */
const LAG_RESOLUTION_MS = 10;
/** milestones a node keeps (pruning), milestone interval */
const KEEP_MILESTONES = 200;
const MILESTONE_INTERVAL = "1s";
/** the gateway takes nodes up to 2 milestones behind: reads of milestone data stay this far back */
const MILESTONE_SLACK = 3;
/** a data message is read back (from any node) only once it is this old */
const READ_AFTER_MS = 5000;
/** the ledger's outputs are kept near this many (consolidations above it, splits below) */
const TARGET_OUTPUTS = 40;
const WALLETS = 8;
/** a transfer not confirmed this long after its 201 is an error */
const CONFIRM_DEADLINE_MS = 60_000;
const INDEX = Buffer.from("stinger-soak");
const INDEX_HEX = INDEX.toString("hex");
const NETWORK_ID = networkIdFromName(CLUSTER_NETWORK);
/** answers that are refusals by design (rate limits, caps, a busy PoW pool): counted, not errors */
const BY_DESIGN = new Set([429, 503]);

// ---------------------------------------------------------------------------------------------------
// State

let stopping = false;
let interrupted = false;
let wakeStop: () => void = () => {};
const stopped = new Promise<void>((r) => (wakeStop = r));

function sleep(ms: number): Promise<void> {
  if (stopping || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void stopped.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

interface KindStats {
  statuses: Map<string, number>;
  latencies: number[];
}
const kinds = new Map<string, KindStats>();
const errors: string[] = [];
let errorCount = 0;
let requestsTotal = 0;
let byDesignTotal = 0;
const skipped = new Map<string, number>();

function fail(what: string): void {
  errorCount++;
  if (errors.length < 12) errors.push(what.slice(0, 600));
}

function count(kind: string, status: string, ms: number): void {
  let k = kinds.get(kind);
  if (!k) kinds.set(kind, (k = { statuses: new Map(), latencies: [] }));
  k.statuses.set(status, (k.statuses.get(status) ?? 0) + 1);
  k.latencies.push(ms);
  requestsTotal++;
}

let gatewayUrl = "";
let ca: Buffer = Buffer.alloc(0);
const agents: Agent[] = [];

/** A client of the gateway: its own source address (its own token bucket there), keep-alive connections. */
function client(localAddress: string, connections = 4): Agent {
  // Idle connections are dropped before the gateway's 5 s keep-alive timeout closes them.
  const a = new Agent({ localAddress, connect: { ca }, connections, keepAliveTimeout: 3000 });
  agents.push(a);
  return a;
}

interface Reply {
  status: number;
  text: string;
}

/** One request through the gateway, counted under `kind`; undefined on a connection error. */
async function call(
  kind: string,
  agent: Agent,
  path: string,
  post?: { body: Uint8Array | string; type: string },
): Promise<Reply | undefined> {
  const t0 = performance.now();
  try {
    const r = await request(`${gatewayUrl}${path}`, {
      method: post ? "POST" : "GET",
      body: post ? (typeof post.body === "string" ? post.body : Buffer.from(post.body)) : undefined,
      headers: post ? { "content-type": post.type } : {},
      dispatcher: agent,
      headersTimeout: 130_000,
      bodyTimeout: 30_000,
    });
    const text = await r.body.text();
    count(kind, String(r.statusCode), performance.now() - t0);
    if (BY_DESIGN.has(r.statusCode)) byDesignTotal++;
    else if (r.statusCode < 200 || r.statusCode > 299)
      fail(
        `${kind}: ${post ? "POST" : "GET"} ${path.slice(0, 120)} -> ${r.statusCode} ${text.slice(0, 300)}`,
      );
    return { status: r.statusCode, text };
  } catch (err) {
    count(kind, "connection error", performance.now() - t0);
    fail(`${kind}: ${post ? "POST" : "GET"} ${path.slice(0, 120)} -> ${String(err)}`);
    return undefined;
  }
}

function json<T>(r: Reply | undefined): T | undefined {
  if (r?.status !== 200) return undefined;
  try {
    return (JSON.parse(r.text) as { data: T }).data;
  } catch {
    fail(`not JSON: ${r.text.slice(0, 200)}`);
    return undefined;
  }
}

/**
 * Runs `task` `perSecond` times a second (an open loop: the rate does not drop when answers are slow),
 * at most `maxInFlight` at once; a due run finding that many under way is skipped and counted.
 */
async function paced(
  name: string,
  perSecond: number,
  maxInFlight: number,
  task: () => Promise<void>,
): Promise<void> {
  if (perSecond <= 0) return;
  const inflight = new Set<Promise<void>>();
  let start = performance.now();
  for (let i = 0; !stopping; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    // Far behind (the machine stalled): start the schedule again instead of a burst to catch up.
    if (wait < -1000) {
      start = performance.now();
      i = 0;
    }
    await sleep(wait);
    if (stopping) break;
    if (inflight.size >= maxInFlight) {
      skipped.set(name, (skipped.get(name) ?? 0) + 1);
      continue;
    }
    const p: Promise<void> = task()
      .catch((err: unknown) => fail(`${name}: ${(err as Error).stack ?? String(err)}`))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
}

function pick<T>(xs: readonly T[]): T | undefined {
  return xs.length ? xs[Math.floor(Math.random() * xs.length)] : undefined;
}

// ---------------------------------------------------------------------------------------------------
// What the load knows about the network

/** data messages the gateway accepted (201), newest last, with when */
const recentMessages: { id: string; at: number }[] = [];
/** confirmed transfers: [message ID, transaction ID], newest last */
const recentTransfers: [string, string][] = [];
/** the highest confirmed milestone index any node reported */
let confirmedIndex = 0;
/** when the tracker first saw each milestone confirmed (for the transfers' confirmation time) */
const confirmedAt = new Map<number, number>();

function remember<T>(list: T[], item: T, max = 400): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/** A data message old enough to be on every node (gossip), and young enough not to be pruned. */
function oldEnoughMessage(): string | undefined {
  const now = Date.now();
  const ok = recentMessages.filter((m) => now - m.at >= READ_AFTER_MS);
  return pick(ok.slice(-200))?.id;
}

let model: LedgerModel;
let wallets: Wallet[] = [];

// ---------------------------------------------------------------------------------------------------
// Load

/** the read load comes from several clients: one would exceed the gateway's default 100 requests/s */
const READ_CLIENTS = 4;
let readAgents: Agent[] = [];
let readTurn = 0;
const READS: [weight: number, kind: string, path: () => string | undefined][] = [
  [3, "info", () => "/api/v1/info"],
  [2, "tips", () => "/api/v1/tips"],
  [3, "message", () => ((id) => id && `/api/v1/messages/${id}`)(oldEnoughMessage())],
  [3, "metadata", () => ((id) => id && `/api/v1/messages/${id}/metadata`)(oldEnoughMessage())],
  [1, "children", () => ((id) => id && `/api/v1/messages/${id}/children`)(oldEnoughMessage())],
  [
    2,
    "milestone",
    () => {
      const top = confirmedIndex - MILESTONE_SLACK;
      if (top < 1) return undefined;
      const low = Math.max(1, top - 100);
      return `/api/v1/milestones/${low + Math.floor(Math.random() * (top - low + 1))}`;
    },
  ],
  [2, "output", () => ((c) => c && `/api/v1/outputs/${c.id}`)(pick([...model.unspent.values()]))],
  [1, "address", () => `/api/v1/addresses/ed25519/${toHex(pick(wallets)!.address)}`],
  [1, "address outputs", () => `/api/v1/addresses/ed25519/${toHex(pick(wallets)!.address)}/outputs`],
  [
    1,
    "transaction included message",
    () => ((t) => t && `/api/v1/transactions/${t[1]}/included-message`)(pick(recentTransfers.slice(-100))),
  ],
  [0.5, "index search", () => `/api/v1/messages?index=${INDEX_HEX}`],
];
const READ_WEIGHT = READS.reduce((n, r) => n + r[0], 0);

async function oneRead(): Promise<void> {
  let x = Math.random() * READ_WEIGHT;
  let chosen = READS[0]!;
  for (const r of READS) {
    x -= r[0];
    if (x < 0) {
      chosen = r;
      break;
    }
  }
  // Nothing to read of that kind yet (early in the run): ask for the node info instead.
  const path = chosen[2]() ?? "/api/v1/info";
  const agent = readAgents[readTurn++ % readAgents.length]!;
  await call(path === "/api/v1/info" ? "info" : chosen[1], agent, path);
}

async function tipsVia(agent: Agent): Promise<Uint8Array[] | undefined> {
  const tips = json<{ tipMessageIds: string[] }>(await call("tips", agent, "/api/v1/tips"));
  return tips?.tipMessageIds.map((t) => fromHex(t, 32));
}

/** The client's PoW: the node's own worker-thread miner (WebAssembly), off the bench's event loop. */
let pow: PowPool | undefined;

/**
 * The message with its PoW done here, on the tips `agent` reads. Nonce 0 would ask the node for remote
 * PoW: such a find (about one in 3^8 at score 10) is mined again on other tips.
 */
async function mined(
  agent: Agent,
  payload: TransactionPayload | IndexationPayload,
): Promise<Uint8Array | undefined> {
  for (;;) {
    const parents = await tipsVia(agent);
    if (!parents) return undefined;
    const bytes = serializeMessage({ networkId: NETWORK_ID, parents, payload, nonce: 0n });
    const nonce = await pow!.mine(bytes, MIN_POW_SCORE);
    if (nonce === null) throw new Error("no nonce found");
    if (nonce === 0n) continue;
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(
      bytes.length - 8,
      nonce,
      true,
    );
    return bytes;
  }
}

let dataSeq = 0;
let dataLocalAgent: Agent;
let dataRemoteAgent: Agent;

function dataBytes(kind: string): Buffer {
  return Buffer.from(`${kind} ${++dataSeq} ${Date.now()}`);
}

function acceptedId(r: Reply | undefined): string | undefined {
  if (r?.status !== 201) return undefined;
  return (JSON.parse(r.text) as { data: { messageId: string } }).data.messageId;
}

async function dataLocalPow(): Promise<void> {
  const bytes = await mined(dataLocalAgent, { type: 2, index: INDEX, data: dataBytes("local") });
  if (!bytes) return;
  const r = await call("submit data, local PoW", dataLocalAgent, "/api/v1/messages", {
    body: bytes,
    type: "application/octet-stream",
  });
  const id = acceptedId(r);
  if (id && id !== toHex(messageId(bytes)))
    fail(`submit answered message ID ${id} for ${toHex(messageId(bytes))}`);
  if (id) remember(recentMessages, { id, at: Date.now() });
}

async function dataRemotePow(): Promise<void> {
  const body = JSON.stringify({
    payload: { type: 2, index: INDEX_HEX, data: dataBytes("remote").toString("hex") },
  });
  const r = await call("submit data, remote PoW", dataRemoteAgent, "/api/v1/messages", {
    body,
    type: "application/json",
  });
  const id = acceptedId(r);
  if (id) remember(recentMessages, { id, at: Date.now() });
}

let transferAgent: Agent;
/** transfers answered 201 and not confirmed yet: message ID -> when */
const pendingTransfers = new Map<string, number>();
const confirmLatencies: number[] = [];
let transfersSent = 0;
let transfersConfirmed = 0;
let transfersChecked = 0;
let transfersRefused = 0;
let transfersNoCoin = 0;
const transferChecks = new Set<Promise<void>>();

/** A value transfer: splits an output (pay a third to another wallet, the rest back) or merges two. */
async function oneTransfer(): Promise<void> {
  const merge = model.unspent.size > TARGET_OUTPUTS;
  const inputs = model.take(merge ? 2 : 1);
  if (inputs.length === 0) {
    transfersNoCoin++;
    return;
  }
  const { tx, transactionId, outputs } = model.build(inputs, model.payments(inputs, inputs.length === 1));
  const bytes = await mined(transferAgent, tx);
  if (!bytes) {
    model.release(inputs);
    return;
  }
  const id = toHex(messageId(bytes));
  model.send({ messageId: id, transactionId, inputs, outputs, node: -1 });
  transfersSent++;
  const r = await call("submit transfer", transferAgent, "/api/v1/messages", {
    body: bytes,
    type: "application/octet-stream",
  });
  if (r?.status === 201) pendingTransfers.set(id, Date.now());
  else if (r) {
    // Refused (by design or not, call() has judged): its coins are free again.
    transfersRefused++;
    model.forget(id);
  } else model.sent.get(id)!.state = "cut";
}

let trackerAgent: Agent;

/** A confirmed transfer, a few seconds later (every node has the milestone): its metadata says "included". */
function checkIncluded(id: string): void {
  const p: Promise<void> = (async () => {
    await new Promise((r) => setTimeout(r, MILESTONE_SLACK * 1000));
    const meta = json<MessageMetadata>(
      await call("metadata, confirmed transfer", trackerAgent, `/api/v1/messages/${id}/metadata`),
    );
    if (!meta) return;
    transfersChecked++;
    if (meta.ledgerInclusionState !== "included")
      fail(`transfer ${id} confirmed in the UTXO diff, but its metadata says ${JSON.stringify(meta)}`);
  })().finally(() => transferChecks.delete(p));
  transferChecks.add(p);
}

let trackerStopping = false;

/**
 * Follows the confirmed milestones through the gateway: the node info for the confirmed index, then
 * each milestone's UTXO diff (MILESTONE_SLACK behind it) into the ledger model, which books the
 * transfers it includes.
 */
async function tracker(): Promise<void> {
  while (!trackerStopping) {
    const i = json<{ confirmedMilestoneIndex: number }>(await call("info", trackerAgent, "/api/v1/info"));
    if (i) for (; confirmedIndex < i.confirmedMilestoneIndex; ) confirmedAt.set(++confirmedIndex, Date.now());
    while (!trackerStopping && model.appliedIndex + 1 <= confirmedIndex - MILESTONE_SLACK) {
      const next = model.appliedIndex + 1;
      const diff = json<UtxoChanges>(
        await call("milestone utxo-changes", trackerAgent, `/api/v1/milestones/${next}/utxo-changes`),
      );
      if (!diff) break;
      model.apply(diff);
      confirmedAt.delete(next - 1);
      for (const [id, at] of pendingTransfers) {
        const inc = model.included.get(id);
        if (!inc) continue;
        pendingTransfers.delete(id);
        transfersConfirmed++;
        confirmLatencies.push((confirmedAt.get(inc.milestone) ?? Date.now()) - at);
        remember(recentTransfers, [id, inc.transfer.transactionId]);
        checkIncluded(id);
      }
    }
    const now = Date.now();
    for (const [id, at] of pendingTransfers)
      if (now - at > CONFIRM_DEADLINE_MS) {
        pendingTransfers.delete(id);
        fail(`transfer ${id} not confirmed ${CONFIRM_DEADLINE_MS / 1000} s after its 201`);
      }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------------------------------------------
// MQTT subscribers (WebSocket through the gateway)

interface Subscriber {
  name: string;
  filters: string[];
  client: MqttClient;
  received: number;
  connects: number;
  drops: number;
}
const subscribers: Subscriber[] = [];

async function subscribe(name: string, filters: string[], localAddress: string): Promise<Subscriber> {
  const url = `${gatewayUrl.replace(/^https/, "wss")}/mqtt`;
  const client = mqttConnect(url, {
    clientId: `soak-${name}-${process.pid}`,
    reconnectPeriod: 2000,
    connectTimeout: 15_000,
    wsOptions: { ca, localAddress },
  });
  const s: Subscriber = { name, filters, client, received: 0, connects: 0, drops: 0 };
  client.on("message", () => s.received++);
  // A reconnect subscribes again by itself (mqtt.js resubscribe).
  client.on("connect", () => s.connects++);
  client.on("close", () => {
    if (stopping) return;
    s.drops++;
    fail(`MQTT subscriber ${name}: connection closed (${s.drops} so far)`);
  });
  client.on("error", (err) => fail(`MQTT subscriber ${name}: ${String(err)}`));
  await waitFor(async () => s.connects > 0, 20_000, `MQTT subscriber ${name} connected`);
  await new Promise<void>((resolve, reject) =>
    client.subscribe(filters, { qos: 0 }, (err, granted) => {
      if (err) reject(err);
      else if (granted.some((g) => g.qos === 128)) reject(new Error(`${name}: subscription refused`));
      else resolve();
    }),
  );
  subscribers.push(s);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Sampling

interface Sample {
  /** seconds since the load started */
  t: number;
  rss: number;
  anon: number;
  fds: number;
  /** the interval's event-loop lag p99 (ms), null when it could not be read */
  lag: number | null;
  /** CPU since the previous sample, percent of one core */
  cpu: number;
}

interface Watched {
  name: string;
  pid: number;
  /** its Prometheus endpoint and the lag metric's name there; none for the bench itself */
  metrics?: { url: string; name: string };
  samples: Sample[];
  lastCpu: number;
  lastAt: number;
}

const watched: Watched[] = [];
const ownLag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
ownLag.enable();

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function lagMs(p99Seconds: number | undefined): number | null {
  if (p99Seconds === undefined || !Number.isFinite(p99Seconds)) return null;
  return Math.max(0, p99Seconds * 1000 - LAG_RESOLUTION_MS);
}

async function lagOf(w: Watched): Promise<number | null> {
  if (!w.metrics) {
    const v = ownLag.percentile(99) / 1e9;
    ownLag.reset();
    return lagMs(v);
  }
  try {
    const res = await fetch(w.metrics.url, { signal: AbortSignal.timeout(5000) });
    return lagMs(metricValue(await res.text(), w.metrics.name));
  } catch {
    return null;
  }
}

/** the whole machine's CPU time (all cores): busy and total jiffies, from /proc/stat */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - (f[4] ?? 0), total };
}
let lastMachine = machineCpu();
/** per sample after the first: the machine's busy share (percent of all cores) since the previous one */
const machineSamples: { t: number; busy: number }[] = [];

async function sampleAll(t: number): Promise<void> {
  const m = machineCpu();
  if (t > 0)
    machineSamples.push({
      t,
      busy: (100 * (m.busy - lastMachine.busy)) / Math.max(1, m.total - lastMachine.total),
    });
  lastMachine = m;
  await Promise.all(
    watched.map(async (w) => {
      const lag = await lagOf(w);
      const now = performance.now();
      const cpuNow = w.metrics ? cpuOf(w.pid) : ownCpuSeconds();
      const cpu = ((cpuNow - w.lastCpu) / Math.max(0.001, (now - w.lastAt) / 1000)) * 100;
      w.lastCpu = cpuNow;
      w.lastAt = now;
      const m = rssOf(w.pid);
      w.samples.push({ t, rss: m.rss, anon: m.anon, fds: readdirSync(`/proc/${w.pid}/fd`).length, lag, cpu });
    }),
  );
}

/** Least-squares slope of y over t (per second); 0 with fewer than two points. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function progressLine(t: number): string {
  const short = (w: Watched) => {
    const s = w.samples.at(-1)!;
    return `${w.name} ${fmt(s.rss)} MiB ${s.fds} fd ${s.lag === null ? "?" : fmt(s.lag, 1)} ms ${fmt(s.cpu)}%`;
  };
  const received = subscribers.reduce((n, s) => n + s.received, 0);
  return (
    `[${String(Math.round(t)).padStart(5)} s] ${watched.map(short).join(" | ")} || ` +
    `${fmt(requestsTotal)} req, ${errorCount} errors, ${byDesignTotal} 429/503; ` +
    `transfers ${transfersConfirmed}/${transfersSent} confirmed; mqtt ${fmt(received)}; milestone ${confirmedIndex}; machine ${fmt(machineSamples.at(-1)?.busy ?? 0)}% busy`
  );
}

// ---------------------------------------------------------------------------------------------------
// The plot

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f", "#9467bd"];

/** The RSS and FD slopes after the warm-up, for the plot's legend. */
function legendSlope(w: Watched): string {
  const steady = w.samples.filter((s) => s.t >= WARMUP_S);
  const per = (v: (s: Sample) => number) => slope(steady.map((s) => [s.t, v(s)])) * 3600;
  const signed = (v: number) => `${v >= 0 ? "+" : ""}${fmt(v, 1)}`;
  return `${signed(per((s) => s.rss))} MiB/h, ${signed(per((s) => s.fds))} FD/h`;
}

function svgPlot(title: string): string {
  const W = 720;
  const panelH = 170;
  const left = 56;
  const right = 150;
  const top = 34;
  const gap = 46;
  const plotW = W - left - right;
  const H = top + 14 + 2 * panelH + gap + 36;
  const tMax = Math.max(1, ...watched.flatMap((w) => w.samples.map((s) => s.t)));
  const x = (t: number) => left + (t / tMax) * plotW;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" role="img">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  const niceMax = (v: number) => {
    if (v <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v)!;
  };
  const panel = (y0: number, label: string, value: (s: Sample) => number) => {
    const yMax = niceMax(Math.max(...watched.flatMap((w) => w.samples.map(value))) * 1.1);
    const y = (v: number) => y0 + panelH - (v / yMax) * panelH;
    out.push(`<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(label)}</text>`);
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`,
        `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
      );
    }
    const minutes = tMax / 60;
    const step = niceMax(minutes / 6);
    for (let m = 0; m <= minutes + 1e-9; m += step) {
      const px = x(m * 60).toFixed(1);
      out.push(
        `<line x1="${px}" x2="${px}" y1="${y0 + panelH}" y2="${y0 + panelH + 4}" stroke="#333"/>`,
        `<text x="${px}" y="${y0 + panelH + 15}" text-anchor="middle">${fmt(m, step < 1 ? 1 : 0)}</text>`,
      );
    }
    out.push(
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${panelH}" fill="none" stroke="#333"/>`,
      `<line x1="${x(WARMUP_S).toFixed(1)}" x2="${x(WARMUP_S).toFixed(1)}" y1="${y0}" y2="${y0 + panelH}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
    watched.forEach((w, i) => {
      const pts = w.samples.map((s) => `${x(s.t).toFixed(1)},${y(value(s)).toFixed(1)}`).join(" ");
      out.push(
        `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${pts}"/>`,
      );
    });
  };
  panel(top + 14, "resident memory (MiB)", (s) => s.rss);
  panel(top + 14 + panelH + gap, "open file descriptors", (s) => s.fds);
  out.push(
    `<text x="${left + plotW / 2}" y="${H - 6}" text-anchor="middle">minutes (dashed: end of warm-up)</text>`,
  );
  watched.forEach((w, i) => {
    const ly = top + 30 + i * 30;
    out.push(
      `<line x1="${left + plotW + 12}" x2="${left + plotW + 32}" y1="${ly}" y2="${ly}" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`,
      `<text x="${left + plotW + 38}" y="${ly + 4}">${esc(w.name)}</text>`,
      `<text x="${left + plotW + 38}" y="${ly + 16}" fill="#555" font-size="9">${esc(legendSlope(w))}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Main

let cluster: GenesisCluster | undefined;
let gateway: RunningGateway | undefined;
const dir = tempDir("stinger-bench-soak-");
let cleaned = false;

async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const s of subscribers) s.client.end(true);
  await pow?.close();
  await Promise.all(agents.map((a) => a.destroy().catch(() => {})));
  await gateway?.stop();
  await cluster?.stop();
  removeDir(dir);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // A second Ctrl-C: leave now (owned.ts kills every child on exit).
    console.error(`bench soak: ${signal} again, exiting`);
    process.exit(130);
  }
  console.error(`bench soak: ${signal}, stopping the load and every process`);
  interrupted = true;
  stopping = true;
  wakeStop();
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

async function main(): Promise<number> {
  printHeader("soak");
  console.log(
    `# ${fmt(MINUTES, 1)} min, sample every ${SAMPLE_SECONDS} s, warm-up ${fmt(WARMUP_S)} s; ` +
      `minPoWScore ${MIN_POW_SCORE}, milestone every ${MILESTONE_INTERVAL}, pruning to ${KEEP_MILESTONES} milestones; ` +
      `load/s: ${READS_PER_SECOND} reads, ${DATA_PER_SECOND} data (local PoW), ${POW_PER_SECOND} data (remote PoW), ` +
      `${TRANSFERS_PER_SECOND} transfers; loadavg ${readFileSync("/proc/loadavg", "utf8").trim()}`,
  );
  const metricsPorts = [await freePort(), await freePort(), await freePort()];
  cluster = await startCluster(3, {
    genesis: true,
    minPoWScore: MIN_POW_SCORE,
    milestoneInterval: MILESTONE_INTERVAL,
    // The gateway names each client in X-Forwarded-For: the nodes' per-client PoW limits apply per client.
    restAPI: { trustedProxies: ["127.0.0.1"] },
    config: (i) => ({
      prometheus: { enabled: true, bindAddress: `127.0.0.1:${metricsPorts[i]}` },
      pruning: { milestones: { enabled: true, maxMilestonesToKeep: KEEP_MILESTONES } },
    }),
  });
  const cert = ensureDevCertificate(join(dir, "tls"));
  ca = readFileSync(cert.caFile);
  gateway = await startGatewayWith(
    join(dir, "gateway.json"),
    {
      bindAddress: "127.0.0.1:0",
      adminBindAddress: "127.0.0.1:0",
      upstreams: cluster.nodes.map((n) => ({ url: n.url, token: n.token })),
      tls: { certFile: cert.certFile, keyFile: cert.keyFile },
      logger: { level: "warn" },
    },
    { ca, logFile: join(dir, "gateway.log") },
  );
  gatewayUrl = gateway.url;
  console.log(`# gateway ${gatewayUrl} (1 worker) in front of ${cluster.nodes.map((n) => n.url).join(", ")}`);

  readAgents = Array.from({ length: READ_CLIENTS }, (_, i) => client(`127.0.0.${21 + i}`));
  dataLocalAgent = client("127.0.0.12");
  dataRemoteAgent = client("127.0.0.13");
  transferAgent = client("127.0.0.14");
  trackerAgent = client("127.0.0.15");
  pow = new PowPool(1, 64);
  wallets = [cluster.mint, ...Array.from({ length: WALLETS - 1 }, () => wallet(generateEd25519Seed()))];
  model = new LedgerModel(wallets, cluster.mint, TOTAL_SUPPLY);

  // Every node healthy and past the first milestone before the load starts.
  await waitFor(
    async () => {
      const infos = await Promise.all(
        cluster!.nodes.map((n) => fetch(`${n.url}/api/v1/info`).then((r) => r.json())),
      );
      return infos.every(
        (x) =>
          (x as { data: { isHealthy: boolean; confirmedMilestoneIndex: number } }).data.isHealthy &&
          (x as { data: { confirmedMilestoneIndex: number } }).data.confirmedMilestoneIndex >= 1,
      );
    },
    60_000,
    "every node healthy at milestone 1",
  );

  const addressTopic = (w: Wallet) => `addresses/ed25519/${toHex(w.address)}/outputs`;
  await subscribe("milestones", ["milestones/latest", "milestones/confirmed"], "127.0.0.16");
  await subscribe("messages", ["messages"], "127.0.0.16");
  await subscribe("referenced", ["messages/referenced"], "127.0.0.16");
  await subscribe("indexation", [`messages/indexation/${INDEX_HEX}`], "127.0.0.17");
  await subscribe("addresses", [addressTopic(wallets[1]!), addressTopic(wallets[2]!)], "127.0.0.17");
  await subscribe("included", ["transactions/+/included-message"], "127.0.0.17");

  for (const [i, n] of cluster.nodes.entries())
    watched.push({
      name: `node ${i}`,
      pid: n.running!.proc.pid!,
      metrics: {
        url: `http://127.0.0.1:${metricsPorts[i]}/metrics`,
        name: "stinger_node_process_nodejs_eventloop_lag_p99_seconds",
      },
      samples: [],
      lastCpu: 0,
      lastAt: 0,
    });
  watched.push({
    name: "gateway",
    pid: gateway.proc.pid!,
    metrics: { url: gateway.metricsUrl, name: "stinger_gateway_process_nodejs_eventloop_lag_p99_seconds" },
    samples: [],
    lastCpu: 0,
    lastAt: 0,
  });
  watched.push({ name: "bench", pid: process.pid, samples: [], lastCpu: 0, lastAt: 0 });
  // A first scrape resets every lag histogram and CPU counter: the samples cover the load only.
  await Promise.all(watched.map(lagOf));
  for (const w of watched) {
    w.lastCpu = w.metrics ? cpuOf(w.pid) : ownCpuSeconds();
    w.lastAt = performance.now();
  }

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const loops = [
    paced("reads", READS_PER_SECOND, 16, oneRead),
    paced("data, local PoW", DATA_PER_SECOND, 4, dataLocalPow),
    paced("data, remote PoW", POW_PER_SECOND, 2, dataRemotePow),
    paced("transfers", TRANSFERS_PER_SECOND, 8, oneTransfer),
  ];
  const tracking = tracker();
  await sampleAll(0);
  console.log(progressLine(0));
  for (let k = 1; !stopping; k++) {
    const due = Math.min(k * SAMPLE_SECONDS, DURATION_S);
    await sleep((due - elapsed()) * 1000);
    if (stopping) break;
    await sampleAll(elapsed());
    console.log(progressLine(elapsed()));
    if (due >= DURATION_S) break;
  }
  const loadSeconds = elapsed();
  stopping = true;
  wakeStop();
  await Promise.all(loops);
  // The last transfers: up to 30 s for their milestones (the tracker keeps reading the diffs).
  const drainDeadline = Date.now() + (interrupted ? 0 : 30_000);
  while (pendingTransfers.size > 0 && Date.now() < drainDeadline)
    await new Promise((r) => setTimeout(r, 250));
  trackerStopping = true;
  await tracking;
  await Promise.all([...transferChecks]);
  // Interrupted, the last transfers had no time to confirm: not an error of the network.
  if (!interrupted)
    for (const id of pendingTransfers.keys()) fail(`transfer ${id} not confirmed by the end of the run`);
  for (const p of model.problems.slice(0, 5)) fail(`ledger model: ${p}`);
  if (model.problems.length > 5) errorCount += model.problems.length - 5;

  // ---- results
  const after = (w: Watched) => w.samples.filter((s) => s.t >= WARMUP_S);
  const perHour = (w: Watched, value: (s: Sample) => number | null) =>
    slope(
      after(w)
        .filter((s) => value(s) !== null)
        .map((s) => [s.t, value(s)!] as [number, number]),
    ) * 3600;
  const processes = watched.map((w) => {
    const first = w.samples[0]!;
    const last = w.samples.at(-1)!;
    const lags = w.samples.map((s) => s.lag).filter((l): l is number => l !== null);
    const steady = after(w);
    return {
      name: w.name,
      pid: w.pid,
      rssStartMiB: first.rss,
      rssEndMiB: last.rss,
      rssMaxMiB: Math.max(...w.samples.map((s) => s.rss)),
      rssSlopeMiBPerHour: perHour(w, (s) => s.rss),
      anonSlopeMiBPerHour: perHour(w, (s) => s.anon),
      fdsStart: first.fds,
      fdsEnd: last.fds,
      fdsSlopePerHour: perHour(w, (s) => s.fds),
      lagP99MedianMs: lags.length ? median(lags) : null,
      lagP99MaxMs: lags.length ? Math.max(...lags) : null,
      lagSlopeMsPerHour: perHour(w, (s) => s.lag),
      cpuPercent: steady.length ? steady.reduce((n, s) => n + s.cpu, 0) / steady.length : 0,
    };
  });
  console.log(
    `\n## soak: ${fmt(loadSeconds / 60, 1)} min of load, ${watched[0]!.samples.length} samples every ${SAMPLE_SECONDS} s, ` +
      `slopes after the ${fmt(WARMUP_S)} s warm-up${interrupted ? " (interrupted)" : ""}`,
  );
  console.log(
    "| process | RSS start → end (max) MiB | RSS slope MiB/h | anon slope MiB/h | FDs start → end | FD slope /h | loop lag p99 median (max) ms | lag slope ms/h | CPU % |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  const signed = (v: number, d = 1) => `${v >= 0 ? "+" : ""}${fmt(v, d)}`;
  for (const p of processes)
    console.log(
      `| ${p.name} | ${fmt(p.rssStartMiB)} → ${fmt(p.rssEndMiB)} (${fmt(p.rssMaxMiB)}) | ${signed(p.rssSlopeMiBPerHour)} | ` +
        `${signed(p.anonSlopeMiBPerHour)} | ${p.fdsStart} → ${p.fdsEnd} | ${signed(p.fdsSlopePerHour)} | ` +
        `${p.lagP99MedianMs === null ? "?" : `${fmt(p.lagP99MedianMs, 1)} (${fmt(p.lagP99MaxMs!, 1)})`} | ` +
        `${signed(p.lagSlopeMsPerHour)} | ${fmt(p.cpuPercent)} |`,
    );
  const cpuTotal = processes.reduce((n, p) => n + p.cpuPercent, 0);
  const machine = machineSamples.filter((s) => s.t >= WARMUP_S);
  const machineBusy = machine.length ? machine.reduce((n, s) => n + s.busy, 0) / machine.length : 0;
  console.log(
    `CPU after warm-up: these processes ${fmt(cpuTotal)}% of one core; the machine ${fmt(machineBusy)}% busy (all ${cpus().length} cores)`,
  );

  console.log("\n| requests | count | per s | statuses | p50 ms | p99 ms |");
  console.log("|---|---:|---:|---|---:|---:|");
  const requests: Record<string, unknown> = {};
  for (const [kind, k] of [...kinds].sort((a, b) => a[0].localeCompare(b[0]))) {
    const n = k.latencies.length;
    const statuses = Object.fromEntries([...k.statuses].sort());
    requests[kind] = {
      count: n,
      perSecond: n / loadSeconds,
      statuses,
      p50Ms: percentile(k.latencies, 50),
      p99Ms: percentile(k.latencies, 99),
    };
    console.log(
      `| ${kind} | ${fmt(n)} | ${fmt(n / loadSeconds, 1)} | ${Object.entries(statuses)
        .map(([s, c]) => `${s}: ${c}`)
        .join(", ")} | ` +
        `${fmt(percentile(k.latencies, 50), 1)} | ${fmt(percentile(k.latencies, 99), 1)} |`,
    );
  }
  console.log(
    `all: ${fmt(requestsTotal)} requests (${fmt(requestsTotal / loadSeconds)}/s), ${byDesignTotal} refused by design (429/503)` +
      (skipped.size
        ? `; runs skipped (too many in flight): ${JSON.stringify(Object.fromEntries(skipped))}`
        : ""),
  );
  console.log(
    `transfers: ${transfersSent} sent, ${transfersConfirmed} confirmed (metadata "included" checked for ${transfersChecked}), ` +
      `${transfersRefused} refused, ${pendingTransfers.size} unconfirmed; confirmation p50/p99 ` +
      `${confirmLatencies.length ? `${fmt(percentile(confirmLatencies, 50))}/${fmt(percentile(confirmLatencies, 99))} ms` : "-"}; ` +
      `${transfersNoCoin} due with no free output; ledger ${model.unspent.size} outputs, milestone ${model.appliedIndex} applied`,
  );
  console.log(
    `MQTT (WebSocket through the gateway): ${subscribers
      .map((s) => `${s.name} ${fmt(s.received)}${s.drops ? ` (${s.drops} drops)` : ""}`)
      .join(", ")}`,
  );

  mkdirSync(dirname(SVG_PATH), { recursive: true });
  writeFileSync(
    SVG_PATH,
    svgPlot(
      `stinger soak: ${fmt(loadSeconds / 60, 1)} min, 3 nodes behind the gateway, ${fmt(requestsTotal / loadSeconds)} req/s`,
    ),
  );
  console.log(`plot: ${SVG_PATH}`);

  if (errorCount > 0) {
    console.log(`\n${errorCount} errors; the first ${errors.length}:`);
    for (const e of errors) console.log(`  ${e}`);
    const log = readFileSync(join(dir, "gateway.log"), "utf8").trim().split("\n").slice(-10).join("\n");
    if (log) console.log(`gateway log (last lines):\n${log}`);
    cluster.nodes.forEach((n, i) => {
      const tail = (n.running?.stderr() ?? "").trim().split("\n").slice(-5).join("\n");
      if (tail) console.log(`node ${i} log (last lines):\n${tail}`);
    });
  } else console.log("\nno errors");

  report({
    minutes: loadSeconds / 60,
    sampleSeconds: SAMPLE_SECONDS,
    warmupSeconds: WARMUP_S,
    minPoWScore: MIN_POW_SCORE,
    interrupted,
    processes,
    machineCpuBusyPercent: machineBusy,
    samples: Object.fromEntries(watched.map((w) => [w.name, w.samples])),
    requests,
    requestsTotal,
    byDesign: byDesignTotal,
    errors: errorCount,
    firstErrors: errors,
    transfers: {
      sent: transfersSent,
      confirmed: transfersConfirmed,
      checkedIncluded: transfersChecked,
      refused: transfersRefused,
      unconfirmed: pendingTransfers.size,
      confirmP50Ms: confirmLatencies.length ? percentile(confirmLatencies, 50) : null,
      confirmP99Ms: confirmLatencies.length ? percentile(confirmLatencies, 99) : null,
    },
    mqtt: Object.fromEntries(subscribers.map((s) => [s.name, { received: s.received, drops: s.drops }])),
  });
  return interrupted ? 130 : errorCount > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`bench soak: ${(err as Error).stack ?? String(err)}`);
  code = interrupted ? 130 : 1;
} finally {
  stopping = true;
  trackerStopping = true;
  wakeStop();
  await cleanup();
}
process.exit(code);
