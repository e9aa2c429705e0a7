// The bit-sliced miner must agree nonce for nonce with the scalar reference miner.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { mineNonceBitsliced } from "../../src/protocol/curl/bitsliced.ts";
import { mineNonce, powTrailingZeros } from "../../src/protocol/curl/pow.ts";

describe("bit-sliced Curl-P-81 miner", () => {
  it("finds the published iota.js nonces (86 and 4936)", () => {
    const digest = new Uint8Array(32).fill(1);
    assert.equal(mineNonceBitsliced(digest, 3, 0n, 1000), 86n);
    assert.equal(mineNonceBitsliced(digest, 8, 4900n, 100_000), 4936n);
  });

  it("returns null when the range holds no solution, and respects the range end", () => {
    const digest = new Uint8Array(32).fill(1);
    assert.equal(mineNonceBitsliced(digest, 3, 0n, 86), null);
    assert.equal(mineNonceBitsliced(digest, 3, 0n, 87), 86n);
  });

  it("agrees with the scalar miner on random digests, targets and start nonces", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 5 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1000n }),
        (digest, zeros, start) => {
          const fast = mineNonceBitsliced(digest, zeros, start, 600);
          assert.equal(fast, mineNonce(digest, zeros, start, 600));
          if (fast !== null) assert.ok(powTrailingZeros(digest, fast) >= zeros);
        },
      ),
      { numRuns: 25 },
    );
  });
});
