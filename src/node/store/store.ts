import { type Database, open, type RootDatabase } from "lmdb";

/** Ledger inclusion state as stored (one byte) and as Hornet names it in JSON. */
export const INCLUSION_STATES = ["noTransaction", "included", "conflicting"] as const;
export type InclusionState = (typeof INCLUSION_STATES)[number];

/**
 * Per-message metadata. Short keys keep the msgpack records small: there is one per message.
 * `y`/`o` are the youngest/oldest cone root indexes (URTS) as known when the message arrived.
 */
export interface MessageMeta {
  /** solid */
  s: boolean;
  /** referencedByMilestoneIndex */
  r?: number;
  /** milestoneIndex, for milestone messages */
  m?: number;
  /** ledger inclusion state: index into INCLUSION_STATES */
  l?: number;
  /** conflictReason */
  c?: number;
  y: number;
  o: number;
}

export interface MilestoneRecord {
  messageId: Uint8Array;
  timestamp: number;
}

/** The arrivals key: the confirmed milestone index then (big-endian, so LMDB sorts by it) and the ID. */
export function arrivalKey(cmi: number, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(36);
  new DataView(key.buffer).setUint32(0, cmi, false);
  key.set(id, 4);
  return key;
}

export interface NodeState {
  latestMilestoneIndex: number;
  confirmedMilestoneIndex: number;
}

/**
 * The node's LMDB environment: one named database per kind of record (the key spaces below are
 * the on-disk format; never rename one). Reads are synchronous (memory-mapped); writes are batched
 * by lmdb into transactions and their promises resolve once committed, which survives kill -9.
 */
export class Store {
  readonly root: RootDatabase;
  /** message ID (32 bytes) -> raw message bytes */
  readonly messages: Database<Uint8Array, Uint8Array>;
  /** message ID -> MessageMeta */
  readonly metadata: Database<MessageMeta, Uint8Array>;
  /** parent message ID -> child message IDs (sorted duplicates) */
  readonly children: Database<Uint8Array, Uint8Array>;
  /** indexation index bytes -> message IDs (sorted duplicates) */
  readonly indexation: Database<Uint8Array, Uint8Array>;
  /** milestone index (u32) -> MilestoneRecord */
  readonly milestones: Database<MilestoneRecord, number>;
  /** unreferenced messages without children: the tip pool's seed after a restart */
  readonly tips: Database<number, Uint8Array>;
  /** named scalar state (ledger indexes, identity) */
  readonly state: Database<unknown, string>;
  /**
   * Solid entry points: pruned (or snapshot-loaded) message ID -> the milestone index that referenced
   * it. A parent found here counts as solid and referenced, so messages above the pruning index still
   * solidify and white flag stops at it.
   */
  readonly solidEntryPoints: Database<number, Uint8Array>;
  /**
   * Messages by the confirmed milestone index when they arrived (u32 big-endian || message ID): how the
   * pruner finds messages that no milestone ever referenced.
   */
  readonly arrivals: Database<boolean, Uint8Array>;

  constructor(path: string) {
    this.root = open({ path, maxDbs: 32, mapSize: 2 ** 30, remapChunks: true });
    const bin = { keyEncoding: "binary", encoding: "binary" } as const;
    this.messages = this.root.openDB({ name: "messages", ...bin, cache: false });
    this.metadata = this.root.openDB({ name: "metadata", keyEncoding: "binary", encoding: "msgpack" });
    this.children = this.root.openDB({ name: "children", ...bin, dupSort: true });
    this.indexation = this.root.openDB({ name: "indexation", ...bin, dupSort: true });
    this.milestones = this.root.openDB({ name: "milestones", keyEncoding: "uint32", encoding: "msgpack" });
    this.tips = this.root.openDB({ name: "tips", keyEncoding: "binary", encoding: "msgpack" });
    this.state = this.root.openDB({ name: "state", keyEncoding: "ordered-binary", encoding: "msgpack" });
    this.solidEntryPoints = this.root.openDB({ name: "seps", keyEncoding: "binary", encoding: "msgpack" });
    this.arrivals = this.root.openDB({ name: "arrivals", keyEncoding: "binary", encoding: "msgpack" });
  }

  /** Its own named databases, for size accounting. */
  databases(): Database[] {
    return [
      this.messages,
      this.metadata,
      this.children,
      this.indexation,
      this.milestones,
      this.tips,
      this.state,
      this.solidEntryPoints,
      this.arrivals,
    ] as Database[];
  }

  /**
   * The database's size in bytes: `file`, the data file's high-water mark (LMDB never shrinks it, it
   * reuses freed pages), and `used`, the pages the given databases hold now (what pruning lowers).
   */
  size(databases: Database[]): { file: number; used: number } {
    const env = this.root.getStats() as { pageSize: number; lastPageNumber: number };
    let pages = 0;
    for (const db of databases) {
      const s = db.getStats() as {
        treeBranchPageCount: number;
        treeLeafPageCount: number;
        overflowPages: number;
      };
      pages += s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
    }
    return { file: (env.lastPageNumber + 1) * env.pageSize, used: pages * env.pageSize };
  }

  /** The milestone index a solid entry point was referenced by, or undefined when it is not one. */
  solidEntryPointIndex(id: Uint8Array): number | undefined {
    return this.solidEntryPoints.get(id);
  }

  /** Milestones at or below this index have been pruned (0: nothing pruned). */
  get pruningIndex(): number {
    return (this.state.get("pruningIndex") as number | undefined) ?? 0;
  }

  getMessage(id: Uint8Array): Uint8Array | undefined {
    return this.messages.getBinary(id) ?? undefined;
  }

  hasMessage(id: Uint8Array): boolean {
    return this.messages.doesExist(id);
  }

  getMeta(id: Uint8Array): MessageMeta | undefined {
    return this.metadata.get(id);
  }

  childrenOf(id: Uint8Array, limit: number): Uint8Array[] {
    return [...this.children.getValues(id, { limit })];
  }

  countChildren(id: Uint8Array): number {
    return this.children.getValuesCount(id);
  }

  messagesByIndex(index: Uint8Array, limit: number): Uint8Array[] {
    return [...this.indexation.getValues(index, { limit })];
  }

  countByIndex(index: Uint8Array): number {
    return this.indexation.getValuesCount(index);
  }

  getMilestone(index: number): MilestoneRecord | undefined {
    return this.milestones.get(index);
  }

  getNodeState(): NodeState {
    return (
      (this.state.get("node") as NodeState | undefined) ?? {
        latestMilestoneIndex: 0,
        confirmedMilestoneIndex: 0,
      }
    );
  }

  /** Highest stored milestone index (0 when none). */
  highestMilestoneIndex(): number {
    for (const key of this.milestones.getKeys({ reverse: true, limit: 1 })) return key as number;
    return 0;
  }

  /** Stored tips, oldest first by arrival time. */
  storedTips(): Uint8Array[] {
    return [...this.tips.getRange()].sort((a, b) => a.value - b.value).map((e) => e.key);
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
