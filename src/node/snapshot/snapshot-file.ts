// Hornet 1.x snapshot files (format version 1), full and delta, as Hornet 1.2 reads and writes them.
//
// Layout, all integers little-endian:
//
//   header   version u8 (1) | type u8 (0 full, 1 delta) | timestamp u64 (unix s) | network ID u64
//            | SEP milestone index u32 | ledger milestone index u32 | SEP count u64
//            | output count u64 (full only) | milestone diff count u64
//            | treasury output: milestone ID 32 + amount u64 (full only)
//   SEPs     count × message ID 32
//   outputs  count × output (full only)
//   diffs    count × ( milestone payload length u32 | milestone payload
//                      | spent treasury output: milestone ID 32 + amount u64 (only if the milestone has a receipt)
//                      | created count u64 | outputs | consumed count u64 | spents )
//
//   output   message ID 32 | output ID 34 | output type u8 | address type u8 (0) + Ed25519 address 32 | amount u64
//   spent    output | target transaction ID 32
//
// Writing goes to a temporary file beside the target, which is synced and renamed over it; readers
// see the old file or the new one, never a part. Reading streams the file in chunks and checks every
// entry; anything wrong is one SNAPSHOT_INVALID error naming the file, the entry and the byte offset.
import { randomBytes } from "node:crypto";
import { type FileHandle, link, open, readdir, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ProtocolError } from "../../protocol/errors.ts";
import { deserializePayload } from "../../protocol/message.ts";
import {
  ED25519_ADDRESS_LENGTH,
  MAX_MESSAGE_LENGTH,
  MESSAGE_ID_LENGTH,
  MILESTONE_ID_LENGTH,
  OUTPUT_ID_LENGTH,
  TOTAL_SUPPLY,
  TRANSACTION_ID_LENGTH,
} from "../../protocol/params.ts";
import { type MilestonePayload, PAYLOAD_MILESTONE } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";

/** The only snapshot file format version Hornet 1.x reads and writes. */
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotOutput {
  messageId: Uint8Array;
  outputId: Uint8Array;
  /** 0 SigLockedSingleOutput, 1 SigLockedDustAllowanceOutput */
  outputType: 0 | 1;
  /** 32-byte Ed25519 address */
  address: Uint8Array;
  amount: bigint;
}

export interface SnapshotSpent extends SnapshotOutput {
  targetTransactionId: Uint8Array;
}

export interface SnapshotTreasury {
  milestoneId: Uint8Array;
  amount: bigint;
}

export interface SnapshotMilestoneDiff {
  /** The milestone payload bytes, from its u32 payload type on. */
  milestonePayload: Uint8Array;
  /** The treasury output the milestone's receipt spent: present exactly when it has a receipt. */
  spentTreasury?: SnapshotTreasury;
  created: SnapshotOutput[];
  consumed: SnapshotSpent[];
}

/** A milestone diff as read back: also the decoded milestone, so callers need not decode it again. */
export interface ReadMilestoneDiff extends SnapshotMilestoneDiff {
  milestone: MilestonePayload;
}

export interface SnapshotHeader {
  type: "full" | "delta";
  /** unix seconds */
  timestamp: number;
  networkId: bigint;
  sepMilestoneIndex: number;
  ledgerMilestoneIndex: number;
  /** The unspent treasury output at the ledger milestone: full snapshots only. */
  treasury?: SnapshotTreasury;
}

/** Entry counts as the header declares them (outputs is 0 for a delta snapshot). */
export interface SnapshotCounts {
  solidEntryPoints: number;
  outputs: number;
  milestoneDiffs: number;
}

export interface SnapshotData {
  solidEntryPoints: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Full snapshots only. */
  outputs?: Iterable<SnapshotOutput> | AsyncIterable<SnapshotOutput>;
  milestoneDiffs?: Iterable<SnapshotMilestoneDiff> | AsyncIterable<SnapshotMilestoneDiff>;
}

export interface SnapshotCheckOptions {
  /**
   * Full snapshots: the outputs plus the treasury must hold exactly the total supply (default true).
   * Turn off only for test data.
   */
  checkSupply?: boolean;
}

export interface WriteSnapshotOptions extends SnapshotCheckOptions {
  /** Replace an existing file at the path (default true). False: fail with SNAPSHOT_EXISTS instead. */
  overwrite?: boolean;
  /** Mode of the new file (default 0o644, before the umask). */
  mode?: number;
}

export interface WriteSnapshotResult extends SnapshotCounts {
  path: string;
  /** file size */
  bytes: number;
}

