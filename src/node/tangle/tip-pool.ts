import { toHex } from "../../protocol/hex.ts";

interface TipEntry {
  id: Uint8Array;
  addedAt: number;
  children: number;
  firstReferencedAt: number | undefined;
  /** generation at which isUsable last said yes (laziness only changes with a new milestone) */
  usableAt: number;
}

export interface TipPoolOptions {
  maxTips: number;
  maxChildren: number;
  maxReferencedTipAgeMs: number;
}

/**
 * The non-lazy tip pool of uniform random tip selection (URTS, RFC-0008): a tip leaves the pool
 * when it has too many approvers, has been approved for longer than the age limit, or the pool is
 * over its size limit (oldest approved tip first). Laziness is judged by the caller at selection time.
 */
export class TipPool {
  private readonly tips = new Map<string, TipEntry>();

  constructor(private readonly opts: TipPoolOptions) {}

  get size(): number {
    return this.tips.size;
  }

  add(id: Uint8Array, parents: Uint8Array[], now = Date.now()): void {
    for (const parent of parents) {
      const key = toHex(parent);
      const entry = this.tips.get(key);
      if (!entry) continue;
      entry.children += 1;
      entry.firstReferencedAt ??= now;
      if (entry.children > this.opts.maxChildren) this.tips.delete(key);
    }
    this.tips.set(toHex(id), { id, addedAt: now, children: 0, firstReferencedAt: undefined, usableAt: -1 });
    while (this.tips.size > this.opts.maxTips) this.tips.delete(this.evictionCandidate());
  }

  /**
   * Over the size limit, the oldest tip that already has an approver goes first: its children carry it
   * into the next milestone's cone. Dropping the oldest unapproved tip instead would orphan a message
   * for good (a burst of submits between two milestones fills the pool with referenced tips in 3 s).
   * Only when every tip is unapproved does the oldest one go.
   */
  private evictionCandidate(): string {
    for (const [key, entry] of this.tips) if (entry.children > 0) return key;
    return this.tips.keys().next().value as string;
  }

  remove(id: Uint8Array): void {
    this.tips.delete(toHex(id));
  }

  /**
   * Up to `count` distinct random tips accepted by `isUsable` (unusable ones are evicted),
   * sorted ascending as message parents must be.
   */
  select(
    count: number,
    isUsable: (id: Uint8Array) => boolean,
    now = Date.now(),
    generation = -1,
  ): Uint8Array[] {
    const entries = this.prune(isUsable, now, generation);
    const chosen = new Map<string, Uint8Array>();
    const maxTries = (count - 1) * 10 + 1;
    for (let i = 0; i < maxTries && chosen.size < count && chosen.size < entries.length; i++) {
      const pick = entries[Math.floor(Math.random() * entries.length)]!;
      chosen.set(toHex(pick.id), pick.id);
    }
    return [...chosen.values()].sort(compareBytes);
  }

  /** Every usable tip, sorted: what a coordinator references so no tip is left behind. */
  all(isUsable: (id: Uint8Array) => boolean, now = Date.now(), generation = -1): Uint8Array[] {
    return this.prune(isUsable, now, generation)
      .map((e) => e.id)
      .sort(compareBytes);
  }

  /**
   * Evicts expired and unusable tips. `generation` (e.g. the confirmed milestone index) lets a tip
   * judged usable once skip the check until it changes; -1 always checks.
   */
  private prune(isUsable: (id: Uint8Array) => boolean, now: number, generation: number): TipEntry[] {
    for (const [key, entry] of this.tips) {
      const expired =
        entry.firstReferencedAt !== undefined &&
        now - entry.firstReferencedAt > this.opts.maxReferencedTipAgeMs;
      // Keep at least one tip so an idle network can still be extended.
      if (expired && this.tips.size > 1) {
        this.tips.delete(key);
        continue;
      }
      if (generation !== -1 && entry.usableAt === generation) continue;
      if (isUsable(entry.id)) entry.usableAt = generation;
      else this.tips.delete(key);
    }
    return [...this.tips.values()];
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
