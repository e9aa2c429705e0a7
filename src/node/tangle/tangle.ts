import type { Logger } from "pino";
import { ProtocolError } from "../../protocol/errors.ts";
import { toHex } from "../../protocol/hex.ts";
import { merkleRoot } from "../../protocol/merkle.ts";
import { deserializeMessage, messageId, milestoneId } from "../../protocol/message.ts";
import { verifyMilestone } from "../../protocol/milestone.ts";
import type { Message, MilestonePayload } from "../../protocol/types.ts";
import { PAYLOAD_INDEXATION, PAYLOAD_MILESTONE, PAYLOAD_TRANSACTION } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { Ledger, LedgerMutations } from "../ledger/ledger.ts";
import { InvalidReceipt, receiptMutations } from "../ledger/receipt.ts";
import { type ConeAccess, type WhiteFlagResult, whiteFlag } from "../ledger/white-flag.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { MessageMeta, Store } from "../store/store.ts";
import { arrivalKey, INCLUSION_STATES } from "../store/store.ts";
import type { TangleEvents } from "./events.ts";
import { missingInCone } from "./milestone-cone.ts";
import { PowScorer } from "./pow-scorer.ts";
import { TipPool } from "./tip-pool.ts";

export const NULL_MESSAGE_ID = new Uint8Array(32);
const NULL_HEX = toHex(NULL_MESSAGE_ID);

/**
 * Where a message came from: the API and the coordinator need solid parents, gossip does not.
 * "requested" is gossip answering our own request for a message a stored message references: its
 * PoW is not checked again (as in Hornet) since its ID is fixed by a message that passed the check.
 */
export type MessageSource = "api" | "gossip" | "requested";

/** Parent IDs straight from message bytes (they follow the 8-byte network ID and the count byte). */
export function parentsOf(bytes: Uint8Array): Uint8Array[] {
  const count = bytes[8]!;
  const parents: Uint8Array[] = [];
  for (let i = 0; i < count; i++) parents.push(bytes.subarray(9 + 32 * i, 41 + 32 * i));
  return parents;
}

/**
 * The milestone index of a milestone message, read straight from its bytes (payload type u32 after
 * the parents and the payload length, then the u32 index); null for any other message.
 */
export function milestoneIndexOf(bytes: Uint8Array): number | null {
  const at = 9 + 32 * bytes[8]! + 4;
  if (
    bytes.length < at + 8 ||
    bytes[at] !== PAYLOAD_MILESTONE ||
    bytes[at + 1] ||
    bytes[at + 2] ||
    bytes[at + 3]
  ) {
    return null;
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at + 4, true);
}

/** The index a message is filed under: its indexation payload's, or the one inside its transaction. */
export function indexationIndexOf(payload: Message["payload"]): Uint8Array | null {
  if (payload?.type === PAYLOAD_INDEXATION) return payload.index;
  if (payload?.type === PAYLOAD_TRANSACTION && payload.essence.payload) return payload.essence.payload.index;
  return null;
}

export interface KeyRange {
  key: Uint8Array;
  start: number;
  end: number;
}

export interface TangleOptions {
  networkId: bigint;
  minPoWScore: number;
  keyRanges: KeyRange[];
  milestonePublicKeyCount: number;
  /** URTS parameters (Hornet's tipsel.*) */
  maxDeltaYoungest: number;
  maxDeltaOldest: number;
  belowMaxDepth: number;
  maxTips: number;
  maxChildren: number;
  maxReferencedTipAgeMs: number;
  /** false for a standalone node: it needs no peer to be healthy */
  requiresPeers: boolean;
}

export interface SubmitResult {
  id: Uint8Array;
  /** false when the message was already stored (submits are idempotent) */
  stored: boolean;
}

/** Hornet's "healthy" allows the latest milestone to be this old. */
const MAX_MILESTONE_AGE_MS = 5 * 60_000;
/**
 * An API submit whose parents this node has not got yet waits this long for them from peers. Behind a
 * load balancer without sticky sessions a client reads tips from one node and posts to another, which
 * may be a gossip hop behind: refusing at once would fail an honest client.
 */
