// The one source of randomness in src/protocol: fresh Ed25519 seeds for key generation.
import { randomBytes } from "node:crypto";
import { ED25519_SEED_LENGTH } from "./params.ts";

export function generateEd25519Seed(): Uint8Array {
  return new Uint8Array(randomBytes(ED25519_SEED_LENGTH));
}