// ---- layout ----------------------------------------------------------------------------------------

const TYPE_FULL = 0;
const TYPE_DELTA = 1;
const ADDRESS_TYPE_ED25519 = 0;

/** version + type + timestamp + network ID + SEP index + ledger index: where the counts start. */
const COUNTS_OFFSET = 1 + 1 + 8 + 8 + 4 + 4;
const TREASURY_LENGTH = MILESTONE_ID_LENGTH + 8;
const FULL_HEADER_LENGTH = COUNTS_OFFSET + 3 * 8 + TREASURY_LENGTH;
const DELTA_HEADER_LENGTH = COUNTS_OFFSET + 2 * 8;
const OUTPUT_LENGTH = MESSAGE_ID_LENGTH + OUTPUT_ID_LENGTH + 1 + 1 + ED25519_ADDRESS_LENGTH + 8;
const SPENT_LENGTH = OUTPUT_LENGTH + TRANSACTION_ID_LENGTH;

/** [end offset, field name]: which field a short read stopped in. */
type Fields = readonly (readonly [number, string])[];

const FULL_HEADER_FIELDS: Fields = [
  [1, "version"],
  [2, "type"],
  [10, "timestamp"],
  [18, "network ID"],
  [22, "SEP milestone index"],
  [26, "ledger milestone index"],
  [34, "SEP count"],
  [42, "output count"],
  [50, "milestone diff count"],
  [82, "treasury milestone ID"],
  [90, "treasury amount"],
];
const DELTA_HEADER_FIELDS: Fields = [...FULL_HEADER_FIELDS.slice(0, 7), [42, "milestone diff count"]];
const OUTPUT_FIELDS: Fields = [
  [32, "message ID"],
  [66, "output ID"],
  [67, "output type"],
  [68, "address type"],
  [100, "address"],
  [108, "amount"],
];
const SPENT_FIELDS: Fields = [...OUTPUT_FIELDS, [140, "target transaction ID"]];
const TREASURY_FIELDS: Fields = [
  [32, "milestone ID"],
  [40, "amount"],
];

function fieldAt(fields: Fields, available: number): string {
  for (const [end, name] of fields) if (available < end) return name;
  return fields[fields.length - 1]![1];
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString("latin1");
}

// ---- writing ---------------------------------------------------------------------------------------

const WRITE_CHUNK = 256 * 1024;

function inputError(message: string): StingerError {
  return new StingerError("SNAPSHOT_INVALID_INPUT", `snapshot data: ${message}`);
}

function checkBytes(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw inputError(`${what} must be ${length} bytes`);
  }
}

function checkU32(value: unknown, what: string): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > U32_MAX) {
    throw inputError(`${what} must be an integer from 0 to ${U32_MAX}`);
  }
}

function checkTreasury(t: SnapshotTreasury | undefined, what: string): asserts t is SnapshotTreasury {
  if (t === undefined || t === null) throw inputError(`${what} is missing`);
  checkBytes(t.milestoneId, MILESTONE_ID_LENGTH, `${what} milestone ID`);
  if (typeof t.amount !== "bigint" || t.amount < 0n || t.amount > TOTAL_SUPPLY) {
    throw inputError(`${what} amount must be a bigint from 0 to the total supply ${TOTAL_SUPPLY}`);
  }
}

function checkOutput(o: SnapshotOutput, what: string): void {
  if (typeof o !== "object" || o === null) throw inputError(`${what} is not an object`);
  checkBytes(o.messageId, MESSAGE_ID_LENGTH, `${what} message ID`);
  checkBytes(o.outputId, OUTPUT_ID_LENGTH, `${what} output ID`);
  if (o.outputType !== 0 && o.outputType !== 1) throw inputError(`${what} output type must be 0 or 1`);
  checkBytes(o.address, ED25519_ADDRESS_LENGTH, `${what} address`);
  if (typeof o.amount !== "bigint" || o.amount <= 0n || o.amount > TOTAL_SUPPLY) {
    throw inputError(`${what} amount must be a bigint from 1 to the total supply ${TOTAL_SUPPLY}`);
  }
}

