// PoW worker thread: searches its own slice of the nonce space in chunks, checking a shared stop
// flag between chunks so the pool can cancel it without waiting for a message round trip.
import { parentPort } from "node:worker_threads";
import { createBitslicedScratch, mineNonceBitsliced } from "../../protocol/curl/bitsliced.ts";

export interface WorkerJob {
  /** echoed in the reply, so a late reply to an earlier job is never taken for this one */
  id: number;
  digest: Uint8Array;
  targetZeros: number;
  start: bigint;
  stop: Int32Array;
}

export type WorkerReply = { id: number; nonce: bigint | null; hashes: number };

const CHUNK = 8192;
const scratch = createBitslicedScratch();

parentPort!.on("message", (job: WorkerJob) => {
  let nonce = job.start;
  let hashes = 0;
  while (Atomics.load(job.stop, 0) === 0) {
    const found = mineNonceBitsliced(job.digest, job.targetZeros, nonce, CHUNK, scratch);
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