const PARENT_WAIT_MS = 3_000;
/** At most this many submits wait for parents at once; more are refused at once (bounded memory). */
const MAX_PARENT_WAITERS = 256;
/** A confirmation whose write failed (disk full) is tried again after this long. */
const CONFIRM_RETRY_MS = 2_000;

function invalid(message: string, cause?: unknown): StingerError {
  return new StingerError("API_INVALID_MESSAGE", message, { status: 400, cause });
}

/**
 * The node's view of the tangle: the ingest pipeline (parse → validate → PoW score → parents solid →
 * store → tips → events), milestone tracking and white-flag confirmation, tip selection and sync state.
 */
export class Tangle {
  readonly tips: TipPool;
  private lmi = 0;
  private cmi = 0;
  private latestMilestoneTimestamp = 0;
  private confirming: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly inFlight = new Set<Promise<SubmitResult>>();
  private connectedPeers = 0;
  private readonly scorer = new PowScorer();
  /** submits waiting for parents: each is called whenever a message becomes solid */
  private readonly parentWaiters = new Set<() => void>();
  private confirmRetry: NodeJS.Timeout | undefined;
  /** Set when this node could not agree with a milestone: it stops confirming rather than diverge. */
  private halt: { index: number; reason: string } | undefined;
  /** Totals since start, sampled by RateMeter for /info. */
  storedTotal = 0;
  referencedTotal = 0;

  constructor(
    private readonly store: Store,
    readonly ledger: Ledger,
    private readonly opts: TangleOptions,
    private readonly events: TangleEvents,
    private readonly log: Logger,
    private readonly metrics: NodeMetrics | null = null,
  ) {
    this.tips = new TipPool({
      maxTips: opts.maxTips,
      maxChildren: opts.maxChildren,
      maxReferencedTipAgeMs: opts.maxReferencedTipAgeMs,
    });
  }

  /** Loads indexes from the store, confirms milestones stored before a crash, seeds the tip pool. */
  async start(): Promise<void> {
    const state = this.store.getNodeState();
    this.cmi = state.confirmedMilestoneIndex;
    this.lmi = Math.max(this.store.highestMilestoneIndex(), this.cmi);
    const latest = this.store.getMilestone(this.lmi);
    if (latest) this.latestMilestoneTimestamp = latest.timestamp;
    await this.scheduleConfirmation();
    const confirmed = this.store.getMilestone(this.cmi);
    if (confirmed) this.tips.add(confirmed.messageId, []);
    for (const id of this.store.storedTips()) this.tips.add(id, []);
    this.updateGauges();
  }

  get latestMilestoneIndex(): number {
    return this.lmi;
  }
  get confirmedMilestoneIndex(): number {
    return this.cmi;
  }
  get latestMilestoneTime(): number {
    return this.latestMilestoneTimestamp;
  }

  setConnectedPeers(n: number): void {
    this.connectedPeers = n;
  }

  isSynced(): boolean {
    return this.lmi !== 0 && this.cmi === this.lmi;
  }

  isAlmostSynced(): boolean {
    return this.lmi !== 0 && this.cmi + 2 >= this.lmi;
  }

  /** Why confirmation stopped (a Merkle root or receipt this node disagrees with), if it did. */
  get halted(): { index: number; reason: string } | undefined {
    return this.halt;
  }

  /** Cannot serve at all: confirmation halted, or no peer where peers are required. */
  isBroken(): boolean {
    return this.halt !== undefined || (this.opts.requiresPeers && this.connectedPeers === 0);
  }

  isHealthy(now = Date.now()): boolean {
    if (this.halt) return false;
    if (!this.isAlmostSynced()) return false;
    if (this.opts.requiresPeers && this.connectedPeers === 0) return false;
    return now - this.latestMilestoneTimestamp * 1000 < MAX_MILESTONE_AGE_MS;
  }

