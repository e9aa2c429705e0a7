import { toHex } from "../../protocol/hex.ts";
import { deserializeMessage, serializePayload } from "../../protocol/message.ts";
import { PAYLOAD_MILESTONE } from "../../protocol/types.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import type { Store } from "../store/store.ts";
import type { SnapshotMilestoneDiff, SnapshotOutput } from "./snapshot-file.ts";

function snapshotOutput(o: LedgerOutput): SnapshotOutput {
  return {
    messageId: o.messageId,
    outputId: o.outputId,
    outputType: o.outputType,
    address: o.address,
    amount: o.amount,
  };
}

/**
 * Milestone `index`'s ledger change as a snapshot file carries it: the milestone payload, the outputs
 * it created and consumed in full, and the treasury its receipt spent. Only for milestones not yet
 * pruned (their diff, message and consumed outputs are still stored).
 */
export function snapshotMilestoneDiff(store: Store, ledger: Ledger, index: number): SnapshotMilestoneDiff {
  const missing = (what: string) => new Error(`milestone ${index}: ${what} is not in the database (pruned?)`);
  const record = store.getMilestone(index);
  if (!record) throw missing("the milestone");
  const bytes = store.getMessage(record.messageId);
  if (!bytes) throw missing(`the milestone message ${toHex(record.messageId)}`);
  const payload = deserializeMessage(bytes).payload;
  if (payload?.type !== PAYLOAD_MILESTONE)
    throw new Error(`milestone ${index}: its message holds no milestone`);
  const diff = ledger.diff(index);
  if (!diff) throw missing("the ledger diff");
  const created = diff.created.map((id) => {
    const o = ledger.output(id);
    if (!o) throw missing(`created output ${toHex(id)}`);
    return snapshotOutput(o);
  });
  const consumed = diff.consumed.map((id) => {
    const o = ledger.output(id);
    const s = ledger.spent(id);
    if (!o || !s) throw missing(`consumed output ${toHex(id)}`);
    return { ...snapshotOutput(o), targetTransactionId: s.transactionId };
  });
  return {
    milestonePayload: serializePayload(payload),
    spentTreasury: payload.receipt ? diff.spentTreasury : undefined,
    created,
    consumed,
  };
}

/** Whether every milestone from `from` to `to` still has what snapshotMilestoneDiff needs. */
export function milestoneDiffsStored(store: Store, ledger: Ledger, from: number, to: number): boolean {
  // Pruning removes from the bottom, so the lowest milestone of the range decides.
  return from > to || (store.getMilestone(from) !== undefined && ledger.diff(from) !== undefined);
}
