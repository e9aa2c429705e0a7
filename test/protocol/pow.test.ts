import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { b1t6Decode, b1t6Encode, tritsToTrytes, trytesToTrits } from "../../src/protocol/curl/b1t6.ts";
import { curlP81 } from "../../src/protocol/curl/curl.ts";
import {
  mineNonce,
  powDigest,
  powScore,
  powScoreFromDigest,
  powTrailingZeros,
  targetTrailingZeros,
  trailingZeros,
} from "../../src/protocol/curl/pow.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { serializeMessage } from "../../src/protocol/message.ts";
import { loadVector } from "./_vectors.ts";

interface B1t6Vector {
  bytes: string;
  trytes: string;
}
interface Tip12Vector {
  message: string;
  digest: string;
  nonceHex: string;
  nonce: string;
  curlInputTrytes: string;
  hashTrytes: string;
  trailingZeros: number;
  score: number;
}
interface IotaGoScore {
  message?: string;
  zeroBytes?: number;
  trailingZeros: number;
  score: number;
}
interface IotaJsPow {
  powHelper: { digest: string; targetZeros: number; startNonce: string; nonce: string }[];
  localPowProvider: {
    messageWithoutNonce: string;
    digest: string;
    targetScore: number;
    targetZeros: number;
    nonce: string;
  };
}
interface Tip6Vector {
  message: string;
  length: number;
  trailingZeros: number;
  score: number;
}

describe("b1t6 (TIP-5)", () => {
  for (const v of loadVector<B1t6Vector[]>("tip5-b1t6.json")) {
    test(`${v.bytes.slice(0, 16)}... -> ${v.trytes.slice(0, 12)}...`, () => {
      const trits = b1t6Encode(fromHex(v.bytes));
      assert.equal(trits.length, (v.bytes.length / 2) * 6);
      assert.equal(tritsToTrytes(trits), v.trytes);
      assert.deepEqual(trytesToTrits(v.trytes), trits);
      assert.equal(toHex(b1t6Decode(trits)), v.bytes);
    });
  }

  test("decode rejects a group outside int8 (TIP-5 malleability: LI is not ff)", () => {
    assert.throws(() => b1t6Decode(trytesToTrits("LI")), ProtocolError);
    assert.equal(toHex(b1t6Decode(trytesToTrits("Z9"))), "ff");
  });

  test("trytesToTrits rejects non-tryte characters", () => {
    assert.throws(() => trytesToTrits("9a"), ProtocolError);
  });
});

describe("Curl-P-81 and PoW (TIP-12)", () => {
  const v = loadVector<Tip12Vector>("tip12-pow.json");
  const msg = fromHex(v.message);

  test("digest is BLAKE2b-256 of the message without its nonce", () => {
    assert.equal(toHex(powDigest(msg)), v.digest);
    assert.equal(toHex(msg.subarray(msg.length - 8)), v.nonceHex);
  });

  test("Curl input block is b1t6(digest) || b1t6(nonce) || 000", () => {
    const input = trytesToTrits(v.curlInputTrytes);
    assert.equal(input.length, 243);
    const expected = new Int8Array(243);
    expected.set(b1t6Encode(fromHex(v.digest)), 0);
    expected.set(b1t6Encode(fromHex(v.nonceHex)), 192);
    assert.deepEqual(input, expected);
  });

  test("Curl-P-81 hash of the input block", () => {
    const hash = curlP81(trytesToTrits(v.curlInputTrytes));
    assert.equal(tritsToTrytes(hash), v.hashTrytes);
    assert.equal(trailingZeros(hash), v.trailingZeros);
  });

  test("score", () => {
    assert.equal(powTrailingZeros(fromHex(v.digest), BigInt(v.nonce)), v.trailingZeros);
    assert.equal(powScoreFromDigest(fromHex(v.digest), BigInt(v.nonce), msg.length), v.score);
    assert.equal(powScore(msg), v.score);
  });

  test("curlP81 refuses a block that is not 243 trits", () => {
    assert.throws(() => curlP81(new Int8Array(242)), ProtocolError);
  });
});

describe("PoW scores (iota.go pow_test.go)", () => {
  for (const c of loadVector<IotaGoScore[]>("iota-go-pow-scores.json")) {
    const bytes = c.message !== undefined ? fromHex(c.message) : new Uint8Array(c.zeroBytes!);
    test(`${c.message ?? `${c.zeroBytes} zero bytes`} -> ${c.score}`, () => {
      assert.equal(powScore(bytes), c.score);
      assert.equal(3 ** c.trailingZeros / bytes.length, c.score);
    });
  }

  test("fewer than 8 bytes has no nonce", () => {
    assert.throws(
      () => powScore(new Uint8Array(7)),
      (e: unknown) => e instanceof ProtocolError && e.code === "PROTO_TRUNCATED",
    );
  });
});

