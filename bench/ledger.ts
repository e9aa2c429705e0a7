import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Ledger } from "../src/node/ledger/ledger.ts";
import type { LedgerOutput } from "../src/node/ledger/records.ts";
import { type ConeAccess, INCLUSION, whiteFlag } from "../src/node/ledger/white-flag.ts";
import { type SnapshotOutput, writeSnapshotFile } from "../src/node/snapshot/snapshot-file.ts";
import { Store } from "../src/node/store/store.ts";
import { NULL_MESSAGE_ID } from "../src/node/tangle/tangle.ts";
import { ed25519Address, encodeAddress } from "../src/protocol/bech32.ts";
import { blake2b256 } from "../src/protocol/blake2b.ts";
import { mineNonceBitsliced } from "../src/protocol/curl/bitsliced.ts";
import { powDigest, powScore, targetTrailingZeros } from "../src/protocol/curl/pow.ts";
import { loadCurlWasm } from "../src/protocol/curl/wasm/index.ts";
import { ed25519PublicKey, ed25519Verify, ed25519VerifyBatch } from "../src/protocol/ed25519.ts";
import { toHex } from "../src/protocol/hex.ts";
import { merkleRoot } from "../src/protocol/merkle.ts";
import {
  messageId,
  networkIdFromName,
  outputId,
  serializeMessage,
  transactionEssenceHash,
} from "../src/protocol/message.ts";
import { signMilestone } from "../src/protocol/milestone.ts";
import { TOTAL_SUPPLY } from "../src/protocol/params.ts";
import { buildTransaction } from "../src/protocol/transaction-builder.ts";
import type { Message, SignatureUnlockBlock, TransactionPayload } from "../src/protocol/types.ts";
import { startDevnet } from "../test/helpers/devnet.ts";
import { inProcessTangle } from "../test/helpers/tangle.ts";
import { cpuOf, fmt, median, printHeader, report } from "./_lib.ts";

const env = (name: string, fallback: number) => Number(process.env[`BENCH_LEDGER_${name}`] ?? fallback);
/** transfers per milestone */
const TXS = env("TXS", 1000);
/** milestones; the first one is a warm-up and not counted */
const MILESTONES = env("MILESTONES", 6);
/** funded addresses in the devnet's ledger */
const ADDRESSES = env("ADDRESSES", 100_000);
const SECONDS = env("SECONDS", 10);
const ROUNDS = env("ROUNDS", 3);
/** messages of each kind per ingest round */
const INGEST = env("INGEST", 4000);
const CONNECTIONS = env("CONNECTIONS", 32);
const WARM_UP = 500;
const PARTS = (process.env.BENCH_LEDGER_PARTS ?? "confirm,reads,ingest").split(",");
/** a folder: write CPU profiles (main thread) of the in-process milestones 2.. there, both paths */
const PROFILE_DIR = process.env.BENCH_LEDGER_PROFILE;

const QUIET = ["--log-level", "warn"];
const NETWORK = "private_tangle1"; // the devnet's network
const NETWORK_ID = networkIdFromName(NETWORK);
const MI = 1_000_000n;
/** every funded output holds 10 Mi; a transfer pays 1 Mi and sends 9 Mi to a change address */
const FUNDED = 10n * MI;
const GOAL_CONFIRM = 2000;
const GOAL_READS = 15_000;
const utf8 = new TextEncoder();

