// Bech32 (BIP-173, not bech32m) addresses per TIP-11: data = type byte 0x00 || BLAKE2b-256(pubkey).
import { blake2b256 } from "./blake2b.ts";
import { ProtocolError } from "./errors.ts";
import { ADDRESS_TYPE_ED25519, ED25519_ADDRESS_LENGTH, ED25519_PUBLIC_KEY_LENGTH } from "./params.ts";
import type { Ed25519Address } from "./types.ts";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const MAX_LENGTH = 90;

function fail(message: string): never {
  throw new ProtocolError("PROTO_BECH32", message);
}

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >>> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = (acc << from) | data[i]!;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & maxv);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    fail("bech32 data has invalid padding");
  }
  return out;
}

function checkHrp(hrp: string): void {
  if (hrp.length < 1 || hrp.length > 83) fail("bech32 human-readable part must be 1 to 83 characters");
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) fail("bech32 human-readable part has an invalid character");
  }
  if (hrp !== hrp.toLowerCase()) fail("bech32 human-readable part must be lower case");
}

/** Plain BIP-173 encoding of 8-bit `data` under `hrp`. */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  checkHrp(hrp);
  const words = convertBits(data, 8, 5, true);
  const values = [...hrpExpand(hrp), ...words, 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ 1;
  let out = `${hrp}1`;
  for (const w of words) out += CHARSET[w];
  for (let i = 0; i < 6; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  if (out.length > MAX_LENGTH) fail(`bech32 string would exceed ${MAX_LENGTH} characters`);
  return out;
}

/** Plain BIP-173 decoding; returns the lower-case hrp and the 8-bit data. */
export function bech32Decode(str: string): { hrp: string; data: Uint8Array } {
  if (typeof str !== "string") fail("bech32 address must be a string");
  if (str.length > MAX_LENGTH) fail(`bech32 string exceeds ${MAX_LENGTH} characters`);
  const lower = str.toLowerCase();
  if (str !== lower && str !== str.toUpperCase()) fail("bech32 string mixes upper and lower case");
  const sep = lower.lastIndexOf("1");
  if (sep < 1) fail("bech32 string has no human-readable part");
  if (lower.length - sep - 1 < 6) fail("bech32 string is too short for a checksum");
  const hrp = lower.slice(0, sep);
  checkHrp(hrp);
  const words: number[] = [];
  for (let i = sep + 1; i < lower.length; i++) {
    const v = CHARSET.indexOf(lower[i]!);
    if (v < 0) fail(`bech32 string has an invalid character '${lower[i]}'`);
    words.push(v);
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) fail("bech32 checksum is invalid");
  return { hrp, data: Uint8Array.from(convertBits(words.slice(0, -6), 5, 8, false)) };
}

/** Ed25519 address = BLAKE2b-256(public key). */
export function ed25519Address(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new ProtocolError(
      "PROTO_INVALID_ARGUMENT",
      `public key must be ${ED25519_PUBLIC_KEY_LENGTH} bytes`,
    );
  }
  return blake2b256(publicKey);
}

/** Bech32 string of an Ed25519 address (object, or its 32 raw bytes). */
export function encodeAddress(hrp: string, address: Ed25519Address | Uint8Array): string {
  const raw = address instanceof Uint8Array ? address : address?.address;
  if (!(address instanceof Uint8Array) && address?.type !== ADDRESS_TYPE_ED25519) {
    fail("only Ed25519 addresses (type 0) can be encoded");
  }
  if (!(raw instanceof Uint8Array) || raw.length !== ED25519_ADDRESS_LENGTH) {
    fail(`Ed25519 address must be ${ED25519_ADDRESS_LENGTH} bytes`);
  }
  const data = new Uint8Array(1 + ED25519_ADDRESS_LENGTH);
  data[0] = ADDRESS_TYPE_ED25519;
  data.set(raw, 1);
  return bech32Encode(hrp, data);
}

/** Parses a bech32 Ed25519 address; the caller compares `hrp` with the network's. */
export function decodeAddress(str: string): { hrp: string; address: Ed25519Address } {
  const { hrp, data } = bech32Decode(str);
  if (data.length === 0 || data[0] !== ADDRESS_TYPE_ED25519) fail("bech32 address type is not Ed25519 (0)");
  if (data.length !== 1 + ED25519_ADDRESS_LENGTH) fail("bech32 Ed25519 address must carry 32 bytes");
  return { hrp, address: { type: ADDRESS_TYPE_ED25519, address: data.slice(1) } };
}
