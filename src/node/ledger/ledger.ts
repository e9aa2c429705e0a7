import type { Database, RootDatabase } from "lmdb";
import { toHex } from "../../protocol/hex.ts";
import { DUST_THRESHOLD } from "../../protocol/params.ts";
import {
  type AddressBalance,
  addressEntry,
  decodeBalance,
  decodeOutput,
  decodeSpent,
  encodeBalance,
  encodeOutput,
  encodeSpent,
  type LedgerOutput,
  type LedgerSpent,
} from "./records.ts";
import { addDigest, ledgerStateHash, removeDigest } from "./state-hash.ts";

export interface Treasury {
  milestoneId: Uint8Array;
  amount: bigint;
}

/** What one milestone's confirmation changes in the ledger, in white-flag order. */
export interface LedgerMutations {
  created: LedgerOutput[];
  spent: { output: LedgerOutput; spent: LedgerSpent }[];
  /** the milestone's receipt (migration): its bytes, migratedAt, and the treasury it leaves */
  receipt?: { bytes: Uint8Array; migratedAt: number; treasury: Treasury };
}

interface LedgerStateRecord {
  index: number;
  treasuryMilestoneId: Uint8Array;
  treasuryAmount: bigint;
  /** unspent-set digest (see state-hash.ts), hex */
  digest: string;
}

interface DiffRecord {
  /** created output IDs, concatenated (34 bytes each) */
  c: Uint8Array;
  /** consumed output IDs, concatenated */
  s: Uint8Array;
  /** state hash after this milestone */
  h: Uint8Array;
  /** treasury spent by this milestone's receipt, and the new one */
  ts?: { m: Uint8Array; a: bigint };
  tn?: { m: Uint8Array; a: bigint };
}

export interface MilestoneDiff {
  index: number;
  created: Uint8Array[];
  consumed: Uint8Array[];
  stateHash: Uint8Array;
  spentTreasury?: Treasury;
  newTreasury?: Treasury;
}

export interface LedgerCheck {
  ledgerIndex: number;
  stateHash: string;
  recomputedStateHash: string;
  unspentOutputs: number;
  addresses: number;
  unspentSum: bigint;
  treasury: bigint;
  /** empty when the ledger is consistent */
  problems: string[];
}

export interface ReceiptRecord {
  migratedAt: number;
  milestoneIndex: number;
  bytes: Uint8Array;
}

const ZERO_BALANCE: AddressBalance = { balance: 0n, dustAllowance: 0n, dustOutputs: 0 };
const STATE_KEY = "ledger";

/** A copy that owns its bytes: lmdb may reuse the buffers it returns from ranges. */
function copy(b: Uint8Array, start = 0, end = b.length): Uint8Array {
  return Uint8Array.prototype.slice.call(b, start, end);
}

function split34(concat: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < concat.length; i += 34) out.push(concat.slice(i, i + 34));
  return out;
}

function concat(ids: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ids.length * 34);
  for (let i = 0; i < ids.length; i++) out.set(ids[i]!, i * 34);
  return out;
}

function receiptKey(migratedAt: number, milestoneIndex: number): Uint8Array {
  const key = new Uint8Array(8);
  const v = new DataView(key.buffer);
  // Big-endian, so LMDB's byte order is numeric order.
  v.setUint32(0, migratedAt, false);
  v.setUint32(4, milestoneIndex, false);
  return key;
}

function isDust(o: LedgerOutput): boolean {
  return o.outputType === 0 && o.amount < DUST_THRESHOLD;
}

/**
 * The UTXO ledger in the node's LMDB environment: every output with the message that created it, the
 * spent ones with their spending transaction and milestone, per-address indexes of unspent and spent
 * outputs and the address balance (with the dust figures TIP-15 needs), the treasury, receipts, and
 * each milestone's UTXO diff and state hash. The ledger index is the confirmed milestone index: apply()
 * runs inside the milestone's confirmation transaction, so the ledger moves only milestone by milestone.
 */
export class Ledger {
  /** output ID (34) -> LedgerOutput record (every output ever booked, spent or not) */
  private readonly outputs: Database<Uint8Array, Uint8Array>;
  /** output ID -> LedgerSpent record, for spent outputs */
  private readonly spents: Database<Uint8Array, Uint8Array>;
  /** address (32) -> type || output ID, for unspent outputs (sorted duplicates) */
  private readonly unspentByAddress: Database<Uint8Array, Uint8Array>;
  /** address -> type || output ID, for spent outputs */
  private readonly spentByAddress: Database<Uint8Array, Uint8Array>;
  /** address -> AddressBalance record; absent when all zero */
  private readonly balances: Database<Uint8Array, Uint8Array>;
  /** milestone index -> DiffRecord */
  private readonly diffs: Database<DiffRecord, number>;
  /** migratedAt || milestone index (big-endian) -> receipt payload bytes */
  private readonly receipts: Database<Uint8Array, Uint8Array>;
  private readonly meta: Database<unknown, string>;

