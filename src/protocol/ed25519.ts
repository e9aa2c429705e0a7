// Ed25519 with the ZIP-215 acceptance rules required by TIP-14.
//
// node:crypto (OpenSSL) verifies ~10x faster than pure JS, so it goes first. OpenSSL is stricter
// than ZIP-215: it uses the cofactorless equation and rejects non-canonical R/A encodings and some
// small-order points, so everything it accepts ZIP-215 accepts too. When OpenSSL says no (or
// refuses the key), @noble/curves decides with ZIP-215 semantics (cofactored equation,
// non-canonical encodings accepted, S >= L rejected). Result: exactly the ZIP-215 set. Invalid
// signatures pay for both checks; that is fine because they are rare and only checked at
// confirmation time.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { ProtocolError } from "./errors.ts";
import { toHex } from "./hex.ts";
import { ED25519_PUBLIC_KEY_LENGTH, ED25519_SEED_LENGTH, ED25519_SIGNATURE_LENGTH } from "./params.ts";

export { generateEd25519Seed } from "./keys.ts";

// DER header that turns a raw 32-byte seed into a PKCS#8 structure for OpenSSL.
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

// Importing a key costs about as much as a verification; milestone keys repeat, so a few
// KeyObjects (immutable) are kept. Bounded: cleared when full. Results never depend on it.
const KEY_CACHE_LIMIT = 64;
const keyCache = new Map<string, KeyObject>();

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = toHex(publicKey);
  let key = keyCache.get(id);
  if (key === undefined) {
    // As a JWK: OpenSSL imports that several times faster than the same key as SPKI DER (measured in
    // bench/ledger.ts), and a milestone full of transfers imports one key per address.
    const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("base64url");
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

function openSslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

function zip215Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: true });
  } catch {
    return false;
  }
}

/** ZIP-215 Ed25519 verification. Wrong-length inputs verify as false; never throws. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!wellFormed(publicKey, message, signature)) return false;
  return openSslVerify(publicKey, message, signature) || zip215Verify(publicKey, message, signature);
}

function wellFormed(publicKey: unknown, message: unknown, signature: unknown): boolean {
  return (
    publicKey instanceof Uint8Array &&
    message instanceof Uint8Array &&
    signature instanceof Uint8Array &&
    publicKey.length === ED25519_PUBLIC_KEY_LENGTH &&
    signature.length === ED25519_SIGNATURE_LENGTH
  );
}

function openSslVerifyAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    try {
      verify(null, message, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * ZIP-215 verification of many signatures at once: OpenSSL's checks run on libuv's thread pool in
 * parallel (node:crypto's callback form), so a milestone's transactions use every core and the event
 * loop stays free; the rare ones OpenSSL rejects get the ZIP-215 second opinion, as ed25519Verify does.
 */
export async function ed25519VerifyBatch(
  items: readonly { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }[],
): Promise<boolean[]> {
  return Promise.all(
    items.map(async ({ publicKey, message, signature }) => {
      if (!wellFormed(publicKey, message, signature)) return false;
      return (
        (await openSslVerifyAsync(publicKey, message, signature)) ||
        zip215Verify(publicKey, message, signature)
      );
    }),
  );
}

function privateKeyFromSeed(seed: Uint8Array) {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SEED_LENGTH) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", `Ed25519 seed must be ${ED25519_SEED_LENGTH} bytes`);
  }
  return createPrivateKey({ key: withPrefix(PKCS8_PREFIX, seed), format: "der", type: "pkcs8" });
}

/** RFC 8032 signature (deterministic) by the key derived from a 32-byte seed. */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyFromSeed(seed)));
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyFromSeed(seed)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - ED25519_PUBLIC_KEY_LENGTH));
}
