import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import { PowPool } from "../../src/node/pow/pool.ts";
import { powScore } from "../../src/protocol/curl/pow.ts";
import type { StingerError } from "../../src/util/errors.ts";

function withNonce(bytes: Uint8Array, nonce: bigint): Uint8Array {
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setBigUint64(out.length - 8, nonce, true);
  return out;
}

describe("PoW worker pool", () => {
  const pool = new PowPool(2, 1);
  after(() => pool.close());

  it("finds a nonce that reaches the target score", async () => {
    const msg = new Uint8Array(120).fill(3);
    const nonce = await pool.mine(msg, 500);
    assert.ok(nonce !== null);
    assert.ok(powScore(withNonce(msg, nonce)) >= 500);
  });

  it("resolves null at the deadline and rejects when aborted", async () => {
    // 40 trailing zeros is out of reach: only the deadline or the abort can end these jobs.
    const impossible = 3 ** 40 / 100;
    assert.equal(await pool.mine(new Uint8Array(100), impossible, { deadlineMs: 50 }), null);
    const abort = new AbortController();
    const job = pool.mine(new Uint8Array(100), impossible, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(job, (err: StingerError) => err.code === "POW_ABORTED");
  });

  it("reports the work done", async () => {
    const r = await pool.mineDetailed(new Uint8Array(120).fill(4), 500);
    assert.ok(r.nonce !== null);
    assert.ok(r.hashes >= 1);
    assert.ok(r.ms >= 0);
  });

  it("a worker that dies fails its job cleanly and is replaced", async () => {
    const impossible = 3 ** 40 / 100;
    const job = pool.mine(new Uint8Array(100), impossible, { deadlineMs: 5_000 });
    assert.equal(pool.load().busyWorkers, 2, "the job was handed to both workers");
    const workers = (pool as unknown as { workers: Worker[] }).workers;
    const victim = workers[0]!;
    await victim.terminate();
    await assert.rejects(job, (err: StingerError) => err.code === "POW_FAILED" && err.status === 503);
    assert.notEqual(workers[0], victim, "the dead worker was replaced");
    const msg = new Uint8Array(120).fill(5);
    const nonce = await pool.mine(msg, 500);
    assert.ok(
      nonce !== null && powScore(withNonce(msg, nonce)) >= 500,
      "the pool still mines after the crash",
    );
  });

  it("refuses work beyond the queue bound with a 503 and a Retry-After", async () => {
    const impossible = 3 ** 40 / 100;
    const abort = new AbortController();
    const running = pool.mine(new Uint8Array(100), impossible, { signal: abort.signal });
    const queued = pool.mine(new Uint8Array(100), impossible, { signal: abort.signal });
    await assert.rejects(
      pool.mine(new Uint8Array(100), 1),
      (err: StingerError) =>
        err.status === 503 && err.code === "POW_QUEUE_FULL" && err.retryAfterSeconds === 5,
    );
    assert.deepEqual(pool.load(), { workers: 2, busyWorkers: 2, queueDepth: 1, maxQueue: 1 });
    abort.abort();
    await assert.rejects(running);
    await assert.rejects(queued);
  });
});
