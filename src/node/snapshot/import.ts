import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import { openSnapshotFile } from "./snapshot-file.ts";

/**
 * Initializes an empty ledger from a full snapshot file (the genesis snapshot, or a full snapshot of a
 * running network): its unspent outputs and treasury at its ledger index. The file is checked as it is
 * read (supply, duplicates, truncation); a snapshot of another network is refused.
 */
export async function importFullSnapshot(
  path: string,
  ledger: Ledger,
  opts: { networkId: bigint },
): Promise<{ ledgerIndex: number; outputs: number; treasury: bigint }> {
  const reader = await openSnapshotFile(path);
  try {
    const { header } = reader;
    if (header.type !== "full") throw new StingerError("SNAPSHOT_INVALID", `${path}: not a full snapshot`);
    if (header.networkId !== opts.networkId) {
      throw new StingerError(
        "SNAPSHOT_INVALID",
        `${path}: snapshot of network ID ${header.networkId}, this node's is ${opts.networkId}`,
      );
    }
    for await (const _sep of reader.solidEntryPoints()) {
      // Only the genesis solid entry point (the null message) is supported yet; the tangle knows it.
    }
    const outputs: LedgerOutput[] = [];
    for await (const o of reader.outputs()) outputs.push({ ...o, bookedAt: header.ledgerMilestoneIndex });
    let diffs = 0;
    for await (const _d of reader.milestoneDiffs()) diffs++;
    await reader.finish();
    if (diffs > 0 || header.sepMilestoneIndex !== header.ledgerMilestoneIndex) {
      throw new StingerError(
        "SNAPSHOT_INVALID",
        `${path}: full snapshots with milestone diffs (ledger index ${header.ledgerMilestoneIndex}, SEP index ${header.sepMilestoneIndex}) are not supported yet`,
      );
    }
    const treasury = header.treasury ?? { milestoneId: new Uint8Array(32), amount: 0n };
    await ledger.loadSnapshot(outputs, treasury, header.ledgerMilestoneIndex);
    return { ledgerIndex: header.ledgerMilestoneIndex, outputs: outputs.length, treasury: treasury.amount };
  } finally {
    await reader.close();
  }
}
