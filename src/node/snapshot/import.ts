import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import type { Store } from "../store/store.ts";
import { openSnapshotFile } from "./snapshot-file.ts";

/**
 * Initializes an empty database from a full snapshot file (the genesis snapshot, or a local snapshot of
 * a running network): its unspent outputs and treasury at its ledger index, its solid entry points, and
 * the confirmed milestone index the node continues from, all in one transaction. The file is checked as
 * it is read (supply, duplicates, truncation); a snapshot of another network is refused.
 */
export async function importFullSnapshot(
  path: string,
  store: Store,
  ledger: Ledger,
  opts: { networkId: bigint },
): Promise<{ ledgerIndex: number; outputs: number; solidEntryPoints: number; treasury: bigint }> {
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
    const seps: Uint8Array[] = [];
    for await (const sep of reader.solidEntryPoints()) seps.push(sep.slice());
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
    const index = header.ledgerMilestoneIndex;
    await ledger.loadSnapshot(outputs, treasury, index, () => {
      for (const id of seps) store.solidEntryPoints.put(id, header.sepMilestoneIndex);
      if (index > 0) {
        // Nothing below the snapshot is here: the node continues from it and asks peers for what follows.
        store.state.put("node", { latestMilestoneIndex: index, confirmedMilestoneIndex: index });
        store.state.put("pruningIndex", index);
        store.state.put("snapshotIndex", index);
      }
    });
    return {
      ledgerIndex: index,
      outputs: outputs.length,
      solidEntryPoints: seps.length,
      treasury: treasury.amount,
    };
  } finally {
    await reader.close();
  }
}