  constructor(private readonly root: RootDatabase) {
    const bin = { keyEncoding: "binary", encoding: "binary" } as const;
    this.outputs = root.openDB({ name: "utxo.outputs", ...bin });
    this.spents = root.openDB({ name: "utxo.spents", ...bin });
    this.unspentByAddress = root.openDB({ name: "utxo.unspentByAddress", ...bin, dupSort: true });
    this.spentByAddress = root.openDB({ name: "utxo.spentByAddress", ...bin, dupSort: true });
    this.balances = root.openDB({ name: "utxo.balances", ...bin });
    this.diffs = root.openDB({ name: "utxo.diffs", keyEncoding: "uint32", encoding: "msgpack" });
    this.receipts = root.openDB({ name: "utxo.receipts", ...bin });
    this.meta = root.openDB({ name: "utxo.state", keyEncoding: "ordered-binary", encoding: "msgpack" });
  }

  /** Its named databases, for size accounting. */
  databases(): Database[] {
    return [
      this.outputs,
      this.spents,
      this.unspentByAddress,
      this.spentByAddress,
      this.balances,
      this.diffs,
      this.receipts,
      this.meta,
    ] as Database[];
  }

  /** Read from the database each time (never cached), so inside a write transaction it is that one's. */
  private get state(): LedgerStateRecord | undefined {
    return this.meta.get(STATE_KEY) as LedgerStateRecord | undefined;
  }

  /** False until a snapshot (genesis) has been loaded: the ledger then holds nothing. */
  get initialized(): boolean {
    return this.meta.doesExist(STATE_KEY);
  }

  /** The confirmed milestone index the ledger is at. */
  get index(): number {
    return this.state?.index ?? 0;
  }

  treasury(): Treasury {
    const s = this.state;
    return s
      ? { milestoneId: s.treasuryMilestoneId, amount: BigInt(s.treasuryAmount) }
      : { milestoneId: new Uint8Array(32), amount: 0n };
  }

  stateHash(): Uint8Array {
    return ledgerStateHash(BigInt(`0x${this.state?.digest ?? "0"}`), this.treasury());
  }

  output(outputId: Uint8Array): LedgerOutput | undefined {
    const rec = this.outputs.getBinary(outputId);
    return rec ? decodeOutput(copy(outputId), rec) : undefined;
  }

  spent(outputId: Uint8Array): LedgerSpent | undefined {
    const rec = this.spents.getBinary(outputId);
    return rec ? decodeSpent(rec) : undefined;
  }

  isSpent(outputId: Uint8Array): boolean {
    return this.spents.doesExist(outputId);
  }

  balance(address: Uint8Array): AddressBalance {
    const rec = this.balances.getBinary(address);
    return rec ? decodeBalance(rec) : ZERO_BALANCE;
  }

  /** Output IDs on an address: unspent ones first, then (with includeSpent) spent ones; at most `limit`. */
  addressOutputIds(
    address: Uint8Array,
    opts: { outputType?: 0 | 1; includeSpent?: boolean; limit: number },
  ): Uint8Array[] {
    const ids: Uint8Array[] = [];
    const collect = (db: Database<Uint8Array, Uint8Array>) => {
      for (const entry of db.getValues(address)) {
        if (ids.length >= opts.limit) return;
        if (opts.outputType !== undefined && entry[0] !== opts.outputType) continue;
        ids.push(copy(entry, 1));
      }
    };
    collect(this.unspentByAddress);
    if (opts.includeSpent) collect(this.spentByAddress);
    return ids;
  }

  diff(index: number): MilestoneDiff | undefined {
    const d = this.diffs.get(index);
    if (!d) return undefined;
    return {
      index,
      created: split34(d.c),
      consumed: split34(d.s),
      stateHash: d.h,
      spentTreasury: d.ts && { milestoneId: d.ts.m, amount: BigInt(d.ts.a) },
      newTreasury: d.tn && { milestoneId: d.tn.m, amount: BigInt(d.tn.a) },
    };
  }

