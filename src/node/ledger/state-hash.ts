import { blake2b256 } from "../../protocol/blake2b.ts";
import type { LedgerOutput } from "./records.ts";

/**
 * The ledger state hash: BLAKE2b-256 over (the unspent set's digest, the treasury output). The unspent
 * set's digest is the sum, modulo 2^256, of one BLAKE2b-256 digest per unspent output (an additive
 * multiset hash): independent of order, so it equals the digest of the sorted set, and updatable per
 * milestone from its UTXO diff alone instead of re-reading every unspent output (which a milestone
 * every few seconds cannot afford once the ledger holds millions of outputs). `recompute` in
 * Ledger rebuilds it from scratch to check the running value.
 */
const MODULUS = 1n << 256n;
const DOMAIN = new TextEncoder().encode("stinger-utxo-v1");

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`);
}

function toBytes32(n: bigint): Uint8Array {
  return Buffer.from(n.toString(16).padStart(64, "0"), "hex");
}

/** The digest one unspent output contributes: what identifies it and what it holds. */
export function outputDigest(o: LedgerOutput): bigint {
  const amount = new Uint8Array(8);
  new DataView(amount.buffer).setBigUint64(0, o.amount, true);
  return toBigInt(blake2b256(DOMAIN, o.outputId, Uint8Array.of(o.outputType), o.address, amount));
}

export function addDigest(acc: bigint, o: LedgerOutput): bigint {
  return (acc + outputDigest(o)) % MODULUS;
}

export function removeDigest(acc: bigint, o: LedgerOutput): bigint {
  return (acc - outputDigest(o) + MODULUS) % MODULUS;
}

/** The state hash for an unspent-set digest and the treasury output. */
export function ledgerStateHash(
  unspentDigest: bigint,
  treasury: { milestoneId: Uint8Array; amount: bigint },
) {
  const amount = new Uint8Array(8);
  new DataView(amount.buffer).setBigUint64(0, treasury.amount, true);
  return blake2b256(toBytes32(unspentDigest), treasury.milestoneId, amount);
}