/** Keeps output IDs seen in one list, to refuse duplicates. */
class IdSet {
  private readonly seen = new Set<string>();
  /** False if the ID was there already. */
  add(id: Uint8Array): boolean {
    const key = idKey(id);
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/** Buffered positional writes to one file handle. */
class ChunkWriter {
  private buf = new Uint8Array(WRITE_CHUNK);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  /** file offset of buf[0] */
  private filePos = 0;

  constructor(private readonly fh: FileHandle) {}

  get offset(): number {
    return this.filePos + this.len;
  }

  /** Room for n bytes; returns the offset in `buf` to write them at. */
  private async reserve(n: number): Promise<number> {
    if (this.len + n > this.buf.length) await this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  async bytes(b: Uint8Array): Promise<void> {
    const at = await this.reserve(b.length);
    this.buf.set(b, at);
  }

  async u32(v: number): Promise<void> {
    const at = await this.reserve(4);
    this.view.setUint32(at, v, true);
  }

  async u64(v: bigint): Promise<void> {
    const at = await this.reserve(8);
    this.view.setBigUint64(at, v, true);
  }

  async output(o: SnapshotOutput, spentTx?: Uint8Array): Promise<void> {
    const at = await this.reserve(spentTx === undefined ? OUTPUT_LENGTH : SPENT_LENGTH);
    const b = this.buf;
    b.set(o.messageId, at);
    b.set(o.outputId, at + 32);
    b[at + 66] = o.outputType;
    b[at + 67] = ADDRESS_TYPE_ED25519;
    b.set(o.address, at + 68);
    this.view.setBigUint64(at + 100, o.amount, true);
    if (spentTx !== undefined) b.set(spentTx, at + OUTPUT_LENGTH);
  }

  async flush(): Promise<void> {
    let done = 0;
    while (done < this.len) {
      const { bytesWritten } = await this.fh.write(this.buf, done, this.len - done, this.filePos + done);
      done += bytesWritten;
    }
    this.filePos += this.len;
    this.len = 0;
  }

  /** Overwrites bytes already flushed (the counts in the header). */
  async patch(position: number, b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.length) {
      const { bytesWritten } = await this.fh.write(b, done, b.length - done, position + done);
      done += bytesWritten;
    }
  }
}

async function* entries<T>(source: Iterable<T> | AsyncIterable<T> | undefined): AsyncGenerator<T> {
  if (source === undefined) return;
  if (Symbol.asyncIterator in source) yield* source as AsyncIterable<T>;
  else yield* source as Iterable<T>;
}

function isIterable(source: unknown): boolean {
  return (
    typeof source === "object" &&
    source !== null &&
    (Symbol.iterator in source || Symbol.asyncIterator in source)
  );
}

function decodeDiffMilestone(payload: unknown, what: string): MilestonePayload {
  if (!(payload instanceof Uint8Array) || payload.length === 0 || payload.length > MAX_MESSAGE_LENGTH) {
    throw inputError(`${what} milestone payload must be 1 to ${MAX_MESSAGE_LENGTH} bytes`);
  }
  let decoded: ReturnType<typeof deserializePayload>;
  try {
    decoded = deserializePayload(payload);
  } catch (err) {
    throw inputError(`${what} milestone payload is invalid: ${(err as Error).message}`);
  }
  if (decoded.type !== PAYLOAD_MILESTONE) {
    throw inputError(`${what} milestone payload has payload type ${decoded.type}, not a milestone (1)`);
  }
  return decoded;
}

async function syncFolder(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (err) {
    // Some platforms and file systems cannot open or sync a folder; the rename itself has happened.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP") throw err;
  } finally {
    await fh?.close();
  }
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * Removes the temporary files a writer killed mid-way (kill -9, power loss) left beside `path`; the
 * file at `path` itself is whole, the old one or the new one. Returns how many were removed.
 */
export async function removeStaleSnapshotTemps(path: string): Promise<number> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith(".tmp")) {
      await unlink(join(dir, name)).catch(() => {});
      removed++;
    }
  }
  return removed;
}

/** Moves the finished temp file to `path`: rename (replaces), or link + unlink (refuses an existing file). */
async function publish(tmp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(tmp, path);
    return;
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new StingerError("SNAPSHOT_EXISTS", `${path}: a file is already there`, { cause: err });
    }
    throw err;
  }
  await unlink(tmp);
}

/**
 * Writes a snapshot file: streams the entries to a temporary file next to `path`, fills in the counts,
 * syncs it, moves it to `path` in one step and syncs the folder. On any failure (bad entry, an
 * iterator that throws, a full disk) the temp file is removed and `path` is left as it was.
 * Entries are checked as they are written; a full snapshot must hold the total supply.
 */