  /** Receipts in migratedAt order, optionally only those of one migratedAt index. */
  receiptList(migratedAt?: number): ReceiptRecord[] {
    const range =
      migratedAt === undefined
        ? {}
        : { start: receiptKey(migratedAt, 0), end: receiptKey(migratedAt + 1, 0) };
    return [...this.receipts.getRange(range)].map(({ key, value }) => {
      const v = new DataView(key.buffer, key.byteOffset, key.byteLength);
      return { migratedAt: v.getUint32(0, false), milestoneIndex: v.getUint32(4, false), bytes: copy(value) };
    });
  }

  /**
   * Loads a snapshot's ledger (the genesis one, or a full snapshot): its outputs, treasury and
   * ledger index, in one transaction (with `alsoInTransaction`'s writes: the tangle's side of the
   * snapshot). Only into an uninitialized ledger.
   */
  async loadSnapshot(
    outputs: Iterable<LedgerOutput>,
    treasury: Treasury,
    index: number,
    alsoInTransaction?: () => void,
  ): Promise<void> {
    if (this.initialized) throw new Error("the ledger is initialized already");
    await this.root.transaction(() => {
      alsoInTransaction?.();
      let digest = 0n;
      const deltas = new Map<string, { address: Uint8Array; delta: AddressBalance }>();
      for (const o of outputs) {
        this.putOutput(o);
        digest = addDigest(digest, o);
        this.addToBalance(deltas, o, 1);
      }
      this.writeBalances(deltas);
      this.writeState({
        index,
        treasuryMilestoneId: treasury.milestoneId,
        treasuryAmount: treasury.amount,
        digest: digest.toString(16),
      });
    });
  }

  /**
   * Applies one milestone's mutations. Synchronous, for the inside of the LMDB write transaction that
   * also marks the milestone's messages referenced, so message metadata and ledger commit together.
   */
  applyInTransaction(index: number, m: LedgerMutations): void {
    // Without a snapshot the ledger is empty: nothing unspent, no treasury.
    const state = this.state ?? { digest: "0" };
    let digest = BigInt(`0x${state.digest}`);
    const deltas = new Map<string, { address: Uint8Array; delta: AddressBalance }>();
    for (const o of m.created) {
      this.putOutput(o);
      digest = addDigest(digest, o);
      this.addToBalance(deltas, o, 1);
    }
    for (const { output, spent } of m.spent) {
      this.spents.put(output.outputId, encodeSpent(spent));
      const entry = addressEntry(output.outputType, output.outputId);
      this.unspentByAddress.remove(output.address, entry);
      this.spentByAddress.put(output.address, entry);
      digest = removeDigest(digest, output);
      this.addToBalance(deltas, output, -1);
    }
    this.writeBalances(deltas);
    const spentTreasury = this.treasury();
    const treasury = m.receipt ? m.receipt.treasury : spentTreasury;
    if (m.receipt) this.receipts.put(receiptKey(m.receipt.migratedAt, index), m.receipt.bytes);
    const next: LedgerStateRecord = {
      index,
      treasuryMilestoneId: treasury.milestoneId,
      treasuryAmount: treasury.amount,
      digest: digest.toString(16),
    };
    const diff: DiffRecord = {
      c: concat(m.created.map((o) => o.outputId)),
      s: concat(m.spent.map((s) => s.output.outputId)),
      h: ledgerStateHash(digest, treasury),
    };
    if (m.receipt) {
      diff.ts = { m: spentTreasury.milestoneId, a: spentTreasury.amount };
      diff.tn = { m: treasury.milestoneId, a: treasury.amount };
    }
    this.diffs.put(index, diff);
    this.writeState(next);
  }

  /**
   * Forgets milestone `index`'s history (for pruning, inside the pruner's write transaction): its diff,
   * the outputs it consumed (spent then, so no longer part of any balance), and with `pruneReceipts`
   * its receipt. Unspent outputs are the ledger and stay whatever their age.
   */
  pruneMilestoneInTransaction(index: number, pruneReceipts: boolean): void {
    const d = this.diffs.get(index);
    if (!d) return;
    for (const id of split34(d.s)) {
      const rec = this.outputs.getBinary(id);
      if (rec) {
        const o = decodeOutput(id, rec);
        this.spentByAddress.remove(o.address, addressEntry(o.outputType, id));
      }
      this.outputs.remove(id);
      this.spents.remove(id);
    }
    if (pruneReceipts && d.tn) {
      for (const { key } of this.receipts.getRange()) {
        const v = new DataView(key.buffer, key.byteOffset, key.byteLength);
        if (v.getUint32(4, false) === index) this.receipts.remove(copy(key));
      }
    }
    this.diffs.remove(index);
  }

