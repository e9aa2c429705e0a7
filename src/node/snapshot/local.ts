import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { toHex } from "../../protocol/hex.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Store } from "../store/store.ts";
import { messagesReferencedBy } from "../tangle/milestone-cone.ts";
import { snapshotMilestoneDiff } from "./milestone-diffs.ts";
import {
  openSnapshotFile,
  type SnapshotMilestoneDiff,
  type SnapshotOutput,
  type WriteSnapshotResult,
  writeSnapshotFile,
} from "./snapshot-file.ts";

export interface LocalSnapshotOptions {
  path: string;
  networkId: bigint;
  /** the snapshot's solid entry point index: at most the confirmed milestone index */
  index: number;
  /** how many milestones' cones become solid entry points (tipsel.belowMaxDepth) */
  belowMaxDepth: number;
}

export interface DeltaSnapshotOptions extends LocalSnapshotOptions {
  /** the solid entry point index of the full snapshot the delta follows */
  fullIndex: number;
}

/**
 * The solid entry points of a snapshot at `index`: every message the last `belowMaxDepth` milestones
 * referenced. A new message may attach to any of them (anything older is below max depth), so a node
 * started from the snapshot must count them all as solid and referenced without having them.
 */
export function solidEntryPointsAt(store: Store, index: number, belowMaxDepth: number): Uint8Array[] {
  const seps = new Map<string, Uint8Array>();
  for (let i = Math.max(1, index - belowMaxDepth + 1); i <= index; i++) {
    for (const [key, id] of messagesReferencedBy(store, i)) seps.set(key, id);
  }
  // Entry points this node has itself (from pruning or its own start from a snapshot) that are that recent.
  for (const { key, value } of store.solidEntryPoints.getRange())
    if (value > index - belowMaxDepth) seps.set(toHex(key), key.slice());
  return [...seps.values()].sort((a, b) => Buffer.compare(a, b));
}

function* storedDiffs(store: Store, ledger: Ledger, from: number, to: number, step: 1 | -1) {
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) yield snapshotMilestoneDiff(store, ledger, i);
}

function timestampAt(store: Store, index: number): number {
  return store.getMilestone(index)?.timestamp ?? Math.floor(Date.now() / 1000);
}

/**
 * Writes a full snapshot (Hornet's format) with the ledger as confirmed now and solid entry points at
 * `index` (the confirmed index minus snapshots.depth): the milestone diffs in between, newest first,
 * let a reader roll the ledger back to `index`. The caller holds confirmations back while it runs (the
 * ledger must not move under the output stream); the file appears atomically.
 */
export async function writeFullSnapshot(
  store: Store,
  ledger: Ledger,
  opts: LocalSnapshotOptions,
): Promise<WriteSnapshotResult> {
  if (opts.index > ledger.index)
    throw new Error(`ledger at ${ledger.index}, snapshot asked at ${opts.index}`);
  mkdirSync(dirname(opts.path), { recursive: true });
  const seps = solidEntryPointsAt(store, opts.index, opts.belowMaxDepth);
  function* outputs(): Generator<SnapshotOutput> {
    for (const o of ledger.unspentOutputs())
      yield {
        messageId: o.messageId,
        outputId: o.outputId,
        outputType: o.outputType,
        address: o.address,
        amount: o.amount,
      };
  }
  return writeSnapshotFile(
    opts.path,
    {
      type: "full",
      timestamp: timestampAt(store, opts.index),
      networkId: opts.networkId,
      sepMilestoneIndex: opts.index,
      ledgerMilestoneIndex: ledger.index,
      treasury: ledger.treasury(),
    },
    {
      solidEntryPoints: seps,
      outputs: outputs(),
      milestoneDiffs: storedDiffs(store, ledger, ledger.index, opts.index + 1, -1),
    },
  );
}

/**
 * Writes a delta snapshot: solid entry points at `index` and the milestone diffs from the full
 * snapshot's index up to it, taken from the delta snapshot already at `path` (when it follows the same
 * full snapshot) and then from the database, so they survive pruning. The file appears atomically.
 */
export async function writeDeltaSnapshot(
  store: Store,
  ledger: Ledger,
  opts: DeltaSnapshotOptions,
): Promise<WriteSnapshotResult> {
  mkdirSync(dirname(opts.path), { recursive: true });
  const seps = solidEntryPointsAt(store, opts.index, opts.belowMaxDepth);
  const previous = existsSync(opts.path)
    ? await openSnapshotFile(opts.path).catch(() => undefined)
    : undefined;
  const reuse =
    previous !== undefined &&
    previous.header.type === "delta" &&
    previous.header.networkId === opts.networkId &&
    previous.header.ledgerMilestoneIndex === opts.fullIndex &&
    previous.header.sepMilestoneIndex < opts.index;
  async function* diffs(): AsyncGenerator<SnapshotMilestoneDiff> {
    let from = opts.fullIndex + 1;
    if (reuse) {
      for await (const d of previous.milestoneDiffs()) yield d;
      from = previous.header.sepMilestoneIndex + 1;
    }
    yield* storedDiffs(store, ledger, from, opts.index, 1);
  }
  try {
    return await writeSnapshotFile(
      opts.path,
      {
        type: "delta",
        timestamp: timestampAt(store, opts.index),
        networkId: opts.networkId,
        sepMilestoneIndex: opts.index,
        ledgerMilestoneIndex: opts.fullIndex,
      },
      { solidEntryPoints: seps, milestoneDiffs: diffs() },
    );
  } finally {
    await previous?.close();
  }
}
