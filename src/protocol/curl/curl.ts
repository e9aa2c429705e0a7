// Curl-P-81 over one 243-trit block (TIP-12). Plain scalar reference; a faster variant must be
// tested against this one and exported through curlP81Into.
import { ProtocolError } from "../errors.ts";
import { CURL_HASH_TRITS } from "../params.ts";

export const CURL_STATE_TRITS = 3 * CURL_HASH_TRITS; // 729
export const CURL_ROUNDS = 81;

// S-box indexed by a + 4b + 5 for trits a, b; the "2" entries are unreachable.
const TRUTH = new Int8Array([1, 0, -1, 2, 1, -1, 0, 2, -1, 1, 0]);

/** Work buffers for curlP81Into; one per caller keeps the loop allocation-free. */
export interface CurlScratch {
  a: Int8Array;
  b: Int8Array;
}

export function createCurlScratch(): CurlScratch {
  return { a: new Int8Array(CURL_STATE_TRITS), b: new Int8Array(CURL_STATE_TRITS) };
}

/**
 * Hashes 243 input trits into `out` (243 trits). State starts at zero, the block is copied in,
 * 81 rounds run, and the first 243 trits are the hash.
 */
export function curlP81Into(input: Int8Array, out: Int8Array, scratch: CurlScratch): void {
  let cur = scratch.a;
  let next = scratch.b;
  cur.fill(0);
  cur.set(input.subarray(0, CURL_HASH_TRITS));
  for (let round = 0; round < CURL_ROUNDS; round++) {
    // new[i] = S(old[p(i)], old[p(i+1)]) with p(k) = 364k mod 729; p steps by +364 or -365,
    // and each iteration's second operand is the next one's first, so one load per trit.
    let idx = 0;
    let a = cur[0]!;
    for (let i = 0; i < CURL_STATE_TRITS; i++) {
      idx += idx < 365 ? 364 : -365;
      const b = cur[idx]!;
      next[i] = TRUTH[a + (b << 2) + 5]!;
      a = b;
    }
    const t = cur;
    cur = next;
    next = t;
  }
  out.set(cur.subarray(0, CURL_HASH_TRITS));
}

export function curlP81(input243: Int8Array): Int8Array {
  if (!(input243 instanceof Int8Array) || input243.length !== CURL_HASH_TRITS) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", `Curl input must be ${CURL_HASH_TRITS} trits`);
  }
  const out = new Int8Array(CURL_HASH_TRITS);
  curlP81Into(input243, out, createCurlScratch());
  return out;
}
