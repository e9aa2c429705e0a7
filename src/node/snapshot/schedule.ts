import { existsSync, rmSync, statSync } from "node:fs";
import type { Logger } from "pino";
import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { Store } from "../store/store.ts";
import type { Tangle } from "../tangle/tangle.ts";
import { writeDeltaSnapshot, writeFullSnapshot } from "./local.ts";
import { milestoneDiffsStored } from "./milestone-diffs.ts";
import { readSnapshotHeader, type SnapshotHeader } from "./snapshot-file.ts";

export interface SnapshotScheduleOptions {
  fullPath: string;
  deltaPath: string;
  networkId: bigint;
  /** milestones between snapshots while synced, and while catching up */
  intervalSynced: number;
  intervalUnsynced: number;
  /** how far below the confirmed milestone a snapshot's solid entry points are (snapshots.depth) */
  depth: number;
  /** a delta snapshot this big (percent of the full one) makes the next snapshot a full one; 0: never */
  deltaSizeThresholdPercentage: number;
  belowMaxDepth: number;
}

export interface SnapshotWritten {
  index: number;
  filePath: string;
  type: "full" | "delta";
}

async function headerOf(path: string): Promise<(SnapshotHeader & { bytes: number }) | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return { ...(await readSnapshotHeader(path)).header, bytes: statSync(path).size };
  } catch {
    return undefined;
  }
}

/**
 * Takes a local snapshot every `interval` confirmed milestones (between two confirmations, so the
 * ledger holds still), as Hornet does: a delta snapshot on top of the full one while the delta stays
 * small and its milestone diffs are at hand, otherwise a new full snapshot (and the old delta goes).
 * It remembers the index: pruning never goes past it, so a node started from the latest snapshot can
 * always get the milestones that follow it from this one.
 */
export class SnapshotSchedule {
  private writing: Promise<SnapshotWritten> | undefined;
  /** where the last scheduled attempt was made, so a failing one is retried an interval later, not at once */
  private lastAttempt = 0;

  constructor(
    private readonly store: Store,
    private readonly ledger: Ledger,
    private readonly tangle: Tangle,
    private readonly opts: SnapshotScheduleOptions,
    private readonly log: Logger,
  ) {}

  /** The index of the latest local snapshot (0: none taken). */
  get snapshotIndex(): number {
    return (this.store.state.get("snapshotIndex") as number | undefined) ?? 0;
  }

  /** The index the next snapshot would have (the confirmed one minus the depth), if above the last. */
  private target(): number | undefined {
    const index = this.tangle.confirmedMilestoneIndex - this.opts.depth;
    return index > this.snapshotIndex && index >= 1 ? index : undefined;
  }

  onConfirmed(cmi: number): void {
    const interval = this.tangle.isSynced() ? this.opts.intervalSynced : this.opts.intervalUnsynced;
    if (this.writing || cmi - this.opts.depth - Math.max(this.snapshotIndex, this.lastAttempt) < interval)
      return;
    this.lastAttempt = cmi - this.opts.depth;
    this.create().catch((err: unknown) =>
      this.log.error({ err: (err as Error).message }, "local snapshot failed"),
    );
  }

  /** A delta snapshot when one can follow the full snapshot on disk and is still small enough. */
  private async deltaBase(index: number): Promise<number | undefined> {
    const { opts } = this;
    const full = await headerOf(opts.fullPath);
    if (full?.type !== "full" || full.networkId !== opts.networkId) return undefined;
    if (full.sepMilestoneIndex >= index) return undefined;
    const delta = await headerOf(opts.deltaPath);
    const follows =
      delta?.type === "delta" &&
      delta.networkId === opts.networkId &&
      delta.ledgerMilestoneIndex === full.sepMilestoneIndex &&
      delta.sepMilestoneIndex < index;
    if (follows && opts.deltaSizeThresholdPercentage > 0) {
      if (delta.bytes * 100 >= full.bytes * opts.deltaSizeThresholdPercentage) return undefined;
    }
    const from = (follows ? delta.sepMilestoneIndex : full.sepMilestoneIndex) + 1;
    return milestoneDiffsStored(this.store, this.ledger, from, index) ? full.sepMilestoneIndex : undefined;
  }

  /** Writes a snapshot now (one at a time): at the confirmed milestone minus snapshots.depth. */
  create(): Promise<SnapshotWritten> {
    if (this.writing) return this.writing;
    const run = this.tangle.exclusive(async () => {
      const index = this.target();
      if (index === undefined) {
        throw new StingerError(
          "API_BAD_REQUEST",
          `nothing new to snapshot: the confirmed milestone ${this.tangle.confirmedMilestoneIndex} minus snapshots.depth ${this.opts.depth} is not above the last snapshot ${this.snapshotIndex}`,
          { status: 400 },
        );
      }
      const t0 = performance.now();
      const base = await this.deltaBase(index);
      const common = { networkId: this.opts.networkId, index, belowMaxDepth: this.opts.belowMaxDepth };
      const r =
        base === undefined
          ? await writeFullSnapshot(this.store, this.ledger, { ...common, path: this.opts.fullPath })
          : await writeDeltaSnapshot(this.store, this.ledger, {
              ...common,
              path: this.opts.deltaPath,
              fullIndex: base,
            });
      // A delta on disk follows the old full snapshot only; a crash before this leaves it stale, and a
      // stale delta is ignored at start.
      if (base === undefined) rmSync(this.opts.deltaPath, { force: true });
      await this.store.write(() => this.store.state.put("snapshotIndex", index));
      const type = base === undefined ? "full" : "delta";
      this.log.info(
        {
          type,
          index,
          path: r.path,
          bytes: r.bytes,
          outputs: r.outputs,
          milestoneDiffs: r.milestoneDiffs,
          solidEntryPoints: r.solidEntryPoints,
          ms: Math.round(performance.now() - t0),
        },
        "local snapshot written",
      );
      return { index, filePath: r.path, type } as SnapshotWritten;
    });
    this.writing = run;
    run.then(
      () => (this.writing = undefined),
      () => (this.writing = undefined),
    );
    return run;
  }
}
