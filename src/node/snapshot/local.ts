import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { toHex } from "../../protocol/hex.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Store } from "../store/store.ts";
import { messagesReferencedBy } from "../tangle/milestone-cone.ts";
import { type SnapshotOutput, type WriteSnapshotResult, writeSnapshotFile } from "./snapshot-file.ts";

export interface LocalSnapshotOptions {
  path: string;
  networkId: bigint;
  /** the confirmed milestone index: the snapshot's ledger and solid entry point index */
  index: number;
  /** how many milestones' cones become solid entry points (tipsel.belowMaxDepth) */
  belowMaxDepth: number;
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

/**
 * Writes a full snapshot (Hornet's format) of the ledger as confirmed at `index`, with solid entry point
 * index = ledger index, so it carries no milestone diffs. The caller holds confirmations back while it
 * runs (the ledger must not move under the output stream); the file appears atomically.
 */
export async function writeLocalSnapshot(
  store: Store,
  ledger: Ledger,
  opts: LocalSnapshotOptions,
): Promise<WriteSnapshotResult> {
  if (ledger.index !== opts.index)
    throw new Error(`ledger at ${ledger.index}, snapshot asked at ${opts.index}`);
  mkdirSync(dirname(opts.path), { recursive: true });
  const seps = solidEntryPointsAt(store, opts.index, opts.belowMaxDepth);
  const ms = store.getMilestone(opts.index);
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
      timestamp: ms?.timestamp ?? Math.floor(Date.now() / 1000),
      networkId: opts.networkId,
      sepMilestoneIndex: opts.index,
      ledgerMilestoneIndex: opts.index,
      treasury: ledger.treasury(),
    },
    { solidEntryPoints: seps, outputs: outputs(), milestoneDiffs: [] },
  );
}