export async function writeSnapshotFile(
  path: string,
  header: SnapshotHeader,
  data: SnapshotData,
  opts: WriteSnapshotOptions = {},
): Promise<WriteSnapshotResult> {
  if (typeof header !== "object" || header === null) throw inputError("header is missing");
  const full = header.type === "full";
  if (!full && header.type !== "delta") throw inputError(`header type must be "full" or "delta"`);
  if (!Number.isSafeInteger(header.timestamp) || header.timestamp < 0) {
    throw inputError("header timestamp must be a non-negative integer (unix seconds)");
  }
  if (typeof header.networkId !== "bigint" || header.networkId < 0n || header.networkId > U64_MAX) {
    throw inputError("header network ID must be a u64 bigint");
  }
  checkU32(header.sepMilestoneIndex, "header SEP milestone index");
  checkU32(header.ledgerMilestoneIndex, "header ledger milestone index");
  if (full) checkTreasury(header.treasury, "header treasury output");
  else if (header.treasury !== undefined) throw inputError("a delta snapshot has no treasury output");
  if (typeof data !== "object" || data === null || !isIterable(data.solidEntryPoints)) {
    throw inputError("solidEntryPoints must be iterable");
  }
  if (data.outputs !== undefined && !isIterable(data.outputs)) throw inputError("outputs must be iterable");
  if (data.milestoneDiffs !== undefined && !isIterable(data.milestoneDiffs)) {
    throw inputError("milestoneDiffs must be iterable");
  }
  const checkSupply = opts.checkSupply ?? true;

  const dir = dirname(path);
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", opts.mode ?? 0o644);
  let closed = false;
  try {
    const w = new ChunkWriter(fh);
    const head = new Uint8Array(full ? FULL_HEADER_LENGTH : DELTA_HEADER_LENGTH);
    const hv = new DataView(head.buffer);
    head[0] = SNAPSHOT_FORMAT_VERSION;
    head[1] = full ? TYPE_FULL : TYPE_DELTA;
    hv.setBigUint64(2, BigInt(header.timestamp), true);
    hv.setBigUint64(10, header.networkId, true);
    hv.setUint32(18, header.sepMilestoneIndex, true);
    hv.setUint32(22, header.ledgerMilestoneIndex, true);
    // counts stay zero until the end
    if (full) {
      head.set(header.treasury!.milestoneId, COUNTS_OFFSET + 24);
      hv.setBigUint64(COUNTS_OFFSET + 24 + MILESTONE_ID_LENGTH, header.treasury!.amount, true);
    }
    await w.bytes(head);

    let seps = 0;
    for await (const sep of entries(data.solidEntryPoints)) {
      checkBytes(sep, MESSAGE_ID_LENGTH, `solid entry point ${seps + 1}`);
      await w.bytes(sep);
      seps++;
    }

    let outputs = 0;
    let total = full ? header.treasury!.amount : 0n;
    const ledgerIds = new IdSet();
    for await (const o of entries(data.outputs)) {
      const what = `output ${outputs + 1}`;
      if (!full) throw inputError("a delta snapshot has no outputs");
      checkOutput(o, what);
      if (!ledgerIds.add(o.outputId)) throw inputError(`${what} repeats an output ID`);
      total += o.amount;
      await w.output(o);
      outputs++;
    }
    if (full && checkSupply && total !== TOTAL_SUPPLY) {
      throw inputError(`outputs and treasury hold ${total}, not the total supply ${TOTAL_SUPPLY}`);
    }

    let diffs = 0;
    for await (const d of entries(data.milestoneDiffs)) {
      const what = `milestone diff ${diffs + 1}`;
      if (typeof d !== "object" || d === null) throw inputError(`${what} is not an object`);
      const ms = decodeDiffMilestone(d.milestonePayload, what);
      if (ms.receipt !== null)
        checkTreasury(d.spentTreasury, `${what} (its milestone has a receipt) spent treasury`);
      else if (d.spentTreasury !== undefined) {
        throw inputError(`${what} has a spent treasury output but its milestone has no receipt`);
      }
      if (!Array.isArray(d.created) || !Array.isArray(d.consumed)) {
        throw inputError(`${what} needs created and consumed arrays`);
      }
      await w.u32(d.milestonePayload.length);
      await w.bytes(d.milestonePayload);
      if (d.spentTreasury !== undefined) {
        await w.bytes(d.spentTreasury.milestoneId);
        await w.u64(d.spentTreasury.amount);
      }
      await w.u64(BigInt(d.created.length));
      const created = new IdSet();
      for (const [i, o] of d.created.entries()) {
        checkOutput(o, `${what} created output ${i + 1}`);
        if (!created.add(o.outputId))
          throw inputError(`${what} created output ${i + 1} repeats an output ID`);
        await w.output(o);
      }
      await w.u64(BigInt(d.consumed.length));
      const consumed = new IdSet();
      for (const [i, s] of d.consumed.entries()) {
        checkOutput(s, `${what} consumed output ${i + 1}`);
        checkBytes(
          s.targetTransactionId,
          TRANSACTION_ID_LENGTH,
          `${what} consumed output ${i + 1} target transaction ID`,
        );
        if (!consumed.add(s.outputId))
          throw inputError(`${what} consumed output ${i + 1} repeats an output ID`);
        await w.output(s, s.targetTransactionId);
      }
      diffs++;
    }

    await w.flush();
    const counts = new Uint8Array(full ? 24 : 16);
    const cv = new DataView(counts.buffer);
    cv.setBigUint64(0, BigInt(seps), true);
    if (full) cv.setBigUint64(8, BigInt(outputs), true);
    cv.setBigUint64(full ? 16 : 8, BigInt(diffs), true);
    await w.patch(COUNTS_OFFSET, counts);
    const bytes = w.offset;
    await fh.sync();
    closed = true;
    await fh.close();
    await publish(tmp, path, opts.overwrite ?? true);
    await syncFolder(dir);
    return { path, bytes, solidEntryPoints: seps, outputs, milestoneDiffs: diffs };
  } catch (err) {
    if (!closed) await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

// ---- reading ---------------------------------------------------------------------------------------

const READ_CHUNK = 256 * 1024;

/** Sequential reads from a file handle through one reusable buffer. */
class ChunkReader {
  private buf = new Uint8Array(READ_CHUNK);
  private view = new DataView(this.buf.buffer);
  private start = 0;
  private end = 0;
  /** file offset of buf[end] */
  private filePos = 0;
  private eof = false;

  constructor(private readonly fh: FileHandle) {}

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.filePos - (this.end - this.start);
  }

  /** Makes up to n bytes readable; returns how many are (n, or fewer at the end of the file). */
  async fill(n: number): Promise<number> {
    if (this.end - this.start >= n) return n;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, 2 * this.buf.length));
      bigger.set(this.buf.subarray(this.start, this.end));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
      this.end -= this.start;
      this.start = 0;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    while (this.end < n && !this.eof) {
      const { bytesRead } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.filePos);
      if (bytesRead === 0) this.eof = true;
      this.end += bytesRead;
      this.filePos += bytesRead;
    }
    return Math.min(n, this.end - this.start);
  }

  /** Consumes n bytes already made readable by fill(); returns where they start in `data`. */
  take(n: number): number {
    const at = this.start;
    this.start += n;
    return at;
  }

  get data(): Uint8Array {
    return this.buf;
  }

  get dataView(): DataView {
    return this.view;
  }
}

