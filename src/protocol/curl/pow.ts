// Proof of work (TIP-12): score = 3^(trailing zero trits of Curl-P-81 over
// b1t6(BLAKE2b-256(message minus nonce)) || b1t6(nonce LE) || 000) / message length.
import { blake2b256 } from "../blake2b.ts";
import { ProtocolError } from "../errors.ts";
import { CURL_HASH_TRITS, NONCE_LENGTH } from "../params.ts";
import { b1t6EncodeInto } from "./b1t6.ts";
import { type CurlScratch, createCurlScratch, curlP81Into } from "./curl.ts";

const DIGEST_LENGTH = 32;
const NONCE_TRIT_OFFSET = DIGEST_LENGTH * 6; // 192
const U64_MAX = (1n << 64n) - 1n;

/** BLAKE2b-256 of everything but the trailing 8-byte nonce. */
export function powDigest(messageBytes: Uint8Array): Uint8Array {
  if (!(messageBytes instanceof Uint8Array) || messageBytes.length < NONCE_LENGTH) {
    throw new ProtocolError("PROTO_TRUNCATED", "a message must be at least 8 bytes to hold a nonce");
  }
  return blake2b256(messageBytes.subarray(0, messageBytes.length - NONCE_LENGTH));
}

/** Consecutive zero trits counted from the last trit backwards. */
export function trailingZeros(hash: Int8Array): number {
  let z = 0;
  for (let i = hash.length - 1; i >= 0 && hash[i] === 0; i--) z++;
  return z;
}

function checkDigest(digest: Uint8Array): void {
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", `PoW digest must be ${DIGEST_LENGTH} bytes`);
  }
}

/** Reusable per-search state: the digest trits stay, only the 48 nonce trits change. */
class PowBlock {
  readonly input = new Int8Array(CURL_HASH_TRITS);
  readonly hash = new Int8Array(CURL_HASH_TRITS);
  readonly scratch: CurlScratch = createCurlScratch();
  private readonly nonceBytes = new Uint8Array(NONCE_LENGTH);
  private readonly nonceView = new DataView(this.nonceBytes.buffer);

  constructor(digest: Uint8Array) {
    b1t6EncodeInto(digest, this.input, 0);
    // Trits 240..242 stay zero (padding to one block).
  }

  zerosFor(nonce: bigint): number {
    this.nonceView.setBigUint64(0, nonce, true);
    b1t6EncodeInto(this.nonceBytes, this.input, NONCE_TRIT_OFFSET);
    curlP81Into(this.input, this.hash, this.scratch);
    return trailingZeros(this.hash);
  }
}

function checkNonce(nonce: bigint): void {
  if (typeof nonce !== "bigint" || nonce < 0n || nonce > U64_MAX) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "nonce must be a u64 bigint");
  }
}

/** Trailing zeros of the PoW hash for a digest and nonce. */
export function powTrailingZeros(digest: Uint8Array, nonce: bigint): number {
  checkDigest(digest);
  checkNonce(nonce);
  return new PowBlock(digest).zerosFor(nonce);
}

export function powScoreFromDigest(digest: Uint8Array, nonce: bigint, messageLength: number): number {
  return 3 ** powTrailingZeros(digest, nonce) / messageLength;
}

/** The PoW score of complete message bytes (nonce = last 8 bytes, little-endian). */
export function powScore(messageBytes: Uint8Array): number {
  const digest = powDigest(messageBytes);
  const view = new DataView(messageBytes.buffer, messageBytes.byteOffset, messageBytes.byteLength);
  const nonce = view.getBigUint64(messageBytes.length - NONCE_LENGTH, true);
  return powScoreFromDigest(digest, nonce, messageBytes.length);
}

/** Zeros a miner must reach: ceil(ln(length * score) / ln 3), as iota.js and iota.go compute it. */
export function targetTrailingZeros(messageLength: number, targetScore: number): number {
  const z = Math.ceil(Math.log(messageLength * targetScore) / Math.log(3));
  if (!Number.isFinite(z) || z < 0) return 0;
  return Math.min(z, CURL_HASH_TRITS);
}

/**
 * Scalar nonce search: the first nonce in [startNonce, startNonce + count) whose hash has at
 * least `targetZeros` trailing zeros, or null. Stops at 2^64 - 1.
 */
export function mineNonce(
  digest: Uint8Array,
  targetZeros: number,
  startNonce: bigint,
  count: number,
): bigint | null {
  checkDigest(digest);
  checkNonce(startNonce);
  const block = new PowBlock(digest);
  let nonce = startNonce;
  for (let i = 0; i < count && nonce <= U64_MAX; i++, nonce++) {
    if (block.zerosFor(nonce) >= targetZeros) return nonce;
  }
  return null;
}
