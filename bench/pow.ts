// PoW engines side by side on the same search: iota.js 1.8.6's LocalPowProvider engine (PowHelper,
// the peer), stinger's scalar reference, the bit-sliced miners (JS and WebAssembly SIMD) on one thread,
// and the node's worker pool.
import { PowHelper } from "@iota/iota.js";
import { PowPool } from "../src/node/pow/pool.ts";
import { mineNonceBitsliced, powInputTrits } from "../src/protocol/curl/bitsliced.ts";
import { mineNonce } from "../src/protocol/curl/pow.ts";
import { loadCurlWasm } from "../src/protocol/curl/wasm/index.ts";
import { fmt, median, percentile, printHeader, report } from "./_lib.ts";

const DIGEST = new Uint8Array(32).fill(1);
const ZEROS = Number(process.env.BENCH_POW_ZEROS ?? 9);
const SAMPLES = 5;

function timeSearch(search: (start: bigint) => bigint | null): { rate: number; ms: number } {
  const rates: number[] = [];
  const times: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = BigInt(s) * 1_000_000n;
    const t = performance.now();
    const nonce = search(start);
    const ms = performance.now() - t;
    if (nonce === null) throw new Error("no nonce found");
    rates.push((Number(nonce - start) + 1) / (ms / 1000));
    times.push(ms);
  }
  return { rate: median(rates), ms: median(times) };
}

printHeader("pow");
console.log(
  `# search: digest 32 x 0x01, ${ZEROS} trailing zeros, ${SAMPLES} samples from different start nonces (median)`,
);
const peer = timeSearch((start) => BigInt(PowHelper.performPow(DIGEST, ZEROS, start.toString())));
console.log(`iota.js PowHelper (LocalPowProvider engine), 1 thread: ${fmt(peer.rate)} hashes/s`);
const scalar = timeSearch((start) => mineNonce(DIGEST, ZEROS, start, 10_000_000));
console.log(
  `stinger scalar reference, 1 thread:    ${fmt(scalar.rate)} hashes/s (${(scalar.rate / peer.rate).toFixed(2)}x iota.js)`,
);
const sliced = timeSearch((start) => mineNonceBitsliced(DIGEST, ZEROS, start, 10_000_000));
console.log(
  `stinger bit-sliced JS, 1 thread:       ${fmt(sliced.rate)} hashes/s (${(sliced.rate / peer.rate).toFixed(2)}x iota.js)`,
);
const wasm = loadCurlWasm();
if (wasm === null) throw new Error("WebAssembly engine unavailable: run npm run build:wasm");
// One search first so V8 has tiered the module up from its baseline compiler before timing.
wasm.mineNonce(DIGEST, ZEROS, 0n, 10_000_000);
const simd = timeSearch((start) => wasm.mineNonce(DIGEST, ZEROS, start, 10_000_000));
console.log(
  `stinger bit-sliced WASM SIMD (${wasm.lanes} lanes), 1 thread: ${fmt(simd.rate)} hashes/s (${(simd.rate / peer.rate).toFixed(2)}x iota.js)`,
);

// Time to solution through the worker pool (what remote PoW and StingerPowProvider use): a 250-byte
// message at score 4000 (13 trailing zeros, ~1.6 M hashes expected), 20 solves, 1 and 2 workers.
const SOLVES = Number(process.env.BENCH_POW_SOLVES ?? 20);
const poolRuns: Record<string, { median: number; p90: number; hashesPerSecond: number }> = {};
for (const workers of [1, 2]) {
  const pool = new PowPool(workers, 4);
  const msg = new Uint8Array(250);
  const times: number[] = [];
  let hashes = 0;
  await pool.mine(msg, 10); // start-up: workers load their engine
  for (let s = 0; s < SOLVES; s++) {
    msg[0] = s + 1;
    const r = await pool.mineDetailed(msg, 4000);
    times.push(r.ms);
    hashes += r.hashes;
  }
  await pool.close();
  const total = times.reduce((a, b) => a + b, 0);
  poolRuns[workers] = {
    median: median(times),
    p90: percentile(times, 90),
    hashesPerSecond: hashes / (total / 1000),
  };
  console.log(
    `worker pool, ${workers} worker(s): 250-byte message at minPoWScore 4000, ${SOLVES} solves: median ${fmt(median(times))} ms, ` +
      `p90 ${fmt(percentile(times, 90))} ms, ${fmt(poolRuns[workers]!.hashesPerSecond)} hashes/s overall`,
  );
}
const iotaMinutes = 1_594_323 / peer.rate / 60;
console.log(
  `(iota.js LocalPowProvider at its rate above would need ~${fmt(iotaMinutes, 1)} min on average for the same PoW)`,
);

// Scoring incoming messages in batches (what every node does for every message it receives).
const inputs = Array.from({ length: wasm.lanes }, (_, i) => powInputTrits(new Uint8Array(200).fill(i)));
for (let i = 0; i < 50; i++) wasm.trailingZerosBatch(inputs);
const tb = performance.now();
for (let i = 0; i < 400; i++) wasm.trailingZerosBatch(inputs);
const scoreRate = (400 * wasm.lanes) / ((performance.now() - tb) / 1000);
console.log(`batch score check (WASM, ${wasm.lanes} messages per transform): ${fmt(scoreRate)} messages/s`);
report({
  peer: peer.rate,
  scalar: scalar.rate,
  bitsliced: sliced.rate,
  wasm: simd.rate,
  pool: poolRuns,
  scoreChecksPerSecond: scoreRate,
});
