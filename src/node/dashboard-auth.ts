import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

// Hornet's dashboard login (dashboard.auth.passwordHash / passwordSalt): scrypt with N = 2^15,
// r = 8, p = 1 and a 32-byte key, so a hash made by Hornet's `tool pwd-hash` works here and back.
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** 128 · N · r bytes of scratch memory: above Node's 32 MiB default. */
const MAXMEM = 64 * 1024 * 1024;

export function passwordKey(password: string, salt: Uint8Array): Buffer {
  return scryptSync(Buffer.from(password, "utf8"), salt, KEY_BYTES, { N, r: R, p: P, maxmem: MAXMEM });
}

/** A new salt (32 random bytes) and the password's key, both hex, as the config keys hold them. */
export function hashPassword(
  password: string,
  salt: Uint8Array = randomBytes(32),
): {
  passwordHash: string;
  passwordSalt: string;
} {
  return {
    passwordHash: passwordKey(password, salt).toString("hex"),
    passwordSalt: Buffer.from(salt).toString("hex"),
  };
}

/** Constant-time check of a password against the configured hash and salt (hex). */
export function verifyPassword(password: string, passwordHash: string, passwordSalt: string): boolean {
  const stored = Buffer.from(passwordHash, "hex");
  if (stored.length !== KEY_BYTES) return false;
  return timingSafeEqual(passwordKey(password, Buffer.from(passwordSalt, "hex")), stored);
}
