import { ProtocolError } from "./errors.ts";

// Byte -> two lowercase hex chars; a table beats per-byte toString(16) on the REST hot path.
const BYTE_TO_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_TO_HEX.push(i.toString(16).padStart(2, "0"));

// Char code -> nibble value, -1 for non-hex. Covers only ASCII; anything above is rejected.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i;
  HEX_VALUE[97 + i] = 10 + i;
}

/** Lowercase hex without prefix. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_HEX[bytes[i]!];
  return out;
}

function nibble(hex: string, i: number): number {
  const c = hex.charCodeAt(i);
  return c < 128 ? HEX_VALUE[c]! : -1;
}

/**
 * Decodes hex (either case, no "0x" prefix). With `expectedLength` the result must have exactly
 * that many bytes. Throws PROTO_INVALID_HEX.
 */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (typeof hex !== "string") throw new ProtocolError("PROTO_INVALID_HEX", "hex value must be a string");
  if (hex.length % 2 !== 0) throw new ProtocolError("PROTO_INVALID_HEX", "hex string has an odd length");
  const len = hex.length / 2;
  if (expectedLength !== undefined && len !== expectedLength) {
    throw new ProtocolError(
      "PROTO_INVALID_HEX",
      `hex string must encode ${expectedLength} bytes, got ${len}`,
    );
  }
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const hi = nibble(hex, 2 * i);
    const lo = nibble(hex, 2 * i + 1);
    if (hi < 0 || lo < 0) throw new ProtocolError("PROTO_INVALID_HEX", "hex string has a non-hex character");
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** True for an even-length string of hex digits (either case), the input `fromHex` accepts. */
export function isHex(s: unknown): s is string {
  if (typeof s !== "string" || s.length % 2 !== 0) return false;
  for (let i = 0; i < s.length; i++) if (nibble(s, i) < 0) return false;
  return true;
}
