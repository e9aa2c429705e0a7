import { statfsSync } from "node:fs";
import { type Database, open, type RootDatabase } from "lmdb";
import type { Logger } from "pino";
import { StingerError } from "../../util/errors.ts";

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

/** errno values and LMDB return codes a failed write can carry (lmdb-js puts them on `code`). */
const ENOSPC = 28;
const EDQUOT = 122;
const EIO = 5;
const MDB_MAP_FULL = -30792;
/**
 * LMDB answers a short write() (the last free blocks of the disk) with EIO, not ENOSPC: an EIO with
 * less than this left on the file system is a full disk too.
 */
const LOW_SPACE_BYTES = 1 << 20;
/** Writes count as possible again once this much is free (or 5% of a smaller file system). */
const RECOVERED_BYTES = 8 << 20;
/** How long a client should wait before trying a write again while the disk is full. */
const FULL_RETRY_AFTER_SECONDS = 10;

/** The commit failure lmdb-js rejects every write of a failed batch with; the cause comes apart. */
interface CommitFailure extends Error {
  commitError: Promise<unknown>;
}

function isCommitFailure(err: unknown): err is CommitFailure {
  return err instanceof Error && (err as Partial<CommitFailure>).commitError instanceof Promise;
}

/** An lmdb-js error object with its errno / LMDB code (the cause behind a commit failure, MDB_MAP_FULL). */
function lmdbCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

/** An error lmdb-js's own write thread reports (it also prints it with console.error). */
function isLmdbWriteError(err: unknown): boolean {
  return err instanceof Error && lmdbCode(err) !== undefined && (err.stack ?? "").includes("/lmdb/write.js");
}

let guarded = false;

/**
 * lmdb-js rejects a failed commit through promises nobody holds: every put() and remove() inside a
 * transaction returns the batch's commit promise (the code here ignores those), and the cause comes as a
 * second promise (`commitError`). Node's default for an unhandled rejection is to crash: a full disk
 * would then kill the node. This takes those two kinds of rejection (whoever awaited the write got its
 * own rejection and handles it) and rethrows any other unhandled rejection, as Node would. It also keeps
 * lmdb-js's console.error of every failed batch off stderr: the Store logs the condition once.
 * Installed by the node's Store only (a Store opened with a logger), once per process.
 */
function guardCommitFailures(): void {
  if (guarded) return;
  guarded = true;
  process.on("unhandledRejection", (reason) => {
    if (isCommitFailure(reason)) {
      reason.commitError.catch(() => {});
      return;
    }
    if (isLmdbWriteError(reason)) return;
    throw reason;
  });
  const consoleError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && isLmdbWriteError(args[0])) return;
    consoleError(...args);
  };
}

/** Free bytes for unprivileged writers and the size of the file system holding `path`. */
function diskSpace(path: string): { free: number; total: number } | undefined {
  try {
    const s = statfsSync(path);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

export interface StoreOptions {
  /** the node's logger: with it the Store logs a full disk once, and guards the process (above) */
  log?: Logger;
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

  /** since when writes fail for lack of space (ms since the epoch), or undefined */
  private fullSince: number | undefined;
  /** writes refused since the disk became full */
  private refusedWhileFull = 0;
  /** write transactions that failed (disk full or another write error), since start */
  writeFailures = 0;
  private readonly log: Logger | undefined;

  constructor(
    readonly path: string,
    opts: StoreOptions = {},
  ) {
    this.log = opts.log;
    if (opts.log) guardCommitFailures();
    // lmdb-js grows the map by itself (its mdb_page_alloc doubles the map size instead of answering
    // MDB_MAP_FULL); with remapChunks the data file grows as pages are written, so a full disk shows as a
    // failed write (ENOSPC, or EIO on a short write), not as a full map.
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

  /** True while writes fail for lack of disk space (until one succeeds with space free again). */
  get isFull(): boolean {
    return this.fullSince !== undefined;
  }

  /**
   * Runs `fn` in one write transaction (as root.transaction) and resolves once it is committed. A commit
   * that fails for lack of space throws StingerError STORE_FULL (503, Retry-After); another failed commit
   * STORE_WRITE_FAILED (503). Nothing of a failed transaction is applied (LMDB commits all or nothing),
   * so the caller may simply try again later. Errors `fn` throws come back unchanged.
   */
  async write<T>(fn: () => T): Promise<T> {
    let result: T;
    try {
      result = await this.root.transaction(fn);
    } catch (err) {
      throw await this.writeFailed(err);
    }
    if (this.fullSince !== undefined) this.maybeRecovered();
    return result;
  }

  private async writeFailed(err: unknown): Promise<unknown> {
    let cause: unknown = err;
    if (isCommitFailure(err)) {
      // lmdb-js rejects the cause right after the writes; a timeout in case it never does.
      let timer: NodeJS.Timeout | undefined;
      cause = await Promise.race([
        err.commitError.then(
          () => err,
          (inner: unknown) => inner,
        ),
        new Promise<unknown>((resolve) => {
          timer = setTimeout(() => resolve(err), 1000);
        }),
      ]);
      clearTimeout(timer);
    } else if (lmdbCode(err) !== MDB_MAP_FULL) {
      return err; // thrown by fn, or a write error before any commit: not a storage condition
    }
    this.writeFailures++;
    const code = lmdbCode(cause);
    const space = diskSpace(this.path);
    const full =
      code === ENOSPC ||
      code === EDQUOT ||
      code === MDB_MAP_FULL ||
      (code === EIO && space !== undefined && space.free < LOW_SPACE_BYTES);
    if (full) {
      if (this.fullSince === undefined) {
        this.fullSince = Date.now();
        this.refusedWhileFull = 0;
        this.log?.error(
          { path: this.path, code, freeBytes: space?.free, err: (cause as Error).message },
          "database disk full: writes answer 503 (STORE_FULL) until space is freed; reads go on",
        );
      }
      this.refusedWhileFull++;
      return new StingerError("STORE_FULL", "the node's database disk is full; try again later", {
        status: 503,
        retryAfterSeconds: FULL_RETRY_AFTER_SECONDS,
        cause,
      });
    }
    // Not a full disk: a failing disk, or an LMDB error. Each one is worth a line.
    this.log?.error(
      { path: this.path, code, err: (cause as Error).message },
      "database write failed; nothing of it was applied",
    );
    return new StingerError("STORE_WRITE_FAILED", "the node could not write to its database", {
      status: 503,
      retryAfterSeconds: 1,
      cause,
    });
  }

  /** After a successful write while full: writes count as possible again once space is free again. */
  private maybeRecovered(): void {
    const space = diskSpace(this.path);
    if (space && space.free < Math.min(RECOVERED_BYTES, space.total / 20)) return;
    const since = this.fullSince ?? Date.now();
    this.fullSince = undefined;
    // warn, like the full disk: an operator logging at warn sees the condition end too
    this.log?.warn(
      {
        path: this.path,
        freeBytes: space?.free,
        fullForMs: Date.now() - since,
        refused: this.refusedWhileFull,
      },
      "database disk has space again: writes accepted",
    );
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
