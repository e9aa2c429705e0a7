// PoW engines side by side on the same search: iota.js 1.8.6's LocalPowProvider engine (PowHelper,
// the peer), stinger's scalar reference, the bit-sliced miners (JS and WebAssembly SIMD) on one thread,
// and the node's worker pool.
import { cpus } from "node:os";
import { PowHelper } from "@iota/iota.js";
import { PowPool } from "../src/node/pow/pool.ts";
import { mineNonceBitsliced } from "../src/protocol/curl/bitsliced.ts";
import { mineNonce } from "../src/protocol/curl/pow.ts";
import { loadCurlWasm } from "../src/protocol/curl/wasm/index.ts";
import { fmt, median, printHeader, report } from "./_lib.ts";

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

// The pool mines a whole message; report time to solution for a 100-byte message at score 4000.
const workers = Math.max(1, cpus().length - 1);
const pool = new PowPool(workers, 4);
const msg = new Uint8Array(100);
const times: number[] = [];
for (let s = 0; s < SAMPLES; s++) {
  msg[0] = s;
  const t = performance.now();
  await pool.mine(msg, 4000);
  times.push(performance.now() - t);
}
await pool.close();
console.log(
  `stinger worker pool (${workers} workers): 100-byte message at minPoWScore 4000 in ${fmt(median(times))} ms median`,
);
report({
  peer: peer.rate,
  scalar: scalar.rate,
  bitsliced: sliced.rate,
  wasm: simd.rate,
  poolMsAtScore4000: median(times),
});
