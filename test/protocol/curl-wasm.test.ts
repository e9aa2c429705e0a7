// The WebAssembly SIMD engine must agree nonce for nonce with the scalar reference and the JS
// bit-sliced miner, and lane for lane on batch scoring.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { b1t6Encode } from "../../src/protocol/curl/b1t6.ts";
import {
  mineNonceBitsliced,
  powInputTrits,
  trailingZerosBatch as trailingZerosBatchJs,
} from "../../src/protocol/curl/bitsliced.ts";
import { curlP81 } from "../../src/protocol/curl/curl.ts";
import { mineNonce, powTrailingZeros, trailingZeros } from "../../src/protocol/curl/pow.ts";
import { type CurlWasm, loadCurlWasm } from "../../src/protocol/curl/wasm/index.ts";
import { loadVector } from "./_vectors.ts";

interface PowVectors {
  powHelper: { digest: string; targetZeros: number; startNonce: string; nonce: string }[];
  localPowProvider: { digest: string; targetZeros: number; nonce: string };
}

interface Tip12Vector {
  message: string;
  trailingZeros: number;
}

const U64_MAX = (1n << 64n) - 1n;

function engine(): CurlWasm {
  const wasm = loadCurlWasm();
  assert.ok(wasm, "the WebAssembly engine must load (npm run build:wasm)");
  return wasm;
}

