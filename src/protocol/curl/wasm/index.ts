// WebAssembly SIMD128 engine for the bit-sliced Curl-P-81 (curl.wat, 256 lanes per transform).
// Same contracts as mineNonceBitsliced / trailingZerosBatch in ../bitsliced.ts; callers fall back
// to those when loadCurlWasm() returns null (module not built, or no SIMD).
import { readFileSync } from "node:fs";
import { ProtocolError } from "../../errors.ts";
import { CURL_HASH_TRITS } from "../../params.ts";
import { b1t6EncodeInto } from "../b1t6.ts";

const LANES = 256;
const DIGEST_LENGTH = 32;
const DIGEST_TRITS = 192;
// A trit is 64 bytes: X plane (32 bytes, 256 lanes) then Y plane. curl.wat keeps inputs and results in
// its representation N: X = ~lo, Y = ~hi of bitsliced.ts, so zero = (0,0), +1 = (1,0), -1 = (0,1).
const TRIT_BYTES = 64;
const STATE_BYTES = 729 * TRIT_BYTES;
const U64 = 1n << 64n;
// Batches per wasm call: the result 256 * batch + lane must stay an i32.
const MAX_BATCHES = 1 << 16;

export interface CurlWasm {
  /** First nonce in [start, start + count) (mod 2^64) whose hash has >= targetZeros trailing zeros. */
  mineNonce(digest: Uint8Array, targetZeros: number, start: bigint, count: number): bigint | null;
  /** Trailing zero trits of the Curl-P-81 hashes of up to `lanes` 243-trit inputs. */
  trailingZerosBatch(inputs: Int8Array[]): number[];
  readonly lanes: number;
}

// The repo's lib settings (ES2022, no DOM) carry no WebAssembly types: declare the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

interface Exports {
  memory: { buffer: ArrayBuffer };
  template: { value: number };
  result: { value: number };
  hash(): void;
  mine(target: number, base: bigint, first: number, end: number, batches: number): number;
}

// dist/protocol/curl/wasm/index.js finds curl.wasm beside itself; src/.../index.ts (tsx) finds it in dist/.
const CANDIDATES = [
  new URL("./curl.wasm", import.meta.url),
  new URL("../../../../dist/protocol/curl/wasm/curl.wasm", import.meta.url),
];

// undefined: not tried yet in this thread; null: unavailable.
let cached: CurlWasm | null | undefined;

/** The thread's engine instance (each worker compiles its own), or null when it cannot run here. */
export function loadCurlWasm(): CurlWasm | null {
  if (cached !== undefined) return cached;
  cached = null;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return cached;
  for (const url of CANDIDATES) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(url);
    } catch {
      continue;
    }
    try {
      const instance = new wasm.Instance(new wasm.Module(bytes));
      cached = createEngine(instance.exports as Exports);
    } catch {
      // A runtime without SIMD128 rejects the module: stay on the JS engines.
    }
    break;
  }
  return cached;
}

function createEngine(ex: Exports): CurlWasm {
  const mem = new Uint8Array(ex.memory.buffer);
  const words = new Int32Array(ex.memory.buffer);
  const template = ex.template.value;
  const result = ex.result.value;
  const trits = new Int8Array(CURL_HASH_TRITS);

  // Writes one trit into every lane of TEMPLATE.
  const fillTrit = (k: number, t: number) => {
    const off = template + k * TRIT_BYTES;
    mem.fill(t === 1 ? 0xff : 0, off, off + 32);
    mem.fill(t === -1 ? 0xff : 0, off + 32, off + 64);
  };

  // The digest TEMPLATE was last set up for: a miner calling again in chunks skips the setup.
  const prepared = new Uint8Array(DIGEST_LENGTH);
  let preparedValid = false;

  const setupMine = (digest: Uint8Array) => {
    if (preparedValid && prepared.every((b, i) => b === digest[i])) return;
    mem.fill(0, template, template + STATE_BYTES); // zero trits everywhere
    b1t6EncodeInto(digest, trits, 0);
    for (let k = 0; k < DIGEST_TRITS; k++) fillTrit(k, trits[k]!);
    // Nonce byte 0 is the lane index (batches start at multiples of 256): a fixed lane pattern.
    const byte = new Uint8Array(1);
    const byteTrits = new Int8Array(6);
    for (let lane = 0; lane < LANES; lane++) {
      byte[0] = lane;
      b1t6EncodeInto(byte, byteTrits, 0);
      for (let k = 0; k < 6; k++) setLane(words, template, DIGEST_TRITS + k, lane, byteTrits[k]!);
    }
    prepared.set(digest);
    preparedValid = true;
  };

  return {
    lanes: LANES,

    mineNonce(digest, targetZeros, start, count) {
      if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
        throw new ProtocolError("PROTO_INVALID_ARGUMENT", `PoW digest must be ${DIGEST_LENGTH} bytes`);
      }
      if (typeof start !== "bigint" || start < 0n || start >= U64) {
        throw new ProtocolError("PROTO_INVALID_ARGUMENT", "nonce must be a u64 bigint");
      }
      // Like the JS engines: a target past the hash length never matches.
      if (!(count >= 1) || targetZeros > CURL_HASH_TRITS) return null;
      const target = Math.max(0, Math.floor(targetZeros));
      setupMine(digest);
      // Lane positions are counted from the 256-aligned base below start; nonce = base + position.
      let base = start & ~0xffn;
      let first = Number(start & 0xffn);
      let remaining = first + Math.floor(count); // positions still to cover, from base
      while (remaining > 0) {
        const span = Math.min(remaining, MAX_BATCHES * LANES);
        const batches = Math.ceil(span / LANES);
        const end = span - (batches - 1) * LANES;
        const hit = ex.mine(target, BigInt.asIntN(64, base), first, end, batches);
        if (hit >= 0) return BigInt.asUintN(64, base + BigInt(hit));
        base = BigInt.asUintN(64, base + BigInt(batches * LANES));
        remaining -= batches * LANES;
        first = 0;
      }
      return null;
    },

    trailingZerosBatch(inputs) {
      if (inputs.length > LANES) throw new RangeError(`at most ${LANES} inputs per batch`);
      preparedValid = false;
      mem.fill(0, template, template + STATE_BYTES);
      for (let lane = 0; lane < inputs.length; lane++) {
        const input = inputs[lane]!;
        for (let k = 0; k < CURL_HASH_TRITS; k++) {
          const t = input[k]!;
          if (t === 1 || t === -1) setLane(words, template, k, lane, t);
        }
      }
      ex.hash();
      const zeros: number[] = [];
      for (let lane = 0; lane < inputs.length; lane++) {
        const w = lane >> 5;
        const bit = 1 << (lane & 31);
        let z = 0;
        for (let k = CURL_HASH_TRITS - 1; k >= 0; k--) {
          const off = (result + k * TRIT_BYTES) >> 2;
          if (((words[off + w]! | words[off + 8 + w]!) & bit) !== 0) break;
          z++;
        }
        zeros.push(z);
      }
      return zeros;
    },
  };
}

/** Sets one lane of trit k (representation N): lane j is bit j & 31 of u32 word j >> 5 of each plane. */
function setLane(words: Int32Array, base: number, k: number, lane: number, t: number): void {
  const off = (base + k * TRIT_BYTES) >> 2;
  const w = lane >> 5;
  const bit = 1 << (lane & 31);
  if (t === 1) words[off + w]! |= bit;
  else words[off + w]! &= ~bit;
  if (t === -1) words[off + 8 + w]! |= bit;
  else words[off + 8 + w]! &= ~bit;
}
