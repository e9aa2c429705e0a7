// Shared test helpers: error-code assertions and small valid message builders.
import assert from "node:assert/strict";
import { compareBytes } from "../../src/protocol/bytes.ts";
import { ProtocolError, type ProtocolErrorCode } from "../../src/protocol/errors.ts";
import type {
  Message,
  MilestonePayload,
  ReceiptPayload,
  SigLockedOutput,
  TransactionPayload,
  UtxoInput,
} from "../../src/protocol/types.ts";

export function assertCode(fn: () => unknown, code: ProtocolErrorCode, messagePart?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (typeof messagePart === "string") assert.ok(err.message.includes(messagePart), err.message);
    else if (messagePart) assert.match(err.message, messagePart);
    return true;
  });
}

/** 32 bytes filled with `b` (readable distinct IDs). */
export function id32(b: number): Uint8Array {
  return new Uint8Array(32).fill(b);
}

export function bytesOf(len: number, b: number): Uint8Array {
  return new Uint8Array(len).fill(b);
}

export function input(txByte: number, index: number): UtxoInput {
  return { type: 0, transactionId: id32(txByte), transactionOutputIndex: index };
}

export function output(addrByte: number, amount: bigint, type: 0 | 1 = 0): SigLockedOutput {
  return { type, address: { type: 0, address: id32(addrByte) }, amount };
}

export function sigBlock(keyByte: number, sigByte: number) {
  return {
    type: 0 as const,
    signature: { type: 0 as const, publicKey: id32(keyByte), signature: bytesOf(64, sigByte) },
  };
}

/** A syntactically valid transaction: 3 inputs (sig, ref, sig), 2 outputs, an indexation. */
export function sampleTransaction(): TransactionPayload {
  return {
    type: 0,
    essence: {
      type: 0,
      inputs: [input(1, 0), input(1, 1), input(2, 0)],
      outputs: [output(5, 1_000_000n), output(6, 2_000_000n, 1)],
      payload: { type: 2, index: Uint8Array.from([0x61]), data: Uint8Array.from([1, 2, 3]) },
    },
    unlockBlocks: [sigBlock(7, 8), { type: 1, reference: 0 }, sigBlock(9, 10)],
  };
}

export function sampleReceipt(): ReceiptPayload {
  return {
    type: 3,
    migratedAt: 42,
    final: true,
    funds: [
      { tailTransactionHash: bytesOf(49, 1), address: { type: 0, address: id32(3) }, deposit: 1_000_000n },
      { tailTransactionHash: bytesOf(49, 2), address: { type: 0, address: id32(4) }, deposit: 5_000_000n },
    ],
    transaction: {
      type: 4,
      input: { type: 1, milestoneId: id32(9) },
      output: { type: 2, amount: 100_000_000n },
    },
  };
}

export function sampleMilestone(parents: Uint8Array[]): MilestonePayload {
  return {
    type: 1,
    index: 5,
    timestamp: 1609459200n,
    parents,
    inclusionMerkleProof: id32(0xaa),
    nextPoWScore: 0,
    nextPoWScoreMilestoneIndex: 0,
    publicKeys: [id32(0x10), id32(0x20)],
    receipt: sampleReceipt(),
    signatures: [bytesOf(64, 1), bytesOf(64, 2)],
  };
}

export function messageWith(payload: Message["payload"], parents = [id32(1), id32(2)]): Message {
  return { networkId: 123n, parents, payload, nonce: 456n };
}

export function sortBytes(list: Uint8Array[]): Uint8Array[] {
  return [...list].sort(compareBytes);
}