describe("WebAssembly SIMD Curl-P-81 engine", () => {
  it("loads on this runtime, from a build that matches curl.wat", () => {
    const script = fileURLToPath(new URL("../../scripts/build-wasm.mjs", import.meta.url));
    execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" });
    const wasm = engine();
    assert.equal(wasm.lanes, 256);
    assert.equal(loadCurlWasm(), wasm, "one cached instance per thread");
  });

  it("finds the published iota.js nonces", () => {
    const vectors = loadVector<PowVectors>("iota-js-pow.json");
    const wasm = engine();
    for (const v of vectors.powHelper) {
      const digest = Buffer.from(v.digest, "hex");
      assert.equal(wasm.mineNonce(digest, v.targetZeros, BigInt(v.startNonce), 100_000), BigInt(v.nonce));
    }
    const lp = vectors.localPowProvider;
    assert.equal(
      wasm.mineNonce(Buffer.from(lp.digest, "hex"), lp.targetZeros, 0n, 100_000),
      BigInt(lp.nonce),
    );
  });

  it("respects both ends of the range, also mid-batch", () => {
    const wasm = engine();
    const digest = new Uint8Array(32).fill(1);
    assert.equal(wasm.mineNonce(digest, 3, 0n, 86), null);
    assert.equal(wasm.mineNonce(digest, 3, 0n, 87), 86n);
    assert.equal(wasm.mineNonce(digest, 3, 86n, 1), 86n);
    assert.equal(wasm.mineNonce(digest, 3, 87n, 1), mineNonce(digest, 3, 87n, 1));
    assert.equal(wasm.mineNonce(digest, 3, 5n, 0), null);
    // 4936 with start 4900: batch base 4864, the hit is lane 72 of the first batch.
    assert.equal(wasm.mineNonce(digest, 8, 4900n, 36), null);
    assert.equal(wasm.mineNonce(digest, 8, 4900n, 37), 4936n);
    assert.equal(wasm.mineNonce(digest, 8, 4937n, 1000), mineNonceBitsliced(digest, 8, 4937n, 1000));
    // A target past the hash length never matches; target 0 matches the first nonce.
    assert.equal(wasm.mineNonce(digest, 244, 0n, 300), null);
    assert.equal(wasm.mineNonce(digest, 0, 12345n, 300), 12345n);
  });

  it("agrees with the scalar and JS bit-sliced miners on random digests, targets and starts", () => {
    const wasm = engine();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 5 }),
        fc.bigInt({ min: 0n, max: U64_MAX - 1000n }),
        fc.integer({ min: 1, max: 700 }),
        (digest, zeros, start, count) => {
          const fast = wasm.mineNonce(digest, zeros, start, count);
          assert.equal(fast, mineNonce(digest, zeros, start, count));
          assert.equal(fast, mineNonceBitsliced(digest, zeros, start, count));
          if (fast !== null) assert.ok(powTrailingZeros(digest, fast) >= zeros);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("checks every nonce of a range that spans several batches", () => {
    const wasm = engine();
    const digest = new Uint8Array(32).fill(7);
    // Walk hit by hit: each found nonce must be the scalar's next one.
    let start = 1000n;
    const end = 3000n;
    while (start < end) {
      const found = wasm.mineNonce(digest, 4, start, Number(end - start));
      assert.equal(found, mineNonce(digest, 4, start, Number(end - start)));
      if (found === null) break;
      start = found + 1n;
    }
  });

  it("wraps nonces past 2^64 - 1 to 0, like the JS miner's asUintN(64)", () => {
    const wasm = engine();
    const digest = new Uint8Array(32).fill(3);
    const start = U64_MAX - 9n;
    const found = wasm.mineNonce(digest, 3, start, 600);
    assert.ok(found !== null && found >= 0n && found <= U64_MAX);
    const expected = mineNonce(digest, 3, start, 10) ?? mineNonce(digest, 3, 0n, 590);
    assert.equal(found, expected);
  });

  it("stays correct when digests alternate and batch scoring runs in between", () => {
    const wasm = engine();
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    for (const [digest, start] of [
      [a, 0n],
      [a, 87n],
      [b, 0n],
      [a, 0n],
    ] as const) {
      assert.equal(wasm.mineNonce(digest, 3, start, 600), mineNonceBitsliced(digest, 3, start, 600));
      wasm.trailingZerosBatch([powInputTrits(new Uint8Array(40))]);
      assert.equal(wasm.mineNonce(digest, 3, start, 600), mineNonce(digest, 3, start, 600));
    }
    // The caller may reuse its digest buffer for another digest.
    const reused = new Uint8Array(32).fill(1);
    assert.equal(wasm.mineNonce(reused, 3, 0n, 600), 86n);
    reused.fill(2);
    assert.equal(wasm.mineNonce(reused, 3, 0n, 600), mineNonce(b, 3, 0n, 600));
  });

  it("rejects a digest of the wrong length and a nonce outside u64", () => {
    const wasm = engine();
    assert.throws(() => wasm.mineNonce(new Uint8Array(31), 3, 0n, 10));
    assert.throws(() => wasm.mineNonce(new Uint8Array(32), 3, -1n, 10));
    assert.throws(() => wasm.mineNonce(new Uint8Array(32), 3, 1n << 64n, 10));
  });
});

describe("WebAssembly batched PoW scoring", () => {
  it("trailingZerosBatch agrees with the scalar hash and the JS batch for every lane", () => {
    const wasm = engine();
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 120 }), { minLength: 1, maxLength: 256 }),
        (msgs) => {
          const inputs = msgs.map(powInputTrits);
          const zeros = wasm.trailingZerosBatch(inputs);
          assert.deepEqual(
            zeros,
            inputs.map((t) => trailingZeros(curlP81(t))),
          );
          assert.deepEqual(zeros.slice(0, 32), trailingZerosBatchJs(inputs.slice(0, 32)));
        },
      ),
      { numRuns: 5 },
    );
  });

  it("scores random trit inputs, including hashes with many zeros", () => {
    const wasm = engine();
    const digest = new Uint8Array(32).fill(1);
    const inputs: Int8Array[] = [];
    // Inputs whose hashes end in 3 and 8 zeros (the iota.js nonces), among random trits.
    for (const nonce of [86n, 4936n]) {
      const input = new Int8Array(243);
      const nonceBytes = new Uint8Array(8);
      new DataView(nonceBytes.buffer).setBigUint64(0, nonce, true);
      input.set(b1t6Encode(digest), 0);
      input.set(b1t6Encode(nonceBytes), 192);
      inputs.push(input);
    }
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -1, max: 1 }), { minLength: 243, maxLength: 243 }), {
          minLength: 0,
          maxLength: 254,
        }),
        (random) => {
          const all = [...inputs, ...random.map((t) => Int8Array.from(t))];
          assert.deepEqual(
            wasm.trailingZerosBatch(all),
            all.map((t) => trailingZeros(curlP81(t))),
          );
        },
      ),
      { numRuns: 5 },
    );
    assert.deepEqual(
      wasm.trailingZerosBatch(inputs).map((z) => z >= 3),
      [true, true],
    );
    assert.ok(wasm.trailingZerosBatch(inputs)[1]! >= 8);
  });

  it("scores the TIP-12 example message (9 zeros) among others", () => {
    const v = loadVector<Tip12Vector>("tip12-pow.json");
    const wasm = engine();
    const tip12 = Buffer.from(v.message, "hex");
    const zeros = wasm.trailingZerosBatch([powInputTrits(new Uint8Array(30)), powInputTrits(tip12)]);
    assert.equal(zeros[1], v.trailingZeros);
    assert.equal(zeros[0], trailingZeros(curlP81(powInputTrits(new Uint8Array(30)))));
  });

  it("refuses more inputs than lanes and handles an empty batch", () => {
    const wasm = engine();
    assert.deepEqual(wasm.trailingZerosBatch([]), []);
    assert.throws(() => wasm.trailingZerosBatch(new Array(257).fill(new Int8Array(243))), RangeError);
  });
});
