import type { Logger } from "pino";
import type { Pruner } from "./pruner.ts";

export interface PruningPolicy {
  /** keep the last `keep` milestones (Hornet's pruning.milestones.*) */
  milestones: { enabled: boolean; keep: number };
  /** keep the data under `targetBytes` by pruning a share of what is kept (Hornet's pruning.size.*) */
  size: { enabled: boolean; targetBytes: number; thresholdPercentage: number; cooldownMs: number };
  /** never prune the cones a new message may still attach to */
  belowMaxDepth: number;
  /** never prune past this index (the latest local snapshot: what follows it must stay fetchable) */
  ceiling: () => number;
}

/**
 * Decides after each confirmed milestone how far to prune, from the keep window and the database size,
 * and starts the pruner when that is further than it has got. Pruning runs in the background; a
 * milestone that arrives while it runs is caught up by the next decision.
 */
export class PruningSchedule {
  private lastSizePrune = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly pruner: Pruner,
    private readonly policy: PruningPolicy,
    private readonly usedBytes: () => number,
    private readonly log: Logger,
  ) {}

  onConfirmed(cmi: number, now = Date.now()): void {
    if (this.pruner.busy) return;
    const target = this.target(cmi, now);
    if (target <= this.pruner.pruningIndex) return;
    this.pruner.pruneTo(target).catch((err: unknown) => this.log.error({ err, target }, "pruning failed"));
  }

  /** The index to prune up to now (0 or the current pruning index: nothing to do). */
  target(cmi: number, now: number): number {
    const { milestones, size } = this.policy;
    const pruned = this.pruner.pruningIndex;
    let target = milestones.enabled ? cmi - milestones.keep : 0;
    if (size.enabled && now - this.lastSizePrune >= size.cooldownMs) {
      const used = this.usedBytes();
      if (used > size.targetBytes) {
        this.lastSizePrune = now;
        const share = Math.ceil(((cmi - pruned) * size.thresholdPercentage) / 100);
        target = Math.max(target, pruned + share);
        this.log.warn(
          { used, targetSize: size.targetBytes, upTo: target },
          "database above pruning.size.targetSize",
        );
      }
    }
    return Math.min(target, this.limit(cmi));
  }

  /** The furthest any prune may go now. */
  limit(cmi: number): number {
    return Math.min(cmi - this.policy.belowMaxDepth, this.policy.ceiling());
  }
}
