// PoW worker thread: searches its own slice of the nonce space in chunks, checking a shared stop
// flag between chunks so the pool can cancel it without waiting for a message round trip.
import { parentPort } from "node:worker_threads";
import { createBitslicedScratch, mineNonceBitsliced } from "../../protocol/curl/bitsliced.ts";
import { loadCurlWasm } from "../../protocol/curl/wasm/index.ts";

export interface WorkerJob {
  /** echoed in the reply, so a late reply to an earlier job is never taken for this one */
  id: number;
  digest: Uint8Array;
  targetZeros: number;
  start: bigint;
  stop: Int32Array;
}

export type WorkerReply = { id: number; nonce: bigint | null; hashes: number };

// The WebAssembly SIMD engine when it is built and supported, else the plain JS bit-sliced one.
const wasm = loadCurlWasm();
const scratch = createBitslicedScratch();
const search = wasm
  ? (digest: Uint8Array, zeros: number, start: bigint, count: number) =>
      wasm.mineNonce(digest, zeros, start, count)
  : (digest: Uint8Array, zeros: number, start: bigint, count: number) =>
      mineNonceBitsliced(digest, zeros, start, count, scratch);
// About 20-50 ms of work between checks of the stop flag, whichever engine runs.
const CHUNK = wasm ? 131_072 : 4096;

parentPort!.on("message", (job: WorkerJob) => {
  let nonce = job.start;
  let hashes = 0;
  while (Atomics.load(job.stop, 0) === 0) {
    const found = search(job.digest, job.targetZeros, nonce, CHUNK);
    if (found !== null) {
      hashes += Number(found - nonce) + 1;
      Atomics.store(job.stop, 0, 1);
      parentPort!.postMessage({ id: job.id, nonce: found, hashes } satisfies WorkerReply);
      return;
    }
    nonce += BigInt(CHUNK);
    hashes += CHUNK;
  }
  parentPort!.postMessage({ id: job.id, nonce: null, hashes } satisfies WorkerReply);
});
