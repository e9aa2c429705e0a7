import { existsSync } from "node:fs";
import type { MilestonePayload } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Store } from "../store/store.ts";
import { SnapshotLedger } from "./ledger-replay.ts";
import { openSnapshotFile, type SnapshotHeader } from "./snapshot-file.ts";

export interface ImportOptions {
  networkId: bigint;
  /** throws when a diff's milestone is not signed by the coordinator */
  checkMilestone: (ms: MilestonePayload) => void;
}

export interface ImportResult {
  /** the milestone the node continues from: the last snapshot's solid entry point index */
  index: number;
  outputs: number;
  solidEntryPoints: number;
  milestoneDiffs: number;
  treasury: bigint;
  /** whether a delta snapshot was applied on top of the full one */
  delta: boolean;
  /** a delta snapshot older than the full one (left by a stop between writing the two): not used */
  staleDelta?: string;
}

function invalid(path: string, message: string): StingerError {
  return new StingerError("SNAPSHOT_INVALID", `${path}: ${message}`);
}

/** A file's diffs must bring the ledger exactly to its solid entry point index. */
function checkDiffsEnd(path: string, reached: number, header: SnapshotHeader): void {
  if (reached !== header.sepMilestoneIndex)
    throw invalid(
      path,
      `its milestone diffs end at ${reached}, not at the solid entry point index ${header.sepMilestoneIndex}`,
    );
}

function checkNetwork(path: string, header: SnapshotHeader, networkId: bigint): void {
  if (header.networkId !== networkId) {
    throw invalid(path, `snapshot of network ID ${header.networkId}, this node's is ${networkId}`);
  }
}

/**
 * Initializes an empty database from a full snapshot file (the genesis snapshot, or a local snapshot of
 * a running network) and, when `deltaPath` holds one that follows it, a delta snapshot: the full
 * snapshot's ledger rolled back by its milestone diffs to its solid entry point index, then moved
 * forward by the delta's diffs; the last file's solid entry points; and the milestone index the node
 * continues from, all in one transaction (a kill during the load leaves the database empty). Every
 * entry is checked as it is read (supply, duplicates, truncation, the milestone chain and signatures).
 */
export async function importSnapshots(
  fullPath: string,
  deltaPath: string | undefined,
  store: Store,
  ledger: Ledger,
  opts: ImportOptions,
): Promise<ImportResult> {
  let seps: Uint8Array[] = [];
  let diffs = 0;
  const full = await openSnapshotFile(fullPath);
  let replay: SnapshotLedger;
  try {
    const { header } = full;
    if (header.type !== "full") throw invalid(fullPath, "not a full snapshot");
    checkNetwork(fullPath, header, opts.networkId);
    if (header.sepMilestoneIndex > header.ledgerMilestoneIndex) {
      throw invalid(
        fullPath,
        `solid entry point index ${header.sepMilestoneIndex} is above the ledger index ${header.ledgerMilestoneIndex}`,
      );
    }
    for await (const sep of full.solidEntryPoints()) seps.push(sep);
    replay = new SnapshotLedger(fullPath, header.ledgerMilestoneIndex, header.treasury!, opts.checkMilestone);
    for await (const o of full.outputs()) replay.add(o, header.ledgerMilestoneIndex);
    for await (const d of full.milestoneDiffs()) {
      replay.rollback(d);
      diffs++;
    }
    await full.finish();
    checkDiffsEnd(fullPath, replay.index, header);
  } finally {
    await full.close();
  }

  let delta = false;
  let staleDelta: string | undefined;
  if (deltaPath !== undefined && existsSync(deltaPath)) {
    const reader = await openSnapshotFile(deltaPath);
    try {
      const { header } = reader;
      if (header.type !== "delta") throw invalid(deltaPath, "not a delta snapshot");
      checkNetwork(deltaPath, header, opts.networkId);
      if (header.sepMilestoneIndex <= replay.index) {
        staleDelta = `${deltaPath} ends at milestone ${header.sepMilestoneIndex}, the full snapshot at ${replay.index}`;
      } else if (header.ledgerMilestoneIndex !== replay.index) {
        throw invalid(
          deltaPath,
          `delta snapshot follows milestone ${header.ledgerMilestoneIndex}, the full snapshot ends at ${replay.index}`,
        );
      }
      if (staleDelta === undefined) {
        replay.source = deltaPath;
        const deltaSeps: Uint8Array[] = [];
        for await (const sep of reader.solidEntryPoints()) deltaSeps.push(sep);
        for await (const d of reader.milestoneDiffs()) {
          replay.forward(d);
          diffs++;
        }
        await reader.finish();
        checkDiffsEnd(deltaPath, replay.index, header);
        seps = deltaSeps;
        delta = true;
      }
    } finally {
      await reader.close();
    }
  }
  replay.checkSupply();
  if (seps.length === 0 && replay.index > 0) throw invalid(fullPath, "no solid entry points");

  const index = replay.index;
  // Straight from the replay's map: a second copy of a million outputs would only cost memory.
  await ledger.loadSnapshot(replay.outputs(), replay.treasury, index, () => {
    for (const id of seps) store.solidEntryPoints.put(id, index);
    if (index > 0) {
      // Nothing below the snapshot is here: the node continues from it and asks peers for what follows.
      store.state.put("node", { latestMilestoneIndex: index, confirmedMilestoneIndex: index });
      store.state.put("pruningIndex", index);
      store.state.put("snapshotIndex", index);
    }
  });
  return {
    index,
    outputs: replay.size,
    solidEntryPoints: seps.length,
    milestoneDiffs: diffs,
    treasury: replay.treasury.amount,
    delta,
    staleDelta,
  };
}