// ---- helpers -----------------------------------------------------------------------------------------

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function spread(xs: number[], digits = 0): string {
  return `median ${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
}

/** Deterministic 32 bytes per (tag, i): seeds, IDs and throwaway addresses. */
function bytes32(tag: string, i: number): Uint8Array {
  return blake2b256(utf8.encode(`stinger-bench-ledger:${tag}:${i}`));
}

interface Transfer {
  tx: TransactionPayload;
  /** the output it spends, as the ledger holds it */
  funded: LedgerOutput;
}

/**
 * A 1-input-2-output transfer signed by buildTransaction: it spends a 10 Mi output of its own address
 * (one seed per transfer, so every signature has its own public key) and pays 1 Mi plus 9 Mi change to
 * two fresh addresses.
 */
function makeTransfer(tag: string, i: number): Transfer {
  const fundedId = outputId(bytes32(`${tag}:funding-tx`, i), 0);
  const tx = buildTransaction(
    [{ outputId: fundedId, seed: bytes32(`${tag}:seed`, i) }],
    [
      { type: 0, address: { type: 0, address: bytes32(`${tag}:pay`, i) }, amount: MI },
      { type: 0, address: { type: 0, address: bytes32(`${tag}:change`, i) }, amount: FUNDED - MI },
    ],
  );
  const publicKey = (tx.unlockBlocks[0] as SignatureUnlockBlock).signature.publicKey;
  return {
    tx,
    funded: {
      outputId: fundedId,
      messageId: NULL_MESSAGE_ID,
      outputType: 0,
      address: ed25519Address(publicKey),
      amount: FUNDED,
      bookedAt: 0,
    },
  };
}

function makeTransfers(tag: string, count: number): Transfer[] {
  const started = performance.now();
  const out: Transfer[] = [];
  for (let i = 0; i < count; i++) out.push(makeTransfer(tag, i));
  console.log(
    `# signed ${fmt(count)} transfers with buildTransaction in ${fmt((performance.now() - started) / 1000, 1)} s`,
  );
  return out;
}

function sortedUnique(ids: Uint8Array[]): Uint8Array[] {
  const byHex = new Map(ids.map((id) => [toHex(id), id]));
  return [...byHex.keys()].sort().map((k) => byHex.get(k)!);
}

function message(parents: Uint8Array[], payload: Message["payload"]): Uint8Array {
  return serializeMessage({ networkId: NETWORK_ID, parents: sortedUnique(parents), payload, nonce: 0n });
}

const wasm = loadCurlWasm();

/** Local PoW for `score`: the nonce goes into the message's last 8 bytes. */
function mine(bytes: Uint8Array, score: number): Uint8Array {
  const target = targetTrailingZeros(bytes.length, score);
  const digest = powDigest(bytes);
  const nonce = wasm
    ? wasm.mineNonce(digest, target, 1n, 1 << 30)
    : mineNonceBitsliced(digest, target, 1n, 1 << 30);
  if (nonce === null) throw new Error("no nonce found");
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setBigUint64(out.length - 8, nonce, true);
  if (powScore(out) < score) throw new Error("mined nonce does not reach the score");
  return out;
}

/** An indexation message of exactly `length` bytes (its data fills the rest), unique per `n`. */
function indexationMessage(parent: Uint8Array, n: number, length: number): Uint8Array {
  const make = (dataLength: number) => {
    const data = new Uint8Array(dataLength);
    new DataView(data.buffer).setUint32(0, n, true);
    return message([parent], { type: 2, index: utf8.encode("bench-ledger"), data });
  };
  const probe = make(8);
  return make(8 + length - probe.length);
}

// ---- 1. confirmation in process ----------------------------------------------------------------------

interface Milestone {
  index: number;
  parents: Uint8Array[];
  /** transaction messages, each with the one or two messages before it as parents */
  messages: { id: Uint8Array; bytes: Uint8Array }[];
}

function buildMilestones(transfers: Transfer[]): Milestone[] {
  const out: Milestone[] = [];
  let prev: Uint8Array[] = [NULL_MESSAGE_ID, NULL_MESSAGE_ID];
  for (let k = 0; k < MILESTONES; k++) {
    const messages: Milestone["messages"] = [];
    for (let i = 0; i < TXS; i++) {
      const bytes = message([prev[0]!, prev[1]!], transfers[k * TXS + i]!.tx);
      const id = messageId(bytes);
      messages.push({ id, bytes });
      prev = [prev[1]!, id];
    }
    out.push({ index: k + 1, parents: sortedUnique(prev), messages });
  }
  return out;
}

function newLedger(tag: string): { dir: string; store: Store; ledger: Ledger } {
  const dir = mkdtempSync(join(tmpdir(), `stinger-bench-ledger-${tag}-`));
  const store = new Store(dir);
  return { dir, store, ledger: new Ledger(store.root) };
}

/** With BENCH_LEDGER_PROFILE: a CPU profile (V8's sampling profiler, as --cpu-prof) of the main thread. */
async function profiler(name: string): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  if (!PROFILE_DIR) return { start: async () => {}, stop: async () => {} };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: async () => {
      await session.post("Profiler.start");
    },
    async stop() {
      const { profile } = await session.post("Profiler.stop");
      mkdirSync(PROFILE_DIR, { recursive: true });
      const file = join(PROFILE_DIR, `ledger-${name}-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      console.log(`# CPU profile of ${name}, milestones 2..${MILESTONES} (main thread): ${file}`);
      session.disconnect();
    },
  };
}

