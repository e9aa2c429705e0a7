import { toHex } from "../../protocol/hex.ts";
import { milestoneId } from "../../protocol/message.ts";
import { TOTAL_SUPPLY } from "../../protocol/params.ts";
import type { MilestonePayload } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { Treasury } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import type { ReadMilestoneDiff, SnapshotOutput } from "./snapshot-file.ts";

function key(outputId: Uint8Array): string {
  return Buffer.from(outputId.buffer, outputId.byteOffset, outputId.byteLength).toString("latin1");
}

function sameOutput(a: SnapshotOutput, b: SnapshotOutput): boolean {
  return (
    a.amount === b.amount &&
    a.outputType === b.outputType &&
    Buffer.compare(a.address, b.address) === 0 &&
    Buffer.compare(a.messageId, b.messageId) === 0
  );
}

function sameTreasury(a: Treasury, b: Treasury): boolean {
  return a.amount === b.amount && Buffer.compare(a.milestoneId, b.milestoneId) === 0;
}

/**
 * A snapshot's ledger in memory while its milestone diffs are applied: a full snapshot's diffs roll its
 * ledger back from the ledger index to the solid entry point index, a delta's move it forward. Every
 * step is checked (consecutive milestone indexes, signatures, outputs present or absent as the diff
 * says, the treasury chain), so a diff that does not fit the ledger it claims to follow is refused.
 */
export class SnapshotLedger {
  private readonly unspent = new Map<string, LedgerOutput>();

  constructor(
    public source: string,
    public index: number,
    public treasury: Treasury,
    /** throws when the milestone's signatures are not the coordinator's */
    private readonly checkMilestone: (ms: MilestonePayload) => void,
  ) {}

  private invalid(message: string): StingerError {
    return new StingerError("SNAPSHOT_INVALID", `${this.source}: ${message}`);
  }

  add(o: SnapshotOutput, bookedAt: number): void {
    this.unspent.set(key(o.outputId), { ...o, bookedAt });
  }

  get size(): number {
    return this.unspent.size;
  }

  outputs(): IterableIterator<LedgerOutput> {
    return this.unspent.values();
  }

  private verified(diff: ReadMilestoneDiff, expected: number): MilestonePayload {
    const ms = diff.milestone;
    if (ms.index !== expected) {
      throw this.invalid(`milestone diff for milestone ${ms.index} where milestone ${expected} was due`);
    }
    try {
      this.checkMilestone(ms);
    } catch (err) {
      throw this.invalid(`milestone ${ms.index}: ${(err as Error).message}`);
    }
    return ms;
  }

  private receiptTreasury(ms: MilestonePayload): Treasury | undefined {
    return ms.receipt
      ? { milestoneId: milestoneId(ms), amount: ms.receipt.transaction.output.amount }
      : undefined;
  }

  /** Applies the next milestone's diff (delta snapshots). */
  forward(diff: ReadMilestoneDiff): void {
    const ms = this.verified(diff, this.index + 1);
    const next = this.receiptTreasury(ms);
    if (next && !sameTreasury(diff.spentTreasury!, this.treasury)) {
      throw this.invalid(
        `milestone ${ms.index}: its receipt spends a treasury output that is not the current one`,
      );
    }
    for (const s of diff.consumed) {
      const have = this.unspent.get(key(s.outputId));
      if (!have || !sameOutput(have, s)) {
        throw this.invalid(
          `milestone ${ms.index} consumes output ${toHex(s.outputId)}, which is not unspent`,
        );
      }
      this.unspent.delete(key(s.outputId));
    }
    for (const o of diff.created) {
      if (this.unspent.has(key(o.outputId))) {
        throw this.invalid(`milestone ${ms.index} creates output ${toHex(o.outputId)}, which exists already`);
      }
      this.add(o, ms.index);
    }
    if (next) this.treasury = next;
    this.index = ms.index;
  }

  /** Undoes the current milestone's diff (full snapshots whose ledger is newer than their entry points). */
  rollback(diff: ReadMilestoneDiff): void {
    const ms = this.verified(diff, this.index);
    const made = this.receiptTreasury(ms);
    if (made && !sameTreasury(made, this.treasury)) {
      throw this.invalid(`milestone ${ms.index}: its receipt did not leave the snapshot's treasury output`);
    }
    for (const o of diff.created) {
      const have = this.unspent.get(key(o.outputId));
      if (!have || !sameOutput(have, o)) {
        throw this.invalid(`milestone ${ms.index} created output ${toHex(o.outputId)}, which is not unspent`);
      }
      this.unspent.delete(key(o.outputId));
    }
    for (const s of diff.consumed) {
      if (this.unspent.has(key(s.outputId))) {
        throw this.invalid(
          `milestone ${ms.index} consumed output ${toHex(s.outputId)}, which is still unspent`,
        );
      }
      // The file does not say when the output was booked; the snapshot's index is the best known.
      this.add(s, ms.index - 1);
    }
    if (made) this.treasury = diff.spentTreasury!;
    this.index = ms.index - 1;
  }

  /** Outputs plus treasury must hold exactly the total supply. */
  checkSupply(): void {
    let sum = this.treasury.amount;
    for (const o of this.unspent.values()) sum += o.amount;
    if (sum !== TOTAL_SUPPLY) {
      throw this.invalid(
        `after milestone ${this.index} the ledger holds ${sum}, not the total supply ${TOTAL_SUPPLY}`,
      );
    }
  }
}
