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

  constructor(path: string) {
    this.root = open({ path, maxDbs: 16, mapSize: 2 ** 30, remapChunks: true });
    const bin = { keyEncoding: "binary", encoding: "binary" } as const;
    this.messages = this.root.openDB({ name: "messages", ...bin, cache: false });
    this.metadata = this.root.openDB({ name: "metadata", keyEncoding: "binary", encoding: "msgpack" });
    this.children = this.root.openDB({ name: "children", ...bin, dupSort: true });
    this.indexation = this.root.openDB({ name: "indexation", ...bin, dupSort: true });
    this.milestones = this.root.openDB({ name: "milestones", keyEncoding: "uint32", encoding: "msgpack" });
    this.tips = this.root.openDB({ name: "tips", keyEncoding: "binary", encoding: "msgpack" });
    this.state = this.root.openDB({ name: "state", keyEncoding: "ordered-binary", encoding: "msgpack" });
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
