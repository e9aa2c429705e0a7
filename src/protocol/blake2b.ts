import { blake2b } from "@noble/hashes/blake2.js";

/** BLAKE2b-256 over the concatenation of `parts` (no copy of the parts). */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return blake2b(parts[0]!, { dkLen: 32 });
  const h = blake2b.create({ dkLen: 32 });
  for (const p of parts) h.update(p);
  return h.digest();
}