export interface SnapshotReader {
  readonly path: string;
  readonly header: SnapshotHeader;
  readonly counts: SnapshotCounts;
  /**
   * The sections, in file order. Each may be iterated once; starting a later one first reads and checks
   * what is left of the earlier ones. Every entry is checked as it is read.
   */
  solidEntryPoints(): AsyncGenerator<Uint8Array>;
  /** Empty for a delta snapshot. After the last output of a full snapshot the supply is checked. */
  outputs(): AsyncGenerator<SnapshotOutput>;
  /** After the last diff, the file must end. */
  milestoneDiffs(): AsyncGenerator<ReadMilestoneDiff>;
  /** Reads and checks whatever has not been read, up to the end of the file. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

type Stage = "seps" | "outputs" | "diffs" | "done";
const STAGE_ORDER: Record<Stage, number> = { seps: 0, outputs: 1, diffs: 2, done: 3 };

class SnapshotFileReader implements SnapshotReader {
  header!: SnapshotHeader;
  counts!: SnapshotCounts;
  private readonly r: ChunkReader;
  private stage: Stage = "seps";
  private read = 0;
  private started = new Set<Stage>();
  private failure: unknown;
  private supplied = 0n;
  /** Output IDs of the ledger section, to refuse repeats; dropped after the section. */
  private ledgerIds = new IdSet();
  private readonly checkSupply: boolean;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    opts: SnapshotCheckOptions,
  ) {
    this.r = new ChunkReader(fh);
    this.checkSupply = opts.checkSupply ?? true;
  }

  private invalid(message: string, at = this.r.offset): StingerError {
    return new StingerError("SNAPSHOT_INVALID", `${this.path}: ${message} (at byte ${at})`);
  }

  /** Makes n bytes readable, or fails naming the entry and the field the file ends in. */
  private async need(n: number, entry: string, fields?: Fields): Promise<number> {
    const available = await this.r.fill(n);
    if (available < n) {
      const field = fields === undefined ? "" : ` (${fieldAt(fields, available)})`;
      throw this.invalid(`file ends inside ${entry}${field}`, this.r.offset + available);
    }
    return this.r.take(n);
  }

  private count(v: bigint, what: string, at: number): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.invalid(`${what} ${v} is impossibly large`, at);
    return Number(v);
  }

  async readHeader(): Promise<void> {
    const r = this.r;
    if ((await r.fill(2)) >= 1) {
      const version = r.data[0]!;
      if (version !== SNAPSHOT_FORMAT_VERSION) {
        throw this.invalid(
          `unsupported snapshot format version ${version} (this reads version ${SNAPSHOT_FORMAT_VERSION})`,
          0,
        );
      }
    }
    if ((await r.fill(2)) === 2 && r.data[1] !== TYPE_FULL && r.data[1] !== TYPE_DELTA) {
      throw this.invalid(`unknown snapshot type ${r.data[1]} (0 full, 1 delta)`, 1);
    }
    // The type decides the header's length; a file of 0 or 1 bytes counts as a truncated full header.
    const full = (await r.fill(2)) < 2 || r.data[1] === TYPE_FULL;
    const at = await this.need(
      full ? FULL_HEADER_LENGTH : DELTA_HEADER_LENGTH,
      "the header",
      full ? FULL_HEADER_FIELDS : DELTA_HEADER_FIELDS,
    );
    const v = r.dataView;
    const timestamp = v.getBigUint64(at + 2, true);
    if (timestamp > BigInt(Number.MAX_SAFE_INTEGER))
      throw this.invalid(`timestamp ${timestamp} is out of range`, 2);
    const header: SnapshotHeader = {
      type: full ? "full" : "delta",
      timestamp: Number(timestamp),
      networkId: v.getBigUint64(at + 10, true),
      sepMilestoneIndex: v.getUint32(at + 18, true),
      ledgerMilestoneIndex: v.getUint32(at + 22, true),
    };
    const c = at + COUNTS_OFFSET;
    this.counts = {
      solidEntryPoints: this.count(v.getBigUint64(c, true), "SEP count", COUNTS_OFFSET),
      outputs: full ? this.count(v.getBigUint64(c + 8, true), "output count", COUNTS_OFFSET + 8) : 0,
      milestoneDiffs: this.count(
        v.getBigUint64(c + (full ? 16 : 8), true),
        "milestone diff count",
        COUNTS_OFFSET + (full ? 16 : 8),
      ),
    };
    if (full) {
      const t = c + 24;
      const amount = v.getBigUint64(t + MILESTONE_ID_LENGTH, true);
      if (amount > TOTAL_SUPPLY) {
        throw this.invalid(
          `treasury amount ${amount} is over the total supply ${TOTAL_SUPPLY}`,
          COUNTS_OFFSET + 56,
        );
      }
      header.treasury = { milestoneId: r.data.slice(t, t + MILESTONE_ID_LENGTH), amount };
      this.supplied = amount;
    }
    this.header = header;
  }

  /** Reads one output (or spent) entry and checks it; `ids` refuses repeats within one list. */
  private async readOutput(entry: string, ids: IdSet, spent: false): Promise<SnapshotOutput>;
  private async readOutput(entry: string, ids: IdSet, spent: true): Promise<SnapshotSpent>;
  private async readOutput(
    entry: string,
    ids: IdSet,
    spent: boolean,
  ): Promise<SnapshotOutput | SnapshotSpent> {
    const start = this.r.offset;
    const at = await this.need(
      spent ? SPENT_LENGTH : OUTPUT_LENGTH,
      entry,
      spent ? SPENT_FIELDS : OUTPUT_FIELDS,
    );
    const b = this.r.data;
    const outputType = b[at + 66]!;
    if (outputType !== 0 && outputType !== 1) {
      throw this.invalid(`${entry}: unknown output type ${outputType} (0 or 1)`, start + 66);
    }
    if (b[at + 67] !== ADDRESS_TYPE_ED25519) {
      throw this.invalid(`${entry}: address type ${b[at + 67]} is not Ed25519 (0)`, start + 67);
    }
    const amount = this.r.dataView.getBigUint64(at + 100, true);
    if (amount === 0n) throw this.invalid(`${entry}: amount is zero`, start + 100);
    if (amount > TOTAL_SUPPLY) {
      throw this.invalid(`${entry}: amount ${amount} is over the total supply ${TOTAL_SUPPLY}`, start + 100);
    }
    const outputId = b.slice(at + 32, at + 66);
    if (!ids.add(outputId)) throw this.invalid(`${entry}: output ID repeats an earlier one`, start + 32);
    const out: SnapshotOutput = {
      messageId: b.slice(at, at + 32),
      outputId,
      outputType,
      address: b.slice(at + 68, at + 100),
      amount,
    };
    if (!spent) return out;
    return { ...out, targetTransactionId: b.slice(at + OUTPUT_LENGTH, at + SPENT_LENGTH) };
  }

  private async readTreasury(entry: string): Promise<SnapshotTreasury> {
    const start = this.r.offset;
    const at = await this.need(TREASURY_LENGTH, entry, TREASURY_FIELDS);
    const amount = this.r.dataView.getBigUint64(at + MILESTONE_ID_LENGTH, true);
    if (amount > TOTAL_SUPPLY) {
      throw this.invalid(`${entry}: amount ${amount} is over the total supply ${TOTAL_SUPPLY}`, start + 32);
    }
    return { milestoneId: this.r.data.slice(at, at + MILESTONE_ID_LENGTH), amount };
  }

  private async readU64Count(entry: string): Promise<number> {
    const start = this.r.offset;
    const at = await this.need(8, entry);
    return this.count(this.r.dataView.getBigUint64(at, true), entry, start);
  }

  private async readDiff(n: number): Promise<ReadMilestoneDiff> {
    const what = `milestone diff ${n} of ${this.counts.milestoneDiffs}`;
    const start = this.r.offset;
    const lengthAt = await this.need(4, `${what} (milestone payload length)`);
    const length = this.r.dataView.getUint32(lengthAt, true);
    if (length === 0 || length > MAX_MESSAGE_LENGTH) {
      throw this.invalid(
        `${what}: milestone payload length ${length} is not 1 to ${MAX_MESSAGE_LENGTH}`,
        start,
      );
    }
    const payloadAt = await this.need(length, `${what} (milestone payload of ${length} bytes)`);
    const milestonePayload = this.r.data.slice(payloadAt, payloadAt + length);
    let decoded: ReturnType<typeof deserializePayload>;
    try {
      decoded = deserializePayload(milestonePayload);
    } catch (err) {
      const message = err instanceof ProtocolError ? err.message : String(err);
      throw this.invalid(`${what}: milestone payload is invalid: ${message}`, start + 4);
    }
    if (decoded.type !== PAYLOAD_MILESTONE) {
      throw this.invalid(`${what}: payload type ${decoded.type} is not a milestone (1)`, start + 4);
    }
    const diff: ReadMilestoneDiff = { milestonePayload, milestone: decoded, created: [], consumed: [] };
    if (decoded.receipt !== null)
      diff.spentTreasury = await this.readTreasury(`${what} (spent treasury output)`);
    const created = await this.readU64Count(`${what} (created count)`);
    const createdIds = new IdSet();
    for (let i = 1; i <= created; i++) {
      diff.created.push(
        await this.readOutput(`${what}, created output ${i} of ${created}`, createdIds, false),
      );
    }
    const consumed = await this.readU64Count(`${what} (consumed count)`);
    const consumedIds = new IdSet();
    for (let i = 1; i <= consumed; i++) {
      diff.consumed.push(
        await this.readOutput(`${what}, consumed output ${i} of ${consumed}`, consumedIds, true),
      );
    }
    return diff;
  }

  /** Moves to `stage`, reading and checking what is left of the sections before it. */
  private async advanceTo(stage: Stage): Promise<void> {
    while (STAGE_ORDER[this.stage] < STAGE_ORDER[stage]) {
      if (this.stage === "seps") while ((await this.nextSep()) !== undefined);
      else if (this.stage === "outputs") while ((await this.nextOutput()) !== undefined);
      else if (this.stage === "diffs") while ((await this.nextDiff()) !== undefined);
    }
  }

  private async nextSep(): Promise<Uint8Array | undefined> {
    if (this.read === this.counts.solidEntryPoints) {
      this.stage = "outputs";
      this.read = 0;
      return undefined;
    }
    const n = ++this.read;
    const at = await this.need(
      MESSAGE_ID_LENGTH,
      `solid entry point ${n} of ${this.counts.solidEntryPoints}`,
    );
    return this.r.data.slice(at, at + MESSAGE_ID_LENGTH);
  }

  private async nextOutput(): Promise<SnapshotOutput | undefined> {
    if (this.read === this.counts.outputs) {
      if (this.header.type === "full" && this.checkSupply && this.supplied !== TOTAL_SUPPLY) {
        throw this.invalid(
          `outputs (${this.supplied - this.header.treasury!.amount}) and treasury (${this.header.treasury!.amount}) ` +
            `hold ${this.supplied}, not the total supply ${TOTAL_SUPPLY}`,
        );
      }
      this.stage = "diffs";
      this.read = 0;
      this.ledgerIds = new IdSet();
      return undefined;
    }
    const n = ++this.read;
    const o = await this.readOutput(`output ${n} of ${this.counts.outputs}`, this.ledgerIds, false);
    this.supplied += o.amount;
    return o;
  }

  private async nextDiff(): Promise<ReadMilestoneDiff | undefined> {
    if (this.read === this.counts.milestoneDiffs) {
      const extra = await this.r.fill(1);
      if (extra > 0) {
        const size = (await this.fh.stat()).size;
        const n = size - this.r.offset;
        throw this.invalid(`${n} trailing byte${n === 1 ? "" : "s"} after the last milestone diff`);
      }
      this.stage = "done";
      return undefined;
    }
    return this.readDiff(++this.read);
  }

  /** Runs one step, remembering a failure so later calls report the same error. */
  private async step<T>(fn: () => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    try {
      return await fn();
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  private async *section<T>(stage: Stage, next: () => Promise<T | undefined>): AsyncGenerator<T> {
    if (this.started.has(stage) || STAGE_ORDER[this.stage] > STAGE_ORDER[stage]) {
      throw new StingerError("SNAPSHOT_READ_ORDER", `${this.path}: the ${stage} section was already read`);
    }
    this.started.add(stage);
    await this.step(() => this.advanceTo(stage));
    while (this.stage === stage) {
      const item = await this.step(next);
      if (item === undefined) return;
      yield item;
    }
  }

  solidEntryPoints(): AsyncGenerator<Uint8Array> {
    return this.section("seps", () => this.nextSep());
  }

  outputs(): AsyncGenerator<SnapshotOutput> {
    return this.section("outputs", () => this.nextOutput());
  }

  milestoneDiffs(): AsyncGenerator<ReadMilestoneDiff> {
    return this.section("diffs", () => this.nextDiff());
  }

  async finish(): Promise<void> {
    await this.step(() => this.advanceTo("done"));
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * Opens a snapshot file and reads its header (checked: version, type, complete). The sections are then
 * read in file order through the returned reader; close it when done.
 */
export async function openSnapshotFile(
  path: string,
  opts: SnapshotCheckOptions = {},
): Promise<SnapshotReader> {
  const fh = await open(path, "r");
  const reader = new SnapshotFileReader(path, fh, opts);
  try {
    await reader.readHeader();
  } catch (err) {
    await fh.close();
    throw err;
  }
  return reader;
}

/** Only the header (and the declared counts) of a snapshot file. */
export async function readSnapshotHeader(
  path: string,
): Promise<{ header: SnapshotHeader; counts: SnapshotCounts }> {
  const reader = await openSnapshotFile(path);
  await reader.close();
  return { header: reader.header, counts: reader.counts };
}

export interface SnapshotContents {
  header: SnapshotHeader;
  solidEntryPoints: Uint8Array[];
  outputs: SnapshotOutput[];
  milestoneDiffs: ReadMilestoneDiff[];
}

/** Reads and checks a whole snapshot file into memory (for big files, use openSnapshotFile). */
export async function readSnapshotFile(
  path: string,
  opts: SnapshotCheckOptions = {},
): Promise<SnapshotContents> {
  const reader = await openSnapshotFile(path, opts);
  try {
    const out: SnapshotContents = {
      header: reader.header,
      solidEntryPoints: [],
      outputs: [],
      milestoneDiffs: [],
    };
    for await (const sep of reader.solidEntryPoints()) out.solidEntryPoints.push(sep);
    for await (const o of reader.outputs()) out.outputs.push(o);
    for await (const d of reader.milestoneDiffs()) out.milestoneDiffs.push(d);
    await reader.finish();
    return out;
  } finally {
    await reader.close();
  }
}