  /** Every unspent output, in output ID order (for snapshots; reads as the ledger is when called). */
  *unspentOutputs(): Generator<LedgerOutput> {
    for (const { key, value } of this.outputs.getRange()) {
      if (this.spents.doesExist(key)) continue;
      yield decodeOutput(copy(key), value);
    }
  }

  /**
   * Checks the whole ledger against itself (reads every output: for operators and tests, not a hot path):
   * the state hash rebuilt from the unspent outputs equals the running one, unspent outputs plus the
   * treasury hold `supply`, and every address record equals the sum of its unspent outputs.
   */
  verify(): LedgerCheck {
    let digest = 0n;
    let unspent = 0n;
    let outputs = 0;
    const byAddress = new Map<string, AddressBalance>();
    for (const { key, value } of this.outputs.getRange()) {
      if (this.spents.doesExist(key)) continue;
      const o = decodeOutput(copy(key), value);
      outputs++;
      digest = addDigest(digest, o);
      unspent += o.amount;
      const k = toHex(o.address);
      const b = byAddress.get(k) ?? { balance: 0n, dustAllowance: 0n, dustOutputs: 0 };
      b.balance += o.amount;
      if (o.outputType === 1) b.dustAllowance += o.amount;
      if (isDust(o)) b.dustOutputs++;
      byAddress.set(k, b);
    }
    const problems: string[] = [];
    const same = (a: AddressBalance, b: AddressBalance) =>
      a.balance === b.balance && a.dustAllowance === b.dustAllowance && a.dustOutputs === b.dustOutputs;
    let addresses = 0;
    for (const { key, value } of this.balances.getRange()) {
      addresses++;
      const k = toHex(key);
      const stored = decodeBalance(value);
      const actual = byAddress.get(k) ?? ZERO_BALANCE;
      if (!same(stored, actual))
        problems.push(`balance of ${k} is ${stored.balance}, its outputs hold ${actual.balance}`);
      byAddress.delete(k);
    }
    for (const k of byAddress.keys()) problems.push(`address ${k} has unspent outputs but no balance record`);
    const treasury = this.treasury();
    const stateHash = this.stateHash();
    const recomputed = ledgerStateHash(digest, treasury);
    if (toHex(recomputed) !== toHex(stateHash))
      problems.push("the running state hash differs from the recomputed one");
    return {
      ledgerIndex: this.index,
      stateHash: toHex(stateHash),
      recomputedStateHash: toHex(recomputed),
      unspentOutputs: outputs,
      addresses,
      unspentSum: unspent,
      treasury: treasury.amount,
      problems,
    };
  }

  private putOutput(o: LedgerOutput): void {
    this.outputs.put(o.outputId, encodeOutput(o));
    this.unspentByAddress.put(o.address, addressEntry(o.outputType, o.outputId));
  }

  private addToBalance(
    deltas: Map<string, { address: Uint8Array; delta: AddressBalance }>,
    o: LedgerOutput,
    sign: 1 | -1,
  ): void {
    const key = toHex(o.address);
    let d = deltas.get(key);
    if (!d)
      deltas.set(
        key,
        (d = { address: o.address, delta: { balance: 0n, dustAllowance: 0n, dustOutputs: 0 } }),
      );
    const s = BigInt(sign);
    d.delta.balance += s * o.amount;
    if (o.outputType === 1) d.delta.dustAllowance += s * o.amount;
    if (isDust(o)) d.delta.dustOutputs += sign;
  }

  private writeBalances(deltas: Map<string, { address: Uint8Array; delta: AddressBalance }>): void {
    for (const { address, delta } of deltas.values()) {
      const b = this.balance(address);
      const next = {
        balance: b.balance + delta.balance,
        dustAllowance: b.dustAllowance + delta.dustAllowance,
        dustOutputs: b.dustOutputs + delta.dustOutputs,
      };
      if (next.balance < 0n || next.dustAllowance < 0n || next.dustOutputs < 0)
        throw new Error(`ledger corrupt: negative balance on ${toHex(address)}`);
      if (next.balance === 0n && next.dustOutputs === 0) this.balances.remove(address);
      else this.balances.put(address, encodeBalance(next));
    }
  }

  private writeState(next: LedgerStateRecord): void {
    this.meta.put(STATE_KEY, next);
  }
}
