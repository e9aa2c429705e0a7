// SLIP-10 key derivation for Ed25519 (https://github.com/satoshilabs/slips/blob/master/slip-0010.md),
// as IOTA wallets use it: BIP-44 path m/44'/4218'/account'/internal'/index', every level hardened
// (Ed25519 has no public derivation). The result of a path is a 32-byte Ed25519 seed (private key).
import { createHmac } from "node:crypto";
import { ed25519Address } from "./bech32.ts";
import { ed25519PublicKey } from "./ed25519.ts";
import { ProtocolError } from "./errors.ts";

/** Added to an index to mark it hardened. */
export const SLIP10_HARDENED_OFFSET = 0x8000_0000;
/** IOTA's registered SLIP-44 coin type. */
export const IOTA_COIN_TYPE = 4218;
export const BIP44_PURPOSE = 44;

const MASTER_KEY = new TextEncoder().encode("ed25519 seed");
const MAX_INDEX = SLIP10_HARDENED_OFFSET - 1;

export interface Slip10Key {
  /** 32 bytes: the Ed25519 seed of this node. */
  privateKey: Uint8Array;
  /** 32 bytes */
  chainCode: Uint8Array;
}

function fail(message: string): never {
  throw new ProtocolError("PROTO_INVALID_ARGUMENT", message);
}

function split(digest: Buffer): Slip10Key {
  return {
    privateKey: Uint8Array.from(digest.subarray(0, 32)),
    chainCode: Uint8Array.from(digest.subarray(32)),
  };
}

/** The master node: HMAC-SHA512 with key "ed25519 seed" over the seed (any length). */
export function slip10MasterKey(seed: Uint8Array): Slip10Key {
  if (!(seed instanceof Uint8Array)) fail("SLIP-10 seed must be bytes");
  return split(createHmac("sha512", MASTER_KEY).update(seed).digest());
}

/** The hardened child `index'` of a node. */
export function slip10Child(parent: Slip10Key, index: number): Slip10Key {
  checkIndex(index);
  const data = Buffer.alloc(1 + 32 + 4);
  data.set(parent.privateKey, 1);
  data.writeUInt32BE(SLIP10_HARDENED_OFFSET + index, 33);
  return split(createHmac("sha512", parent.chainCode).update(data).digest());
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
    fail(`SLIP-10 index must be an integer from 0 to ${MAX_INDEX} (hardened), got ${index}`);
  }
}

/**
 * Parses "m/44'/4218'/0'/0'/0'" into the indexes [44, 4218, 0, 0, 0] (without the hardened bit).
 * Every level must be hardened (' or h or H): SLIP-10 Ed25519 has no other kind.
 */
export function parseSlip10Path(path: string): number[] {
  if (typeof path !== "string") fail("SLIP-10 path must be a string");
  const parts = path.split("/");
  if (parts[0] !== "m" && parts[0] !== "M") fail(`SLIP-10 path must start with "m": ${path}`);
  return parts.slice(1).map((part) => {
    const m = /^(\d{1,10})['hH]$/.exec(part);
    if (m === null) {
      fail(
        /^\d+$/.test(part)
          ? `SLIP-10 Ed25519 derives hardened indexes only: "${part}" in ${path} needs a '`
          : `SLIP-10 path level "${part}" is not an index: ${path}`,
      );
    }
    const index = Number(m[1]);
    checkIndex(index);
    return index;
  });
}

/**
 * The node at `path` below the master node of `seed`. `path` is a string ("m/0'/1'") or the list of
 * indexes, each 0..2^31-1 and taken as hardened.
 */
export function slip10Derive(seed: Uint8Array, path: string | readonly number[]): Slip10Key {
  const indexes = typeof path === "string" ? parseSlip10Path(path) : path;
  if (!Array.isArray(indexes)) fail("SLIP-10 path must be a string or an array of indexes");
  let key = slip10MasterKey(seed);
  for (const index of indexes) key = slip10Child(key, index);
  return key;
}

/** The 32-byte Ed25519 seed (private key) at `path` below `seed`. */
export function deriveEd25519Seed(seed: Uint8Array, path: string | readonly number[]): Uint8Array {
  return slip10Derive(seed, path).privateKey;
}

/** IOTA's BIP-44 path: m/44'/4218'/account'/internal'/index' (internal: 1' for change addresses). */
export function bip44Path(account: number, internal: boolean, index: number): string {
  checkIndex(account);
  checkIndex(index);
  if (typeof internal !== "boolean") fail("internal must be a boolean");
  return `m/${BIP44_PURPOSE}'/${IOTA_COIN_TYPE}'/${account}'/${internal ? 1 : 0}'/${index}'`;
}

/**
 * The Ed25519 seed of IOTA address (account, internal, index) of a wallet seed: what iota.js 1.8
 * computes as `new Ed25519Seed(seed).generateSeedFromPath(generateBip44Path(account, index, internal))`.
 */
export function deriveBip44Seed(
  seed: Uint8Array,
  account: number,
  internal: boolean,
  index: number,
): Uint8Array {
  if (typeof internal !== "boolean") fail("internal must be a boolean");
  return deriveEd25519Seed(seed, [BIP44_PURPOSE, IOTA_COIN_TYPE, account, internal ? 1 : 0, index]);
}

/** The 32-byte Ed25519 address (BLAKE2b-256 of the public key) of a 32-byte Ed25519 seed. */
export function ed25519AddressOfSeed(seed: Uint8Array): Uint8Array {
  return ed25519Address(ed25519PublicKey(seed));
}
