import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
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

  it("refuses work beyond the queue bound with a 503", async () => {
    const impossible = 3 ** 40 / 100;
    const abort = new AbortController();
    const running = pool.mine(new Uint8Array(100), impossible, { signal: abort.signal });
    const queued = pool.mine(new Uint8Array(100), impossible, { signal: abort.signal });
    await assert.rejects(
      pool.mine(new Uint8Array(100), 1),
      (err: StingerError) => err.status === 503 && err.code === "POW_QUEUE_FULL",
    );
    assert.deepEqual(pool.load(), { workers: 2, busyWorkers: 2, queueDepth: 1, maxQueue: 1 });
    abort.abort();
    await assert.rejects(running);
    await assert.rejects(queued);
  });
});
