// Bit-sliced Curl-P-81 miner: 32 nonces per transform, one nonce per bit of an Int32 lane word.
// Each trit is two bit-planes (lo, hi): -1 = (1,0), 0 = (1,1), +1 = (0,1). The plain scalar
// curlP81Into stays the reference; test/protocol checks this one against it nonce by nonce.
import { CURL_HASH_TRITS, NONCE_LENGTH } from "../params.ts";
import { b1t6EncodeInto } from "./b1t6.ts";
import { powDigest } from "./pow.ts";

const STATE = 3 * CURL_HASH_TRITS;
const ROUNDS = 81;
const LANES = 32;
const DIGEST_TRITS = 192;
const NONCE_TRITS = 48;

export interface BitslicedScratch {
  lo: Int32Array;
  hi: Int32Array;
  lo2: Int32Array;
  hi2: Int32Array;
  digestLo: Int32Array;
  digestHi: Int32Array;
  nonceTrits: Int8Array;
  nonceBytes: Uint8Array;
}

export function createBitslicedScratch(): BitslicedScratch {
  return {
    lo: new Int32Array(STATE),
    hi: new Int32Array(STATE),
    lo2: new Int32Array(STATE),
    hi2: new Int32Array(STATE),
    digestLo: new Int32Array(DIGEST_TRITS),
    digestHi: new Int32Array(DIGEST_TRITS),
    nonceTrits: new Int8Array(NONCE_TRITS),
    nonceBytes: new Uint8Array(8),
  };
}

function setTrit(lo: Int32Array, hi: Int32Array, i: number, trit: number, bit: number): void {
  if (trit !== 1) lo[i]! |= bit;
  else lo[i]! &= ~bit;
  if (trit !== -1) hi[i]! |= bit;
  else hi[i]! &= ~bit;
}

// p(i) = 364 * i mod 729 for i = 0..729: the state index each output trit reads (and p(i + 1) too).
const INDEX = new Int32Array(STATE + 1);
for (let i = 0, idx = 0; i <= STATE; i++) {
  INDEX[i] = idx;
  idx += idx < 365 ? 364 : -365;
}

/** The 81 rounds on bit-planes; returns the planes holding the result. */
function transform(s: BitslicedScratch): { lo: Int32Array; hi: Int32Array } {
  let lo = s.lo;
  let hi = s.hi;
  let nlo = s.lo2;
  let nhi = s.hi2;
  for (let r = 0; r < ROUNDS; r++) {
    // Each output reads two neighbours in p-order; carry the second pair into the next step.
    let alpha = lo[0]!;
    let beta = hi[0]!;
    for (let i = 0; i < STATE; i++) {
      const q = INDEX[i + 1]!;
      const nextLo = lo[q]!;
      const gamma = hi[q]!;
      const delta = (alpha | ~gamma) & (nextLo ^ beta);
      nlo[i] = ~delta;
      nhi[i] = (alpha ^ gamma) | delta;
      alpha = nextLo;
      beta = gamma;
    }
    const tl = lo;
    lo = nlo;
    nlo = tl;
    const th = hi;
    hi = nhi;
    nhi = th;
  }
  return { lo, hi };
}

/**
 * Searches nonces start, start+1, ... (count of them, rounded up to whole batches of 32) for the
 * first whose Curl-P-81 hash ends in `targetZeros` zero trits. Same contract as the scalar mineNonce.
 */
export function mineNonceBitsliced(
  digest: Uint8Array,
  targetZeros: number,
  start: bigint,
  count: number,
  s: BitslicedScratch = createBitslicedScratch(),
): bigint | null {
  const digestTrits = new Int8Array(DIGEST_TRITS);
  b1t6EncodeInto(digest, digestTrits, 0);
  for (let i = 0; i < DIGEST_TRITS; i++) {
    const t = digestTrits[i]!;
    s.digestLo[i] = t !== 1 ? -1 : 0;
    s.digestHi[i] = t !== -1 ? -1 : 0;
  }
  const view = new DataView(s.nonceBytes.buffer);
  for (let base = start; base < start + BigInt(count); base += BigInt(LANES)) {
    s.lo.fill(-1, 0, STATE); // zero trits everywhere (1,1) ...
    s.hi.fill(-1, 0, STATE);
    s.lo.set(s.digestLo, 0); // ... then the digest ...
    s.hi.set(s.digestHi, 0);
    for (let lane = 0; lane < LANES; lane++) {
      // ... and each lane's own nonce.
      view.setBigUint64(0, BigInt.asUintN(64, base + BigInt(lane)), true);
      b1t6EncodeInto(s.nonceBytes, s.nonceTrits, 0);
      const bit = 1 << lane;
      for (let k = 0; k < NONCE_TRITS; k++) setTrit(s.lo, s.hi, DIGEST_TRITS + k, s.nonceTrits[k]!, bit);
    }
    const { lo, hi } = transform(s);
    let zeros = -1;
    for (let k = CURL_HASH_TRITS - 1; k >= CURL_HASH_TRITS - targetZeros && zeros !== 0; k--)
      zeros &= lo[k]! & hi[k]!;
    if (zeros !== 0) {
      const lane = 31 - Math.clz32(zeros & -zeros);
      const nonce = base + BigInt(lane);
      return nonce < start + BigInt(count) ? nonce : null;
    }
  }
  return null;
}

/** The 243-trit Curl input of a message's PoW: b1t6(digest) || b1t6(nonce) || 000. */
export function powInputTrits(messageBytes: Uint8Array): Int8Array {
  const trits = new Int8Array(CURL_HASH_TRITS);
  b1t6EncodeInto(powDigest(messageBytes), trits, 0);
  b1t6EncodeInto(messageBytes.subarray(messageBytes.length - NONCE_LENGTH), trits, DIGEST_TRITS);
  return trits;
}

/**
 * Trailing zero trits of the Curl-P-81 hashes of up to 32 independent 243-trit inputs, computed in
 * one bit-sliced transform: the cost of checking a batch of incoming messages is that of ~3 scalar hashes.
 */
export function trailingZerosBatch(
  inputs: Int8Array[],
  s: BitslicedScratch = createBitslicedScratch(),
): number[] {
  if (inputs.length > LANES) throw new RangeError(`at most ${LANES} inputs per batch`);
  s.lo.fill(-1, 0, STATE);
  s.hi.fill(-1, 0, STATE);
  for (let lane = 0; lane < inputs.length; lane++) {
    const input = inputs[lane]!;
    const bit = 1 << lane;
    for (let k = 0; k < CURL_HASH_TRITS; k++) {
      const t = input[k]!;
      if (t !== 0) setTrit(s.lo, s.hi, k, t, bit);
    }
  }
  const { lo, hi } = transform(s);
  const zeros: number[] = [];
  for (let lane = 0; lane < inputs.length; lane++) {
    const bit = 1 << lane;
    let z = 0;
    for (let k = CURL_HASH_TRITS - 1; k >= 0 && lo[k]! & hi[k]! & bit; k--) z++;
    zeros.push(z);
  }
  return zeros;
}
