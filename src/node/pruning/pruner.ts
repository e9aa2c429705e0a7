import type { Logger } from "pino";
import { toHex } from "../../protocol/hex.ts";
import { deserializeMessage } from "../../protocol/message.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { NodeMetrics } from "../metrics.ts";
import { arrivalKey, type Store } from "../store/store.ts";
import { messagesReferencedBy } from "../tangle/milestone-cone.ts";
import { indexationIndexOf, milestoneIndexOf, parentsOf } from "../tangle/tangle.ts";

export interface PruneOptions {
  /** also remove the receipts of pruned milestones (Hornet's pruning.pruneReceipts) */
  pruneReceipts: boolean;
}

export interface PruneStepResult {
  index: number;
  messages: number;
  solidEntryPoints: number;
}

const NO_ID = new Uint8Array(32);

/**
 * Removes the tangle's history below a milestone index, one milestone per write transaction so API
 * reads and ingest interleave with it: the messages that milestone referenced (found by walking its
 * cone, as white flag did), messages that arrived by then and were never referenced, their metadata,
 * children and indexation entries, the milestone record and the ledger's diff and spent outputs.
 * A pruned message that a kept message still points at becomes a solid entry point, so the kept part
 * of the tangle stays solid; an entry point is dropped when its last child is pruned.
 * The pruning index is written in the same transaction as each step, so a kill -9 resumes from it.
 */
/** The longest pause between two prune steps. */
const MAX_REST_MS = 50;

export class Pruner {
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** prune runs queued or under way */
  private pending = 0;

  constructor(
    private readonly store: Store,
    private readonly ledger: Ledger,
    private readonly opts: PruneOptions,
    private readonly log: Logger,
    private readonly metrics: NodeMetrics | null = null,
  ) {
    metrics?.pruningIndex.set(store.pruningIndex);
  }

  get pruningIndex(): number {
    return this.store.pruningIndex;
  }

  /** True while a prune run is queued or under way. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /**
   * Prunes every milestone up to `target` (runs are queued, one at a time). Resolves with the pruning
   * index reached; the caller decides how far is safe (below max depth, the keep window).
   */
  pruneTo(target: number): Promise<number> {
    this.pending++;
    const run = this.running.then(async () => {
      try {
        const started = this.store.pruningIndex;
        let messages = 0;
        const t0 = performance.now();
        for (let i = started + 1; i <= target && !this.stopped; i++) {
          const stepStart = performance.now();
          const r = await this.store.write(() => this.pruneMilestone(i));
          messages += r.messages;
          this.metrics?.pruningIndex.set(i);
          this.metrics?.prunedMessages.inc(r.messages);
          // A step holds the event loop while it deletes: rest as long as it took (at most half the
          // loop's time goes to pruning), so API requests and ingest keep their latency.
          const rest = Math.min(MAX_REST_MS, performance.now() - stepStart);
          await new Promise((resolve) => (rest >= 1 ? setTimeout(resolve, rest) : setImmediate(resolve)));
        }
        const reached = this.store.pruningIndex;
        if (reached > started)
          this.log.debug(
            { from: started + 1, to: reached, messages, ms: Math.round(performance.now() - t0) },
            "pruned",
          );
        return reached;
      } finally {
        this.pending--;
      }
    });
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Stops after the step under way; resolves once it has committed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** One milestone's history, inside a write transaction (reads see its own writes). */
  private pruneMilestone(index: number): PruneStepResult {
    const { store } = this;
    const doomed = messagesReferencedBy(store, index);
    // Arrived while this milestone (or an earlier one) was the confirmed one and never referenced:
    // below max depth by now, no milestone will reference them.
    for (const key of store.arrivals.getKeys({
      start: arrivalKey(0, NO_ID),
      end: arrivalKey(index + 1, NO_ID),
    })) {
      const id = key.slice(4);
      // Never a milestone above this index (it is confirmed later). Arrivals are keyed at least at a
      // milestone's own index now, so this guards databases written with the older, lower keys.
      const bytes = store.getMeta(id)?.r === undefined ? store.getMessage(id) : undefined;
      if (bytes && (milestoneIndexOf(bytes) ?? 0) <= index) doomed.set(toHex(id), id);
      store.arrivals.remove(key.slice());
    }
    let seps = 0;
    for (const id of doomed.values()) {
      const bytes = store.getMessage(id)!;
      const meta = store.getMeta(id);
      const kept = [...store.children.getValues(id)].some(
        (c) => !doomed.has(toHex(c)) && store.hasMessage(c),
      );
      if (kept && meta?.r !== undefined) {
        store.solidEntryPoints.put(id.slice(), meta.r);
        seps++;
      } else {
        store.children.remove(id);
        store.solidEntryPoints.remove(id);
      }
      for (const p of parentsOf(bytes)) {
        store.children.remove(p, id);
        if (
          !doomed.has(toHex(p)) &&
          store.solidEntryPointIndex(p) !== undefined &&
          store.countChildren(p) === 0
        ) {
          store.solidEntryPoints.remove(p.slice());
        }
      }
      const ix = indexationIndexOf(deserializeMessage(bytes, { validate: false }).payload);
      if (ix) store.indexation.remove(ix, id);
      store.messages.remove(id);
      store.metadata.remove(id);
      store.tips.remove(id);
    }
    store.milestones.remove(index);
    this.ledger.pruneMilestoneInTransaction(index, this.opts.pruneReceipts);
    store.state.put("pruningIndex", index);
    return { index, messages: doomed.size, solidEntryPoints: seps };
  }
}
