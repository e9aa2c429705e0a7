import type { Logger } from "pino";
import type { Ledger } from "../ledger/ledger.ts";
import type { Store } from "../store/store.ts";
import type { Tangle } from "../tangle/tangle.ts";
import { writeLocalSnapshot } from "./local.ts";

export interface SnapshotScheduleOptions {
  path: string;
  networkId: bigint;
  /** milestones between snapshots while synced, and while catching up */
  intervalSynced: number;
  intervalUnsynced: number;
  belowMaxDepth: number;
}

/**
 * Takes a local full snapshot every `interval` confirmed milestones (between two confirmations, so the
 * ledger holds still) and remembers its index: pruning never goes past it, so a node started from the
 * latest snapshot can always get the milestones that follow it from this one.
 */
export class SnapshotSchedule {
  private writing: Promise<{ index: number; filePath: string }> | undefined;
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

  onConfirmed(cmi: number): void {
    const interval = this.tangle.isSynced() ? this.opts.intervalSynced : this.opts.intervalUnsynced;
    if (this.writing || cmi - Math.max(this.snapshotIndex, this.lastAttempt) < interval) return;
    this.lastAttempt = cmi;
    this.create().catch((err: unknown) =>
      this.log.error({ err: (err as Error).message }, "local snapshot failed"),
    );
  }

  /** Writes a snapshot at the confirmed milestone now (one at a time). */
  create(): Promise<{ index: number; filePath: string }> {
    if (this.writing) return this.writing;
    const run = this.tangle.exclusive(async () => {
      const index = this.tangle.confirmedMilestoneIndex;
      const t0 = performance.now();
      const r = await writeLocalSnapshot(this.store, this.ledger, {
        path: this.opts.path,
        networkId: this.opts.networkId,
        index,
        belowMaxDepth: this.opts.belowMaxDepth,
      });
      await this.store.state.put("snapshotIndex", index);
      this.log.info(
        {
          index,
          path: r.path,
          bytes: r.bytes,
          outputs: r.outputs,
          solidEntryPoints: r.solidEntryPoints,
          ms: Math.round(performance.now() - t0),
        },
        "local snapshot written",
      );
      return { index, filePath: r.path };
    });
    this.writing = run;
    run.then(
      () => (this.writing = undefined),
      () => (this.writing = undefined),
    );
    return run;
  }
}