interface Timing {
  ms: number;
  cpuMs: number;
}

function measure<T>(f: () => Promise<T>): Promise<{ value: T } & Timing> {
  const c0 = cpuMicros();
  const t0 = performance.now();
  return f().then((value) => ({ value, ms: performance.now() - t0, cpuMs: (cpuMicros() - c0) / 1000 }));
}

/** White flag over a Map of message bytes, then the ledger apply in its own LMDB write transaction. */
async function confirmFromMap(milestones: Milestone[], transfers: Transfer[]) {
  const { dir, store, ledger } = newLedger("map");
  try {
    await ledger.loadSnapshot(
      transfers.map((t) => t.funded),
      { milestoneId: new Uint8Array(32), amount: 0n },
      0,
    );
    const bytes = new Map<string, Uint8Array>();
    for (const ms of milestones) for (const m of ms.messages) bytes.set(toHex(m.id), m.bytes);
    const referenced = new Set<string>([toHex(NULL_MESSAGE_ID)]);
    const cone: ConeAccess = {
      bytes: (id) => bytes.get(toHex(id)),
      isReferenced: (id) => referenced.has(toHex(id)),
    };
    const prof = await profiler("white-flag-apply");
    const rows: { whiteFlag: Timing; apply: Timing }[] = [];
    const included: Uint8Array[][] = [];
    for (const ms of milestones) {
      if (ms.index === 2) await prof.start();
      const wf = await measure(() => whiteFlag(ms.parents, cone, ledger, ms.index));
      const r = wf.value;
      if (!r) throw new Error(`milestone ${ms.index}: cone not complete`);
      const conflicting = r.entries.filter((e) => e.inclusion !== INCLUSION.included);
      if (r.includedTransactions.length !== TXS || conflicting.length > 0)
        throw new Error(
          `milestone ${ms.index}: ${r.includedTransactions.length} of ${TXS} included, reasons ${conflicting
            .slice(0, 3)
            .map((e) => e.conflictReason)}`,
        );
      const apply = await measure(() =>
        store.root.transaction(() => ledger.applyInTransaction(ms.index, r.mutations)),
      );
      for (const e of r.entries) referenced.add(toHex(e.id));
      rows.push({ whiteFlag: wf, apply });
      included.push(r.includedTransactions);
    }
    await prof.stop();
    const check = ledger.verify();
    if (check.problems.length > 0) throw new Error(`ledger verify: ${check.problems.slice(0, 3).join("; ")}`);
    return { rows: rows.slice(1), included };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The node's path: messages stored by Tangle.submit, then each milestone submitted and confirmed. */
async function confirmThroughTangle(
  milestones: Milestone[],
  transfers: Transfer[],
  included: Uint8Array[][],
) {
  const { dir, store, ledger } = newLedger("tangle");
  const cooSeed = bytes32("coordinator", 0);
  try {
    await ledger.loadSnapshot(
      transfers.map((t) => t.funded),
      { milestoneId: new Uint8Array(32), amount: 0n },
      0,
    );
    const { tangle } = inProcessTangle(
      store,
      { networkId: NETWORK_ID, keyRanges: [{ key: ed25519PublicKey(cooSeed), start: 0, end: 0 }] },
      { ledger },
    );
    await tangle.start();
    const all = milestones.flatMap((ms) => ms.messages);
    for (let i = 0; i < all.length; i += 256)
      await Promise.all(all.slice(i, i + 256).map((m) => tangle.submit(m.bytes, "gossip", m.id)));
    await tangle.idle();
    if (!store.getMeta(all[all.length - 1]!.id)?.s) throw new Error("stored messages did not become solid");
    const rows: Timing[] = [];
    const prof = await profiler("tangle-confirm");
    for (const ms of milestones) {
      if (ms.index === 2) await prof.start();
      const payload = signMilestone(
        {
          index: ms.index,
          timestamp: Math.floor(Date.now() / 1000),
          parents: ms.parents,
          inclusionMerkleProof: merkleRoot(included[ms.index - 1]!),
        },
        [cooSeed],
      );
      const bytes = serializeMessage({ networkId: NETWORK_ID, parents: ms.parents, payload, nonce: 0n });
      const t = await measure(() => tangle.submit(bytes, "gossip"));
      if (tangle.confirmedMilestoneIndex !== ms.index)
        throw new Error(`milestone ${ms.index} not confirmed: ${JSON.stringify(tangle.halted)}`);
      rows.push(t);
    }
    await prof.stop();
    const last = milestones[milestones.length - 1]!.messages[TXS - 1]!.id;
    if (store.getMeta(last)?.l !== INCLUSION.included) throw new Error("last transfer not included");
    await tangle.close();
    return rows.slice(1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ed25519 limits on the same signatures: one core, node:crypto; and the thread-pool batch. */
async function verifyLimits(transfers: Transfer[]) {
  const items = transfers.slice(0, Math.min(2000, transfers.length)).map((t) => {
    const u = t.tx.unlockBlocks[0] as SignatureUnlockBlock;
    return {
      publicKey: u.signature.publicKey,
      message: transactionEssenceHash(t.tx.essence),
      signature: u.signature.signature,
    };
  });
  const n = items.length;
  const SPKI = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
  const importSpki = (pk: Uint8Array) =>
    createPublicKey({ key: Buffer.concat([SPKI, pk]), format: "der", type: "spki" });
  const keys: KeyObject[] = items.map((i) => importSpki(i.publicKey));
  const rates = { verify: [] as number[], importSpki: [] as number[], importJwk: [] as number[] };
  const ours = { sync: [] as number[], batchWall: [] as number[], batchCpu: [] as number[] };
  for (let round = 0; round < 3; round++) {
    // Thread-pool batch first: the sync ed25519Verify below leaves keys in its 64-entry cache.
    let c = cpuMicros();
    const t = performance.now();
    const results = await ed25519VerifyBatch(items);
    ours.batchWall.push(n / ((performance.now() - t) / 1000));
    ours.batchCpu.push(n / ((cpuMicros() - c) / 1e6));
    if (results.some((ok) => !ok)) throw new Error("a signature did not verify");
    c = cpuMicros();
    for (let i = 0; i < n; i++) verify(null, items[i]!.message, keys[i]!, items[i]!.signature);
    rates.verify.push(n / ((cpuMicros() - c) / 1e6));
    c = cpuMicros();
    for (let i = 0; i < n; i++) importSpki(items[i]!.publicKey);
    rates.importSpki.push(n / ((cpuMicros() - c) / 1e6));
    c = cpuMicros();
    for (let i = 0; i < n; i++)
      createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(items[i]!.publicKey).toString("base64url") },
        format: "jwk",
      });
    rates.importJwk.push(n / ((cpuMicros() - c) / 1e6));
    c = cpuMicros();
    for (let i = 0; i < n; i++) ed25519Verify(items[i]!.publicKey, items[i]!.message, items[i]!.signature);
    ours.sync.push(n / ((cpuMicros() - c) / 1e6));
  }
  return { n, rates, ours };
}

async function confirmPart(): Promise<Record<string, unknown>> {
  const transfers = makeTransfers("confirm", TXS * MILESTONES);
  const milestones = buildMilestones(transfers);
  const map = await confirmFromMap(milestones, transfers);
  const tangle = await confirmThroughTangle(milestones, transfers, map.included);
  const limits = await verifyLimits(transfers);

  const perSecond = (xs: number[]) => xs.map((ms) => TXS / (ms / 1000));
  const cpuPer = (xs: number[]) => xs.map((cpuMs) => (cpuMs * 1000) / TXS);
  const wfRate = perSecond(map.rows.map((r) => r.whiteFlag.ms));
  const wfCpu = cpuPer(map.rows.map((r) => r.whiteFlag.cpuMs));
  const bothRate = perSecond(map.rows.map((r) => r.whiteFlag.ms + r.apply.ms));
  const bothCpu = cpuPer(map.rows.map((r) => r.whiteFlag.cpuMs + r.apply.cpuMs));
  const applyMs = map.rows.map((r) => r.apply.ms);
  const applyCpu = cpuPer(map.rows.map((r) => r.apply.cpuMs));
  const tangleRate = perSecond(tangle.map((r) => r.ms));
  const tangleCpu = cpuPer(tangle.map((r) => r.cpuMs));
  const perCore = (cpuUs: number[]) => 1e6 / median(cpuUs);
  const measured = MILESTONES - 1;
  console.log(
    `milestones of ${fmt(TXS)} transfers (1 input, 2 outputs, distinct keys), ${measured} measured after 1 warm-up; ` +
      "CPU = process.cpuUsage (all threads)",
  );
  console.log(
    `  white flag (Map cone, signatures on the thread pool): ${spread(wfRate)} transfers/s; ` +
      `CPU ${spread(wfCpu)} µs/transfer = ${fmt(perCore(wfCpu))} transfers/s per core`,
  );
  console.log(
    `  white flag + LMDB apply transaction: ${spread(bothRate)} transfers/s; CPU ${spread(bothCpu)} µs/transfer ` +
      `= ${fmt(perCore(bothCpu))} transfers/s per core (apply alone ${spread(applyMs, 1)} ms per milestone, CPU ${spread(applyCpu)} µs/transfer)`,
  );
  console.log(
    `  Tangle.submit(milestone) → confirmed (LMDB cone reads, metadata + ledger in one transaction): ${spread(tangleRate)} ` +
      `transfers/s; CPU ${spread(tangleCpu)} µs/transfer = ${fmt(perCore(tangleCpu))} transfers/s per core`,
  );
  console.log(
    `  goal ≥ ${fmt(GOAL_CONFIRM)} transfers/s per core: white flag + apply ${fmt(perCore(bothCpu) / GOAL_CONFIRM, 2)}×, ` +
      `Tangle path ${fmt(perCore(tangleCpu) / GOAL_CONFIRM, 2)}×`,
  );
  const { n, rates, ours } = limits;
  console.log(`limit: Ed25519 on the same ${fmt(n)} signatures (distinct keys), 3 rounds, per CPU-second:`);
  console.log(`  node:crypto verify, KeyObject ready (sync, 1 core): ${spread(rates.verify)} /s`);
  console.log(
    `  node:crypto createPublicKey from SPKI DER: ${spread(rates.importSpki)} /s; from JWK (what ed25519.ts does per new key): ${spread(rates.importJwk)} /s`,
  );
  console.log(`  ed25519Verify (stinger, sync: JWK import + verify): ${spread(ours.sync)} /s`);
  console.log(
    `  ed25519VerifyBatch (thread pool): ${spread(ours.batchWall)} /s wall, ${spread(ours.batchCpu)} /s per CPU-second`,
  );
  return {
    txsPerMilestone: TXS,
    milestones: measured,
    whiteFlag: { rate: wfRate, cpuUsPerTransfer: wfCpu },
    whiteFlagApply: { rate: bothRate, cpuUsPerTransfer: bothCpu, applyMs, applyCpuUsPerTransfer: applyCpu },
    tangleConfirm: { rate: tangleRate, cpuUsPerTransfer: tangleCpu },
    ed25519: {
      signatures: n,
      ...rates,
      stingerSync: ours.sync,
      batchWall: ours.batchWall,
      batchCpu: ours.batchCpu,
    },
  };
}

// ---- 2. and 3. a devnet with 100k funded addresses -------------------------------------------------

async function writeLedgerSnapshot(path: string, spendable: Transfer[]): Promise<Uint8Array[]> {
  const addresses: Uint8Array[] = [];
  const outputs: SnapshotOutput[] = [];
  for (let i = 0; i < ADDRESSES; i++) {
    const t = spendable[i];
    const address = t ? t.funded.address : bytes32("reads:address", i);
    addresses.push(address);
    // The last output takes what the others leave of the supply (checkSupply holds).
    const amount = i < ADDRESSES - 1 ? FUNDED : TOTAL_SUPPLY - BigInt(ADDRESSES - 1) * FUNDED;
    outputs.push({
      messageId: NULL_MESSAGE_ID,
      outputId: t ? t.funded.outputId : outputId(bytes32("reads:funding-tx", i), 0),
      outputType: 0,
      address,
      amount,
    });
  }
  await writeSnapshotFile(
    path,
    {
      type: "full",
      timestamp: Math.floor(Date.now() / 1000),
      networkId: NETWORK_ID,
      sepMilestoneIndex: 0,
      ledgerMilestoneIndex: 0,
      treasury: { milestoneId: new Uint8Array(32), amount: 0n },
    },
    { solidEntryPoints: [NULL_MESSAGE_ID], outputs, milestoneDiffs: [] },
  );
  return addresses;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** the node's CPU time per request */
  nodeCpuUs: number;
  /** cores busy on average: the node process, and this process (autocannon) */
  nodeCores: number;
  clientCores: number;
}

async function load(
  url: string,
  pid: number,
  opts: Omit<Parameters<typeof autocannon>[0], "url">,
): Promise<LoadResult> {
  // autocannon ends a run (and an `amount` run's result) on its 1-second tick, after the last response:
  // timing the whole call would round every run up to whole seconds. The last response ends the clock.
  let last = 0;
  const requests = (opts.requests ?? [{}]).map((r) => ({
    ...r,
    onResponse: () => {
      last = performance.now();
    },
  }));
  const cpu0 = cpuOf(pid);
  const own0 = cpuMicros();
  const t0 = performance.now();
  const r = await autocannon({ url, connections: CONNECTIONS, ...opts, requests });
  const seconds = ((last || performance.now()) - t0) / 1000;
  // CPU is read when the call returns, up to a second of idle later: the node's share of that is ~0.
  const cpu = cpuOf(pid) - cpu0;
  const own = (cpuMicros() - own0) / 1e6;
  return {
    rps: r.requests.total / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    nodeCpuUs: (cpu * 1e6) / Math.max(1, r.requests.total),
    nodeCores: cpu / seconds,
    clientCores: own / seconds,
  };
}

function line(label: string, rs: LoadResult[], unit = "req/s"): void {
  const rps = rs.map((r) => r.rps);
  console.log(
    `  ${label}: ${spread(rps)} ${unit}; p50 ${rs.map((r) => r.p50).join("/")} ms, p99 ${rs.map((r) => r.p99).join("/")} ms; ` +
      `node CPU ${spread(
        rs.map((r) => r.nodeCpuUs),
        1,
      )} µs/req; cores busy: node ${spread(
        rs.map((r) => r.nodeCores),
        2,
      )}, autocannon ${spread(
        rs.map((r) => r.clientCores),
        2,
      )}; non-2xx ${rs.reduce((n, r) => n + r.non2xx, 0)}, errors ${rs.reduce((n, r) => n + r.errors, 0)}`,
  );
}

async function devnetParts(): Promise<Record<string, unknown>> {
  const wantIngest = PARTS.includes("ingest");
  // Round 0 is a warm-up (JIT, connections) of WARM_UP messages per kind, not counted.
  const spendable = wantIngest ? makeTransfers("ingest", WARM_UP + ROUNDS * INGEST) : [];
  const dir = mkdtempSync(join(tmpdir(), "stinger-bench-ledger-devnet-"));
  const results: Record<string, unknown> = {};
  try {
    mkdirSync(join(dir, "snapshots"));
    let t = performance.now();
    // `stinger devnet` writes its genesis snapshot only when there is none: it starts from this one.
    const addresses = await writeLedgerSnapshot(join(dir, "snapshots", "full_snapshot.bin"), spendable);
    console.log(
      `# wrote a full snapshot with ${fmt(ADDRESSES)} outputs on ${fmt(ADDRESSES)} addresses in ${fmt((performance.now() - t) / 1000, 1)} s`,
    );
    t = performance.now();
    const devnet = await startDevnet({
      dataDir: dir,
      milestoneInterval: 3600,
      minPoWScore: 1,
      extraArgs: QUIET,
      timeoutMs: 180_000,
    });
    console.log(`# devnet up with the snapshot loaded in ${fmt((performance.now() - t) / 1000, 1)} s`);
    const pid = devnet.proc.pid!;
    try {
      const bech32 = addresses.map((a) => encodeAddress("atoi", a));
      const probe = (await (await fetch(`${devnet.url}/api/v1/addresses/${bech32[1]}`)).json()) as {
        data: { balance: number };
      };
      if (BigInt(probe.data.balance) !== FUNDED)
        throw new Error(`address balance ${probe.data.balance}: the snapshot is not loaded`);
      if (PARTS.includes("reads")) {
        let x = 0x9e3779b9;
        const nextAddress = () => {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          return bech32[(x >>> 0) % bech32.length]!;
        };
        const addressRequests = [
          {
            method: "GET",
            setupRequest: (req: Record<string, unknown>) => ({
              ...req,
              path: `/api/v1/addresses/${nextAddress()}`,
            }),
          },
        ];
        await load(devnet.url, pid, { duration: 3, requests: addressRequests }); // warm-up
        const info: LoadResult[] = [];
        const reads: LoadResult[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          info.push(await load(devnet.url, pid, { duration: SECONDS, requests: [{ path: "/api/v1/info" }] }));
          reads.push(await load(devnet.url, pid, { duration: SECONDS, requests: addressRequests }));
        }
        console.log(
          `reads: ${fmt(ADDRESSES)} funded addresses, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each, alternating`,
        );
        line("GET /api/v1/info (reference ceiling)", info);
        line("GET /api/v1/addresses/{bech32}, random addresses", reads);
        const ratio = median(reads.map((r) => r.rps)) / median(info.map((r) => r.rps));
        console.log(
          `  addresses/info ${fmt(ratio, 2)}×; goal ≥ ${fmt(GOAL_READS)} req/s: ${fmt(median(reads.map((r) => r.rps)) / GOAL_READS, 2)}×`,
        );
        results.reads = { info, addresses: reads };
      }
      if (wantIngest) {
        const tips = (await (await fetch(`${devnet.url}/api/v1/tips`)).json()) as {
          data: { tipMessageIds: string[] };
        };
        const parent = Buffer.from(tips.data.tipMessageIds[0]!, "hex");
        t = performance.now();
        const txRounds: Buffer[][] = [];
        const dataRounds: Buffer[][] = [];
        let length = 0;
        let next = 0;
        for (let round = 0; round <= ROUNDS; round++) {
          const txs: Buffer[] = [];
          const data: Buffer[] = [];
          for (let i = 0; i < (round === 0 ? WARM_UP : INGEST); i++, next++) {
            const tx = message([parent], spendable[next]!.tx);
            length = tx.length;
            txs.push(Buffer.from(mine(tx, 1)));
            // Same length as the transfer message: the indexation payload's data fills the difference.
            data.push(Buffer.from(mine(indexationMessage(parent, next, length), 1)));
          }
          txRounds.push(txs);
          dataRounds.push(data);
        }
        const dataLength = dataRounds[0]![0]!.length;
        console.log(
          `# mined ${fmt(2 * (WARM_UP + ROUNDS * INGEST))} messages (minPoWScore 1; ${length} and ${dataLength} bytes) in ${fmt((performance.now() - t) / 1000, 1)} s`,
        );
        const post = (messages: Buffer[]) => {
          let next = 0;
          return load(devnet.url, pid, {
            amount: messages.length,
            requests: [
              {
                method: "POST",
                path: "/api/v1/messages",
                setupRequest: (req: Record<string, unknown>) => ({
                  ...req,
                  headers: { "content-type": "application/octet-stream" },
                  body: messages[next++ % messages.length],
                }),
              },
            ],
          });
        };
        const txLoads: LoadResult[] = [];
        const dataLoads: LoadResult[] = [];
        await post(txRounds[0]!);
        await post(dataRounds[0]!);
        for (let round = 1; round <= ROUNDS; round++) {
          txLoads.push(await post(txRounds[round]!));
          dataLoads.push(await post(dataRounds[round]!));
        }
        console.log(
          `ingest: POST /api/v1/messages raw, PoW done, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${fmt(INGEST)} fresh messages per kind, alternating`,
        );
        line("indexation messages (reference)", dataLoads, "msg/s");
        line("value transfers (1 input, 2 outputs)", txLoads, "msg/s");
        console.log(
          `  transfers/indexation ${fmt(median(txLoads.map((r) => r.rps)) / median(dataLoads.map((r) => r.rps)), 2)}×`,
        );
        results.ingest = {
          transfers: txLoads,
          indexation: dataLoads,
          bytes: { transfer: length, indexation: dataLength },
        };
      }
    } finally {
      await devnet.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

printHeader("ledger");
console.log(
  `# UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, Curl engine ${wasm ? "wasm" : "js"}`,
);
const out: Record<string, unknown> = {};
if (PARTS.includes("confirm")) out.confirm = await confirmPart();
if (PARTS.includes("reads") || PARTS.includes("ingest")) Object.assign(out, await devnetParts());
report(out);
