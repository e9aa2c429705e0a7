import { toHex } from "../../protocol/hex.ts";
import type { Message } from "../../protocol/types.ts";
import { PAYLOAD_TRANSACTION } from "../../protocol/types.ts";

/** RFC-0005 conflict reason: the ledger holds no output for an input. */
export const CONFLICT_INPUT_NOT_FOUND = 3;

export interface WhiteFlagEntry {
  id: Uint8Array;
  /** 0 noTransaction, 1 included, 2 conflicting (index into INCLUSION_STATES) */
  inclusion: number;
  conflictReason: number;
}

export interface WhiteFlagResult {
  /** every newly referenced message, in white-flag (post-order) order */
  entries: WhiteFlagEntry[];
  /** IDs of messages whose transaction was included, in order: the Merkle tree leaves */
  includedTransactions: Uint8Array[];
}

export interface ConeAccess {
  /** The decoded message, or undefined when it is not (yet) stored. */
  message(id: Uint8Array): Message | undefined;
  /** True for messages referenced by an earlier milestone and for solid entry points. */
  isReferenced(id: Uint8Array): boolean;
}

/**
 * Walks the past cone of a milestone's parents depth first, parents in their stored order, emitting
 * each message after its parents (post-order), stopping at already referenced messages. Returns null
 * when a message of the cone is missing, i.e. the cone is not solid yet.
 *
 * Ledger semantics arrive with the UTXO ledger: until then the ledger holds no outputs, so every
 * transaction conflicts with "input not found", exactly as a node with an empty ledger would judge it.
 */
export function whiteFlag(parents: Uint8Array[], cone: ConeAccess): WhiteFlagResult | null {
  const visited = new Set<string>();
  const entries: WhiteFlagEntry[] = [];
  const stack: { id: Uint8Array; msg?: Message }[] = [];
  for (let i = parents.length - 1; i >= 0; i--) stack.push({ id: parents[i]! });
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.msg) {
      const isTx = top.msg.payload?.type === PAYLOAD_TRANSACTION;
      entries.push({
        id: top.id,
        inclusion: isTx ? 2 : 0,
        conflictReason: isTx ? CONFLICT_INPUT_NOT_FOUND : 0,
      });
      continue;
    }
    const key = toHex(top.id);
    if (visited.has(key) || cone.isReferenced(top.id)) continue;
    const msg = cone.message(top.id);
    if (!msg) return null;
    visited.add(key);
    stack.push({ id: top.id, msg });
    for (let i = msg.parents.length - 1; i >= 0; i--) stack.push({ id: msg.parents[i]! });
  }
  const includedTransactions = entries.filter((e) => e.inclusion === 1).map((e) => e.id);
  return { entries, includedTransactions };
}
