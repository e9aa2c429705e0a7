// b1t6 (TIP-5): each byte as a signed int8, written as 6 balanced trits, least significant first.
import { ProtocolError } from "../errors.ts";

export const TRITS_PER_BYTE = 6;

// 256 x 6 trits, indexed by the unsigned byte value.
const BYTE_TRITS = new Int8Array(256 * TRITS_PER_BYTE);
for (let b = 0; b < 256; b++) {
  let v = b < 128 ? b : b - 256;
  for (let j = 0; j < TRITS_PER_BYTE; j++) {
    let r = v % 3;
    if (r === 2) r = -1;
    else if (r === -2) r = 1;
    BYTE_TRITS[b * TRITS_PER_BYTE + j] = r;
    v = (v - r) / 3;
  }
}

/** Writes b1t6(bytes) into `out` at `offset` (no allocation; used by the miner). */
export function b1t6EncodeInto(bytes: Uint8Array, out: Int8Array, offset: number): void {
  for (let i = 0; i < bytes.length; i++) {
    out.set(
      BYTE_TRITS.subarray(bytes[i]! * TRITS_PER_BYTE, (bytes[i]! + 1) * TRITS_PER_BYTE),
      offset + i * 6,
    );
  }
}

export function b1t6Encode(bytes: Uint8Array): Int8Array {
  const out = new Int8Array(bytes.length * TRITS_PER_BYTE);
  b1t6EncodeInto(bytes, out, 0);
  return out;
}

/** Inverse of b1t6Encode; rejects trit groups that no byte encodes to (TIP-5 malleability note). */
export function b1t6Decode(trits: Int8Array): Uint8Array {
  if (trits.length % TRITS_PER_BYTE !== 0) {
    throw new ProtocolError("PROTO_INVALID_FIELD", "b1t6 trit count must be a multiple of 6");
  }
  const out = new Uint8Array(trits.length / TRITS_PER_BYTE);
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let j = TRITS_PER_BYTE - 1; j >= 0; j--) {
      const t = trits[i * TRITS_PER_BYTE + j]!;
      if (t < -1 || t > 1) throw new ProtocolError("PROTO_INVALID_FIELD", "trits must be -1, 0 or 1");
      v = v * 3 + t;
    }
    if (v < -128 || v > 127)
      throw new ProtocolError("PROTO_INVALID_FIELD", "b1t6 group is outside the int8 range");
    out[i] = v & 0xff;
  }
  return out;
}

// Tryte alphabet: '9' = 0, 'A'..'M' = 1..13, 'N'..'Z' = -13..-1.
const TRYTE_ALPHABET = "9ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function tritsToTrytes(trits: Int8Array): string {
  if (trits.length % 3 !== 0)
    throw new ProtocolError("PROTO_INVALID_FIELD", "trit count must be a multiple of 3");
  let out = "";
  for (let i = 0; i < trits.length; i += 3) {
    const v = trits[i]! + 3 * trits[i + 1]! + 9 * trits[i + 2]!;
    const c = TRYTE_ALPHABET[v < 0 ? v + 27 : v];
    if (c === undefined) throw new ProtocolError("PROTO_INVALID_FIELD", "trits must be -1, 0 or 1");
    out += c;
  }
  return out;
}

export function trytesToTrits(trytes: string): Int8Array {
  const out = new Int8Array(trytes.length * 3);
  for (let i = 0; i < trytes.length; i++) {
    const idx = TRYTE_ALPHABET.indexOf(trytes[i]!);
    if (idx < 0) throw new ProtocolError("PROTO_INVALID_FIELD", `not a tryte character: ${trytes[i]}`);
    let v = idx > 13 ? idx - 27 : idx;
    for (let j = 0; j < 3; j++) {
      let r = v % 3;
      if (r === 2) r = -1;
      else if (r === -2) r = 1;
      out[i * 3 + j] = r;
      v = (v - r) / 3;
    }
  }
  return out;
}
