// Signed Chrysalis value transactions for tests, over the project's own transaction builder.
import { ed25519Address } from "../../src/protocol/bech32.ts";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { outputId, transactionId } from "../../src/protocol/message.ts";
import { buildTransaction, type Signer } from "../../src/protocol/transaction-builder.ts";
import type { TransactionPayload } from "../../src/protocol/types.ts";

export interface Wallet {
  seed: Uint8Array;
  publicKey: Uint8Array;
  address: Uint8Array;
}

export function wallet(seed: Uint8Array): Wallet {
  const publicKey = ed25519PublicKey(seed);
  return { seed, publicKey, address: ed25519Address(publicKey) };
}

export interface Spend {
  /** 34-byte output ID */
  outputId: Uint8Array;
  /** who owns it */
  owner: Wallet;
}

export interface Pay {
  address: Uint8Array;
  amount: bigint;
  /** 1 for a dust allowance output */
  type?: 0 | 1;
}

/** A transaction spending `spends` into `pays`; `sign` replaces the signer (to forge a signature, say). */
export function transaction(spends: Spend[], pays: Pay[], opts: { sign?: Signer } = {}): TransactionPayload {
  return buildTransaction(
    spends.map((s) => ({ outputId: s.outputId, seed: s.owner.seed })),
    pays.map((p) => ({ type: p.type ?? 0, address: { type: 0, address: p.address }, amount: p.amount })),
    opts,
  );
}

/** The output IDs a transaction creates, in output order. */
export function outputsOf(tx: TransactionPayload): Uint8Array[] {
  const id = transactionId(tx);
  return tx.essence.outputs.map((_, i) => outputId(id, i));
}
