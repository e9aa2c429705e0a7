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

describe("batched PoW scoring", () => {
  it("trailingZerosBatch agrees with the scalar hash for every lane", async () => {
    const { trailingZerosBatch, powInputTrits } = await import("../../src/protocol/curl/bitsliced.ts");
    const { curlP81 } = await import("../../src/protocol/curl/curl.ts");
    const { trailingZeros } = await import("../../src/protocol/curl/pow.ts");
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 120 }), { minLength: 1, maxLength: 32 }),
        (msgs) => {
          const inputs = msgs.map(powInputTrits);
          assert.deepEqual(
            trailingZerosBatch(inputs),
            inputs.map((t) => trailingZeros(curlP81(t))),
          );
        },
      ),
      { numRuns: 5 },
    );
  });

  it("scores the TIP-12 example message (9 zeros) among others", async () => {
    const { trailingZerosBatch, powInputTrits } = await import("../../src/protocol/curl/bitsliced.ts");
    const tip12 = Buffer.from("48656c6c6f2c20576f726c64215ee6aaaaaaaaaaaa", "hex");
    const zeros = trailingZerosBatch([powInputTrits(new Uint8Array(30)), powInputTrits(tip12)]);
    assert.equal(zeros[1], 9);
  });
});