describe("nonce search (iota.js)", () => {
  const v = loadVector<IotaJsPow>("iota-js-pow.json");
  for (const c of v.powHelper) {
    test(`digest ${c.digest.slice(0, 8)}..., ${c.targetZeros} zeros from ${c.startNonce} -> ${c.nonce}`, () => {
      const nonce = mineNonce(fromHex(c.digest), c.targetZeros, BigInt(c.startNonce), 10_000);
      assert.equal(nonce, BigInt(c.nonce));
      assert.ok(powTrailingZeros(fromHex(c.digest), nonce!) >= c.targetZeros);
    });
  }

  test("a window that ends before the answer returns null", () => {
    const c = v.powHelper[1]!;
    const start = BigInt(c.startNonce);
    const count = Number(BigInt(c.nonce) - start);
    assert.equal(mineNonce(fromHex(c.digest), c.targetZeros, start, count), null);
    assert.equal(mineNonce(fromHex(c.digest), c.targetZeros, start, count + 1), BigInt(c.nonce));
  });

  test("LocalPowProvider: indexation message, score 100 -> nonce 6569", () => {
    const p = v.localPowProvider;
    const unmined = new Uint8Array(p.messageWithoutNonce.length / 2 + 8);
    unmined.set(fromHex(p.messageWithoutNonce));
    // Our serializer writes the same bytes for that message (no parents, nonce 0).
    const index = new TextEncoder().encode("hello world");
    const built = serializeMessage({
      networkId: 0n,
      parents: [],
      payload: { type: 2, index, data: Uint8Array.from([1, 2, 3, 4]) },
      nonce: 0n,
    });
    assert.equal(toHex(built), toHex(unmined));
    assert.equal(toHex(powDigest(unmined)), p.digest);
    const zeros = targetTrailingZeros(unmined.length, p.targetScore);
    assert.equal(zeros, p.targetZeros);
    const nonce = mineNonce(powDigest(unmined), zeros, 0n, 20_000);
    assert.equal(nonce, BigInt(p.nonce));
    new DataView(unmined.buffer).setBigUint64(unmined.length - 8, nonce!, true);
    assert.ok(powScore(unmined) >= p.targetScore);
  });
});

describe("TIP-6 message PoW", () => {
  test("12 trailing zeros, score 3^12/110", () => {
    const v = loadVector<Tip6Vector>("tip6-indexation-message.json");
    const bytes = fromHex(v.message);
    assert.equal(bytes.length, v.length);
    assert.equal(powScore(bytes), v.score);
    assert.equal(3 ** v.trailingZeros / v.length, v.score);
  });
});

describe("targetTrailingZeros", () => {
  test("ceil(ln(len * score) / ln 3)", () => {
    // iota.js PowHelper.calculateTargetZeros(new Uint8Array(100), 100) == 9 (powHelper.spec.ts, commented case).
    assert.equal(targetTrailingZeros(100, 100), 9);
    // 340-byte milestone at minPoWScore 100 needs 10 zeros (reference §12.6).
    assert.equal(targetTrailingZeros(340, 100), 10);
    // 200-byte message at score 4000 -> 3^13 = 1594323 >= 800000 > 3^12.
    assert.equal(targetTrailingZeros(200, 4000), 13);
  });

  test("clamps degenerate inputs", () => {
    assert.equal(targetTrailingZeros(100, 0), 0);
    assert.equal(targetTrailingZeros(100, Number.POSITIVE_INFINITY), 0);
    assert.equal(targetTrailingZeros(1, 3 ** 300), 243);
  });
});

describe("argument checks", () => {
  test("digest must be 32 bytes and nonce a u64", () => {
    assert.throws(() => mineNonce(new Uint8Array(31), 1, 0n, 1), ProtocolError);
    assert.throws(() => mineNonce(new Uint8Array(32), 1, -1n, 1), ProtocolError);
    assert.throws(() => powTrailingZeros(new Uint8Array(32), 1n << 64n), ProtocolError);
  });

  test("search stops at the largest u64 nonce", () => {
    const max = (1n << 64n) - 1n;
    assert.equal(mineNonce(new Uint8Array(32), 243, max, 5), null);
  });
});
