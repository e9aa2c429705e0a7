import { serializePayload } from "../../protocol/message.ts";
import { MIN_MIGRATED_FUNDS_DEPOSIT, TOTAL_SUPPLY } from "../../protocol/params.ts";
import type { ReceiptPayload } from "../../protocol/types.ts";
import type { LedgerMutations, Treasury } from "./ledger.ts";
import type { LedgerOutput } from "./records.ts";

/** A receipt that cannot be applied: the milestone carrying it must not be confirmed. */
export class InvalidReceipt extends Error {}

/**
 * A milestone's receipt (legacy-network migration), as Hornet applies it: every migrated funds entry
 * becomes a SigLockedSingleOutput whose output ID is the milestone ID with the entry's u16 index in its
 * last two bytes, booked to the milestone message; the treasury moves to the receipt's treasury output,
 * which must be the previous treasury minus the migrated funds.
 */
export function receiptMutations(
  receipt: ReceiptPayload,
  ctx: { milestoneId: Uint8Array; messageId: Uint8Array; index: number; treasury: Treasury },
): Required<Pick<LedgerMutations, "receipt">> & { created: LedgerOutput[] } {
  const seen = new Set<string>();
  let migrated = 0n;
  receipt.funds.forEach((f, i) => {
    const tail = Buffer.from(f.tailTransactionHash).toString("hex");
    if (seen.has(tail)) throw new InvalidReceipt(`migrated funds entry ${i}: tail transaction hash repeated`);
    seen.add(tail);
    if (f.deposit < MIN_MIGRATED_FUNDS_DEPOSIT)
      throw new InvalidReceipt(`migrated funds entry ${i}: deposit below ${MIN_MIGRATED_FUNDS_DEPOSIT}`);
    migrated += f.deposit;
    if (migrated > TOTAL_SUPPLY)
      throw new InvalidReceipt(`migrated funds exceed the total supply at entry ${i}`);
  });
  const next = receipt.transaction.output.amount;
  if (ctx.treasury.amount - migrated !== next) {
    throw new InvalidReceipt(
      `treasury ${ctx.treasury.amount} minus migrated funds ${migrated} is not the receipt's new treasury ${next}`,
    );
  }
  const created = receipt.funds.map((f, i) => {
    const outputId = new Uint8Array(34);
    outputId.set(ctx.milestoneId.subarray(0, 32));
    outputId[32] = i & 0xff;
    outputId[33] = i >>> 8;
    return {
      outputId,
      messageId: ctx.messageId,
      outputType: 0 as const,
      address: f.address.address,
      amount: f.deposit,
      bookedAt: ctx.index,
    };
  });
  return {
    created,
    receipt: {
      bytes: serializePayload(receipt),
      migratedAt: receipt.migratedAt,
      treasury: { milestoneId: ctx.milestoneId, amount: next },
    },
  };
}