  /**
   * Validates and stores one message. Throws StingerError(400) for anything invalid; resolves
   * once the message is committed to disk. From the API (the default) parents must be solid; from
   * gossip a message may arrive before its parents: it is stored unsolid, its missing parents are
   * announced with "missingParents", and it becomes solid when they do.
   */
  async submit(
    bytes: Uint8Array,
    source: MessageSource = "api",
    knownId?: Uint8Array,
  ): Promise<SubmitResult> {
    if (this.closed) throw new StingerError("TANGLE_CLOSED", "node is shutting down", { status: 503 });
    const work = this.submitInner(bytes, source, knownId);
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /** Refuses new submits and waits for those under way and for queued confirmations: then the store may close. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.confirmRetry);
    for (const wake of [...this.parentWaiters]) wake();
    await Promise.allSettled([...this.inFlight]);
    await this.confirming;
  }

  private async submitInner(
    bytes: Uint8Array,
    source: MessageSource,
    knownId?: Uint8Array,
  ): Promise<SubmitResult> {
    let msg: Message;
    try {
      msg = deserializeMessage(bytes);
    } catch (err) {
      this.metrics?.rejected.inc({ reason: "syntax" });
      if (err instanceof ProtocolError) throw invalid(`invalid message: ${err.message}`, err);
      throw err;
    }
    return this.submitDecoded(bytes, msg, source, knownId ?? messageId(bytes));
  }

  private async submitDecoded(
    bytes: Uint8Array,
    msg: Message,
    source: MessageSource,
    id: Uint8Array,
  ): Promise<SubmitResult> {
    if (this.store.hasMessage(id)) return { id, stored: false };
    if (msg.networkId !== this.opts.networkId) {
      this.metrics?.rejected.inc({ reason: "network" });
      throw invalid(
        `invalid message: networkId ${msg.networkId} does not match this node's ${this.opts.networkId}`,
      );
    }
    const score = source === "requested" ? Number.POSITIVE_INFINITY : await this.scorer.score(bytes);
    if (score < this.opts.minPoWScore) {
      this.metrics?.rejected.inc({ reason: "pow" });
      throw invalid(
        `invalid message: PoW score ${score.toFixed(2)} is below the minimum ${this.opts.minPoWScore}`,
      );
    }
    const payload = msg.payload;
    if (payload?.type === PAYLOAD_MILESTONE) this.checkMilestone(payload);
    if (source === "api") {
      if (!(await this.solidParents(id, msg.parents))) {
        this.metrics?.rejected.inc({ reason: "unsolid" });
        throw invalid("invalid message: parents are unknown or not solid");
      }
      if (payload?.type !== PAYLOAD_MILESTONE && this.belowMaxDepth(msg.parents)) {
        this.metrics?.rejected.inc({ reason: "below_max_depth" });
        throw invalid("invalid message: parents are below max depth");
      }
    }
    const index = indexationIndexOf(payload);
    const milestone =
      payload?.type === PAYLOAD_MILESTONE
        ? { index: payload.index, timestamp: Number(payload.timestamp) }
        : undefined;
    // Store.write: a full disk is a 503 (STORE_FULL) and nothing of this message is stored.
    const result = await this.store.write(() => this.insert(id, bytes, msg.parents, index, milestone));
    if (!result) return { id, stored: false };
    this.metrics?.stored.inc();
    this.storedTotal += 1;
    this.events.emit("messageStored", id, bytes);
    if (result.missing.length > 0) this.events.emit("missingParents", id, result.missing);
    if (payload?.type === PAYLOAD_MILESTONE) this.onMilestone(id, payload);
    for (const solidId of result.solid) this.onSolid(solidId);
    await this.confirming;
    return { id, stored: true };
  }

  /**
   * Runs inside one write transaction (reads see its writes): stores the message with its children,
   * index and milestone entries, judges its solidity from its parents and, if solid, walks its
   * future cone to solidify children that were waiting for it. Null when already stored.
   */
  private insert(
    id: Uint8Array,
    bytes: Uint8Array,
    parents: Uint8Array[],
    index: Uint8Array | null,
    milestone: { index: number; timestamp: number } | undefined,
  ): { solid: Uint8Array[]; missing: Uint8Array[] } | null {
    const { store } = this;
    if (store.messages.doesExist(id)) return null;
    // checkMilestone ran before this transaction: two copies of one milestone index (same payload,
    // another nonce) validated at once must not both be stored, the second would replace the first.
    if (milestone && store.milestones.doesExist(milestone.index)) {
      this.metrics?.rejected.inc({ reason: "milestone" });
      throw invalid(`invalid milestone: index ${milestone.index} is already known`);
    }
    const roots = this.coneRoots(parents);
    const missing = parents.filter((p) => !store.messages.doesExist(p) && !this.isEntryPoint(p));
    store.messages.put(id, bytes);
    // Keyed by the newest milestone known, not the confirmed one: the pruner drops a never-referenced
    // message once its key is pruned, and a node catching up (confirmed far below latest) stores the
    // cones of milestones it has not confirmed yet, which must survive until they are.
    store.arrivals.put(arrivalKey(Math.max(this.cmi, this.lmi, milestone?.index ?? 0), id), true);
    store.metadata.put(id, roots ? { s: true, y: roots.y, o: roots.o } : { s: false, y: 0, o: 0 });
    for (const p of parents) {
      store.children.put(p, id);
      store.tips.remove(p);
    }
    store.tips.put(id, Date.now());
    if (index) store.indexation.put(index, id);
    // A stored milestone message is always a known milestone, so a coordinator restarted after a
    // crash finds it and never signs that index twice.
    if (milestone) store.milestones.put(milestone.index, { messageId: id, timestamp: milestone.timestamp });
    if (!roots) return { solid: [], missing };
    const solid = [id];
    for (let i = 0; i < solid.length; i++) {
      for (const child of store.children.getValues(solid[i]!)) {
        const meta = store.getMeta(child);
        if (!meta || meta.s) continue;
        const childRoots = this.coneRoots(parentsOf(store.getMessage(child)!));
        if (!childRoots) continue;
        store.metadata.put(child, { ...meta, s: true, y: childRoots.y, o: childRoots.o });
        solid.push(child);
      }
    }
    return { solid, missing };
  }

  /**
   * The parents' cone roots once all of them are solid: at once, or after waiting up to PARENT_WAIT_MS
   * for the missing ones (asked from peers) when peers are connected. Null if they stay unsolid.
   */
  private async solidParents(
    id: Uint8Array,
    parents: Uint8Array[],
  ): Promise<{ y: number; o: number } | null> {
    const now = this.coneRoots(parents);
    if (now || this.connectedPeers === 0 || this.parentWaiters.size >= MAX_PARENT_WAITERS) return now;
    const missing = parents.filter((p) => !this.store.hasMessage(p) && !this.isEntryPoint(p));
    if (missing.length > 0) this.events.emit("missingParents", id, missing);
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.parentWaiters.delete(check);
        resolve(this.coneRoots(parents));
      };
      const check = () => {
        if (this.closed || this.coneRoots(parents)) finish();
      };
      const timer = setTimeout(finish, PARENT_WAIT_MS);
      this.parentWaiters.add(check);
    });
  }

  private onSolid(id: Uint8Array): void {
    for (const check of [...this.parentWaiters]) check();
    const bytes = this.store.getMessage(id);
    if (!bytes) return;
    this.tips.add(id, parentsOf(bytes));
    this.events.emit("messageSolid", id);
    // A solid milestone has its whole past cone stored: it can be confirmed now.
    if (milestoneIndexOf(bytes) !== null) void this.scheduleConfirmation();
  }

  /**
   * True when a message with these (solid) parents would attach below max depth: its oldest cone root
   * is more than `belowMaxDepth` milestones behind the confirmed one. Judged on the parents' cone
   * roots as they are now (as tip selection judges laziness), not as they were when each arrived.
   */
  belowMaxDepth(parents: Uint8Array[]): boolean {
    if (this.cmi === 0) return false;
    let o = Number.MAX_SAFE_INTEGER;
    for (const p of parents) {
      if (toHex(p) === NULL_HEX) {
        o = 0;
        continue;
      }
      const meta = this.store.getMeta(p);
      const bytes = meta && this.store.getMessage(p);
      if (!meta || !bytes) {
        const sep = this.store.solidEntryPointIndex(p);
        if (sep === undefined) return true;
        o = Math.min(o, sep);
        continue;
      }
      o = Math.min(o, this.currentRoots(bytes, meta).o);
    }
    return this.cmi - o > this.opts.belowMaxDepth;
  }

  /** Up to 4 random non-lazy tips, sorted; empty when the node has none. */
  selectTips(): Uint8Array[] {
    // Laziness depends on the confirmed milestone index only, so each tip is judged once per milestone.
    return this.tips.select(4, (id) => !this.isLazy(id), Date.now(), this.cmi);
  }

  /** Every non-lazy tip, sorted. */
  allTips(): Uint8Array[] {
    return this.tips.all((id) => !this.isLazy(id), Date.now(), this.cmi);
  }

  /** The Hornet JSON metadata of a stored message, or undefined when unknown. */
  metadataJson(id: Uint8Array, bytes: Uint8Array): Record<string, unknown> | undefined {
    const meta = this.store.getMeta(id);
    if (!meta) return undefined;
    const out: Record<string, unknown> = {
      messageId: toHex(id),
      parentMessageIds: parentsOf(bytes).map(toHex),
      isSolid: meta.s,
    };
    if (meta.r !== undefined) {
      out.referencedByMilestoneIndex = meta.r;
      if (meta.m !== undefined) out.milestoneIndex = meta.m;
      out.ledgerInclusionState = INCLUSION_STATES[meta.l ?? 0];
      if (meta.l === 2) out.conflictReason = meta.c ?? 0;
    } else if (meta.s) {
      const { y, o } = this.currentRoots(bytes, meta);
      const reattach = this.cmi - o > this.opts.belowMaxDepth;
      out.shouldPromote =
        !reattach && (this.cmi - y > this.opts.maxDeltaYoungest || this.cmi - o > this.opts.maxDeltaOldest);
      out.shouldReattach = reattach;
    }
    return out;
  }

  /** Waits until queued milestone confirmations have been applied. */
  idle(): Promise<void> {
    return this.confirming;
  }

  /** Runs `fn` between two confirmations: the ledger and confirmed index hold still while it runs. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.confirming.then(fn);
    this.confirming = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Throws (ProtocolError) unless the milestone carries the coordinator's signatures for its index
   * (protocol.publicKeyRanges, milestonePublicKeyCount); also for milestones in snapshot files.
   */
  verifyMilestoneSignatures(ms: MilestonePayload): void {
    const applicable = this.opts.keyRanges
      .filter((r) => r.start <= ms.index && (r.end === 0 || ms.index <= r.end))
      .map((r) => r.key);
    verifyMilestone(ms, { applicableKeys: applicable, threshold: this.opts.milestonePublicKeyCount });
  }

  private checkMilestone(ms: MilestonePayload): void {
    try {
      this.verifyMilestoneSignatures(ms);
    } catch (err) {
      this.metrics?.rejected.inc({ reason: "milestone" });
      if (err instanceof ProtocolError) throw invalid(`invalid milestone: ${err.message}`, err);
      throw err;
    }
    if (ms.index <= this.cmi || this.store.getMilestone(ms.index)) {
      this.metrics?.rejected.inc({ reason: "milestone" });
      throw invalid(`invalid milestone: index ${ms.index} is already known`);
    }
  }

  private onMilestone(id: Uint8Array, ms: MilestonePayload): void {
    const timestamp = Number(ms.timestamp);
    if (ms.index > this.lmi) {
      this.lmi = ms.index;
      this.latestMilestoneTimestamp = timestamp;
      this.events.emit("latestMilestoneChanged", { index: ms.index, timestamp, messageId: id });
    }
    this.updateGauges();
  }

  /** Confirmations run one at a time, in index order, each in one write transaction. */
  private scheduleConfirmation(): Promise<void> {
    this.confirming = this.confirming.then(async () => {
      try {
        for (;;) {
          const next = this.store.getMilestone(this.cmi + 1);
          if (!next || !(await this.confirm(this.cmi + 1, next.messageId, next.timestamp))) break;
        }
      } catch (err) {
        // A failed write (disk full) applied nothing: the milestone stays next, tried again shortly.
        if (!(err instanceof StingerError && err.code.startsWith("STORE_"))) throw err;
        if (!this.closed && !this.confirmRetry) {
          this.confirmRetry = setTimeout(() => {
            this.confirmRetry = undefined;
            void this.scheduleConfirmation();
          }, CONFIRM_RETRY_MS);
          this.confirmRetry.unref();
        }
      }
    });
    return this.confirming;
  }

  /**
   * White flag over `parents` against the ledger as confirmed now: what confirming milestone `index`
   * with these parents would reference and change. The coordinator asks before it signs; confirm()
   * asks again for the milestone it received. Null while the cone is not solid.
   */
  whiteFlag(parents: Uint8Array[], index: number): Promise<WhiteFlagResult | null> {
    return whiteFlag(parents, this.coneAccess, this.ledger, index);
  }

  /** The stored tangle as white flag walks it: messages, and where an earlier milestone's cone ends. */
  private readonly coneAccess: ConeAccess = {
    bytes: (id) => this.store.getMessage(id),
    isReferenced: (id) => this.isEntryPoint(id) || this.store.getMeta(id)?.r !== undefined,
  };

  private stopConfirming(index: number, reason: string, details: Record<string, unknown>): void {
    if (this.halt) return;
    this.halt = { index, reason };
    // Loud on purpose: this node disagrees with the network and will not apply anything further.
    this.log.fatal(
      { index, reason, ...details },
      "milestone rejected; confirmation halted and node unhealthy",
    );
    this.metrics?.confirmationHalted.set(1);
  }

  private async confirm(index: number, msId: Uint8Array, timestamp: number): Promise<boolean> {
    if (this.halt) return false;
    const bytes = this.store.getMessage(msId);
    if (!bytes) return false;
    const ms = deserializeMessage(bytes, { validate: false }).payload as MilestonePayload;
    const result = await this.whiteFlag(ms.parents, index);
    if (!result) {
      // Asked for again at each try: the first requests may have been answered while the disk was full
      // (not stored) or lost with a restart, and nothing else would ask for these messages again.
      const missing = missingInCone(ms.parents, this.coneAccess);
      this.log.warn({ index, missing: missing.length }, "milestone cone not solid yet");
      if (missing.length > 0) this.events.emit("missingParents", msId, missing);
      return false;
    }
    const root = merkleRoot(result.includedTransactions);
    if (toHex(root) !== toHex(ms.inclusionMerkleProof)) {
      // The coordinator saw another ledger outcome than this node: never apply it.
      this.stopConfirming(index, "inclusion Merkle proof mismatch", {
        expected: toHex(ms.inclusionMerkleProof),
        computed: toHex(root),
      });
      return false;
    }
    const mutations: LedgerMutations = result.mutations;
    if (ms.receipt) {
      try {
        const r = receiptMutations(ms.receipt, {
          milestoneId: milestoneId(ms),
          messageId: msId,
          index,
          treasury: this.ledger.treasury(),
        });
        mutations.created.push(...r.created);
        mutations.receipt = r.receipt;
      } catch (err) {
        if (!(err instanceof InvalidReceipt)) throw err;
        this.stopConfirming(index, `invalid receipt: ${err.message}`, {});
        return false;
      }
    }
    // All of it or nothing (one transaction); the in-memory state below changes only once committed.
    await this.store.write(() => {
      for (const e of result.entries) {
        const meta = this.store.getMeta(e.id);
        if (!meta) continue;
        const updated: MessageMeta = { ...meta, r: index, l: e.inclusion, y: index, o: index };
        if (e.inclusion === 2) updated.c = e.conflictReason;
        this.store.metadata.put(e.id, updated);
        this.store.tips.remove(e.id);
      }
      const msMeta = this.store.getMeta(msId);
      if (msMeta) this.store.metadata.put(msId, { ...msMeta, r: index, m: index, l: 0, y: index, o: index });
      this.store.tips.remove(msId);
      this.ledger.applyInTransaction(index, mutations);
      this.store.state.put("node", { latestMilestoneIndex: this.lmi, confirmedMilestoneIndex: index });
    });
    this.cmi = index;
    this.metrics?.referenced.inc(result.entries.length + 1);
    if (this.metrics) {
      const conflicting = result.entries.filter((e) => e.inclusion === 2).length;
      if (result.includedTransactions.length > 0)
        this.metrics.transactions.inc({ outcome: "included" }, result.includedTransactions.length);
      if (conflicting > 0) this.metrics.transactions.inc({ outcome: "conflicting" }, conflicting);
    }
    this.referencedTotal += result.entries.length + 1;
    this.updateGauges();
    this.events.emit("milestoneConfirmed", {
      index,
      timestamp,
      messageId: msId,
      referenced: [...result.entries.map((e) => e.id), msId],
      entries: result.entries,
      mutations,
    });
    this.log.debug(
      {
        index,
        referenced: result.entries.length + 1,
        included: result.includedTransactions.length,
        created: mutations.created.length,
        consumed: mutations.spent.length,
      },
      "milestone confirmed",
    );
    return true;
  }

  private updateGauges(): void {
    this.metrics?.latestMilestoneIndex.set(this.lmi);
    this.metrics?.confirmedMilestoneIndex.set(this.cmi);
  }

  /** Youngest/oldest cone root indexes from the parents, or null when a parent is not solid. */
  private coneRoots(parents: Uint8Array[]): { y: number; o: number } | null {
    let y = 0;
    let o = Number.MAX_SAFE_INTEGER;
    for (const p of parents) {
      let py = 0;
      let po = 0;
      if (toHex(p) !== NULL_HEX) {
        const meta = this.store.getMeta(p);
        if (meta?.s) {
          py = meta.r ?? meta.y;
          po = meta.r ?? meta.o;
        } else {
          // A pruned parent that is a solid entry point is as good as referenced at its index.
          const sep = meta ? undefined : this.store.solidEntryPointIndex(p);
          if (sep === undefined) return null;
          py = po = sep;
        }
      }
      if (py > y) y = py;
      if (po < o) o = po;
    }
    return { y, o: o === Number.MAX_SAFE_INTEGER ? 0 : o };
  }

  /** The null message or a solid entry point: the past cone of a message stops there. */
  isEntryPoint(id: Uint8Array): boolean {
    return toHex(id) === NULL_HEX || this.store.solidEntryPointIndex(id) !== undefined;
  }

  /** Cone roots refreshed one level: a parent referenced since this message arrived counts now. */
  private currentRoots(bytes: Uint8Array, meta: MessageMeta): { y: number; o: number } {
    if (meta.r !== undefined) return { y: meta.r, o: meta.r };
    return this.coneRoots(parentsOf(bytes)) ?? { y: meta.y, o: meta.o };
  }

  private isLazy(id: Uint8Array): boolean {
    const meta = this.store.getMeta(id);
    const bytes = meta && this.store.getMessage(id);
    if (!meta || !bytes) return true;
    const { y, o } = this.currentRoots(bytes, meta);
    return this.cmi - y > this.opts.maxDeltaYoungest || this.cmi - o > this.opts.maxDeltaOldest;
  }
}
