// Value transfers against a live cluster, and a model of what the ledger must then hold.
//
// LedgerModel: the outputs the test's wallets own, as the test expects them to be confirmed. It learns what
// happened only from the nodes' own milestone UTXO diffs (MilestoneTracker), so any output it did not
// expect, or any spend of one it did not send, is a problem it records.
// TransferStream: workers that keep submitting signed transfers to given nodes, each spending outputs that
// are confirmed and not yet being spent, so a correct node never makes one of them conflict.
// Messages are mined here (the bit-sliced JS miner, a few ms at the cluster's score 1), so a message's ID is
// known before it is posted: a submit whose answer a kill cut off can still be looked for afterwards.
import { mineNonceBitsliced } from "../../src/protocol/curl/bitsliced.ts";
import { powDigest, targetTrailingZeros } from "../../src/protocol/curl/pow.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { messageId, networkIdFromName, serializeMessage, transactionId } from "../../src/protocol/message.ts";
import { DUST_THRESHOLD } from "../../src/protocol/params.ts";
import type { IndexationPayload, TransactionPayload } from "../../src/protocol/types.ts";
import { CLUSTER_NETWORK, type Cluster, type ClusterNode } from "./cluster.ts";
import { isRunning } from "./owned.ts";
import { outputsOf, type Pay, transaction, type Wallet } from "./transactions.ts";

const NETWORK_ID = networkIdFromName(CLUSTER_NETWORK);
/** No request of these tests may hang the file: every fetch has this deadline. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface Answer<T> {
  status: number;
  body: T;
}

/** GET a JSON document (with the node's API token when given). */
export async function getJson<T>(url: string, token?: string): Promise<Answer<T>> {
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/** GET that must answer 200; its `data`. */
export async function data<T>(url: string, token?: string): Promise<T> {
  const r = await getJson<{ data: T }>(url, token);
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
}

export interface NodeInfo {
  latestMilestoneIndex: number;
  confirmedMilestoneIndex: number;
  pruningIndex: number;
  isHealthy: boolean;
}

export const info = (node: ClusterNode) => data<NodeInfo>(`${node.url}/api/v1/info`);

export interface LedgerVerify {
  ledgerIndex: number;
  stateHash: string;
  recomputedStateHash: string;
  unspentOutputs: number;
  addresses: number;
  unspentSum: number;
  treasury: number;
  supply: number;
  problems: string[];
  ok: boolean;
}

export const verifyLedger = (node: ClusterNode) =>
  data<LedgerVerify>(`${node.url}/api/plugins/stinger/ledger/verify`, node.token);

/** The ledger state hash after milestone `index` on `node`, or undefined when it has no state for it. */
export async function stateHashAt(node: ClusterNode, index: number): Promise<string | undefined> {
  const r = await getJson<{ data: { ledgerIndex: number; stateHash: string } }>(
    `${node.url}/api/plugins/stinger/ledger/${index}`,
    node.token,
  );
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`ledger/${index}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.stateHash;
}

export interface MessageMetadata {
  messageId: string;
  isSolid: boolean;
  referencedByMilestoneIndex?: number;
  ledgerInclusionState?: "included" | "conflicting" | "noTransaction";
  conflictReason?: number;
}

/** A message's metadata, or undefined while the node does not have it or is not synced enough to say. */
export async function metadata(node: ClusterNode, id: string): Promise<MessageMetadata | undefined> {
  const r = await getJson<{ data: MessageMetadata }>(`${node.url}/api/v1/messages/${id}/metadata`);
  return r.status === 200 ? r.body.data : undefined;
}

/**
 * Which of `ids` are still not on which of `nodes` once `timeoutMs` has passed (asked again every
 * second until all are there): acknowledged messages reach every node by gossip, or by a later
 * message's solidification. `firstMissing` counts the copies missing at the first ask.
 */
export async function missingMessages(
  ids: string[],
  nodes: ClusterNode[],
  timeoutMs: number,
): Promise<{ missing: { id: string; node: number }[]; firstMissing: number; ms: number }> {
  const started = Date.now();
  let missing = ids.flatMap((id) => nodes.map((_, node) => ({ id, node })));
  let firstMissing: number | undefined;
  for (;;) {
    const found = await Promise.all(
      missing.map(({ id, node }) =>
        getJson(`${nodes[node]!.url}/api/v1/messages/${id}`).then(
          (r) => r.status === 200,
          () => false,
        ),
      ),
    );
    missing = missing.filter((_, k) => !found[k]);
    firstMissing ??= missing.length;
    if (missing.length === 0 || Date.now() - started > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { missing, firstMissing, ms: Date.now() - started };
}

export interface UtxoChanges {
  index: number;
  createdOutputs: string[];
  consumedOutputs: string[];
}

export function isUp(node: ClusterNode): boolean {
  return node.running !== undefined && isRunning(node.running.proc);
}

/** The last lines of a node's stderr (its warnings and errors), for assertion messages. */
export function logTail(node: ClusterNode, lines = 15): string {
  return (node.running?.stderr() ?? "").trim().split("\n").slice(-lines).join("\n");
}

export interface Mined {
  id: string;
  bytes: Uint8Array;
}

/**
 * A message carrying `payload` on `parents` (hex message IDs), with its PoW done here (score
 * `minPoWScore`). The nonce search starts at 1: a message with nonce 0 would be taken for one asking for
 * remote PoW.
 */
export function mineMessage(
  parents: string[],
  payload: TransactionPayload | IndexationPayload,
  minPoWScore = 1,
): Mined {
  const bytes = serializeMessage({
    networkId: NETWORK_ID,
    parents: parents.map((t) => fromHex(t, 32)),
    payload,
    nonce: 0n,
  });
  const target = targetTrailingZeros(bytes.length, minPoWScore);
  const nonce = mineNonceBitsliced(powDigest(bytes), target, 1n, 2 ** 40);
  if (nonce === null) throw new Error("no nonce found");
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setBigUint64(bytes.length - 8, nonce, true);
  return { id: toHex(messageId(bytes)), bytes };
}

/** A message carrying `payload` on the node's current tips (mineMessage). */
export async function mineOnTips(
  node: ClusterNode,
  payload: TransactionPayload,
  minPoWScore = 1,
): Promise<Mined> {
  const tips = await data<{ tipMessageIds: string[] }>(`${node.url}/api/v1/tips`);
  return mineMessage(tips.tipMessageIds, payload, minPoWScore);
}

/** POST raw message bytes: the HTTP status, or "cut" when no answer came (connection refused or reset). */
export async function postMessage(
  node: ClusterNode,
  bytes: Uint8Array,
): Promise<{ status: number | "cut"; body: string }> {
  try {
    const res = await fetch(`${node.url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, body: await res.text() };
  } catch (err) {
    return { status: "cut", body: String(err) };
  }
}

/** An output one of the test's wallets owns. */
export interface Coin {
  /** output ID, hex (68) */
  id: string;
  owner: Wallet;
  amount: bigint;
  /** the message whose transaction created it (set when the transfer is sent; genesis: null ID) */
  messageId?: string;
}

/** An output the ledger has spent, with what spent it. */
export interface SpentCoin {
  coin: Coin;
  transactionId: string;
  milestone: number;
}

/** A transfer the test sent (or tried to), until the ledger says what became of it. */
export interface SentTransfer {
  messageId: string;
  transactionId: string;
  inputs: Coin[];
  outputs: Coin[];
  /** index of the node it was posted to */
  node: number;
  /** "posted": posted, answered 201 or not answered yet; "cut": no answer came (stored or not: ask the node) */
  state: "posted" | "cut";
}

const GENESIS_OUTPUT_ID = toHex(new Uint8Array(34));

/** What the test expects the ledger to hold: its wallets' confirmed unspent outputs. */
export class LedgerModel {
  /** confirmed unspent outputs, by output ID */
  readonly unspent = new Map<string, Coin>();
  /** unspent outputs that a sent, not yet confirmed transfer spends */
  private readonly reserved = new Set<string>();
  /** sent transfers not confirmed yet, by message ID */
  readonly sent = new Map<string, SentTransfer>();
  /** created output ID -> the sent transfer that creates it */
  private readonly byOutput = new Map<string, SentTransfer>();
  /** confirmed transfers, by message ID, with the milestone that included them */
  readonly included = new Map<string, { transfer: SentTransfer; milestone: number }>();
  /** spent outputs, by output ID */
  readonly spent = new Map<string, SpentCoin>();
  /** anything the nodes' diffs showed that the model did not expect */
  readonly problems: string[] = [];
  /** highest milestone whose diff was applied */
  appliedIndex = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly wallets: Wallet[],
    mint: Wallet,
    supply: bigint,
  ) {
    this.unspent.set(GENESIS_OUTPUT_ID, {
      id: GENESIS_OUTPUT_ID,
      owner: mint,
      amount: supply,
      messageId: "00".repeat(32),
    });
  }

  /** Resolves at the next change (a confirmation, a release): for loops that wait for coins. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  balanceOf(w: Wallet): bigint {
    let sum = 0n;
    for (const c of this.unspent.values()) if (c.owner === w) sum += c.amount;
    return sum;
  }

  coinsOf(w: Wallet): string[] {
    return [...this.unspent.values()].filter((c) => c.owner === w).map((c) => c.id);
  }

  /** Up to `n` random confirmed outputs that nothing spends yet, reserved for the caller (see release). */
  take(n: number): Coin[] {
    const free = [...this.unspent.values()].filter((c) => !this.reserved.has(c.id));
    const picked: Coin[] = [];
    while (picked.length < n && free.length > 0)
      picked.push(free.splice(Math.floor(Math.random() * free.length), 1)[0]!);
    for (const c of picked) this.reserved.add(c.id);
    return picked;
  }

  /** Gives back taken outputs that no sent transfer spends. */
  release(coins: Coin[]): void {
    const spentBySent = new Set([...this.sent.values()].flatMap((o) => o.inputs.map((c) => c.id)));
    for (const c of coins) if (!spentBySent.has(c.id)) this.reserved.delete(c.id);
    this.notify();
  }

  /** Wakes everything waiting in changed() (a stream stopping). */
  wake(): void {
    this.notify();
  }

  /** A signed transfer of `inputs` to `pays`, with its outputs as coins of their owners. */
  build(
    inputs: Coin[],
    pays: { to: Wallet; amount: bigint }[],
  ): { tx: TransactionPayload; transactionId: string; outputs: Coin[] } {
    const tx = transaction(
      inputs.map((c) => ({ outputId: fromHex(c.id, 34), owner: c.owner })),
      pays.map((p): Pay => ({ address: p.to.address, amount: p.amount })),
    );
    // The builder sorts outputs by their bytes: map each back to its owner by address and amount.
    const ids = outputsOf(tx).map(toHex);
    const outputs = tx.essence.outputs.map((o, i) => {
      const pay = pays.find(
        (p) => toHex(p.to.address) === toHex(o.address.address) && p.amount === o.amount,
      )!;
      return { id: ids[i]!, owner: pay.to, amount: o.amount };
    });
    return { tx, transactionId: toHex(transactionId(tx)), outputs };
  }

  /**
   * What a transfer of `inputs` pays: a third of their sum to a random other wallet and the rest back
   * to the first input's owner, or all of it to the other wallet when `split` is false or a part would
   * be below the dust threshold.
   */
  payments(inputs: Coin[], split: boolean): { to: Wallet; amount: bigint }[] {
    const total = inputs.reduce((n, c) => n + c.amount, 0n);
    const owner = inputs[0]!.owner;
    const others = this.wallets.filter((w) => w !== owner);
    const to = others[Math.floor(Math.random() * others.length)]!;
    const part = total / 3n;
    return split && part >= DUST_THRESHOLD && total - part >= DUST_THRESHOLD
      ? [
          { to, amount: part },
          { to: owner, amount: total - part },
        ]
      : [{ to, amount: total }];
  }

  /**
   * Records a transfer about to be posted. Its inputs must have been taken; two transfers may spend the
   * same taken input (a deliberate double spend): the ledger then tells which one counts.
   */
  send(t: Omit<SentTransfer, "state">): SentTransfer {
    for (const c of t.inputs) {
      if (!this.unspent.has(c.id)) throw new Error(`input ${c.id} is not a confirmed unspent output`);
      if (!this.reserved.has(c.id)) throw new Error(`input ${c.id} was not taken`);
    }
    const s: SentTransfer = { ...t, state: "posted" };
    for (const o of t.outputs) o.messageId = t.messageId;
    this.sent.set(t.messageId, s);
    for (const o of t.outputs) this.byOutput.set(o.id, s);
    return s;
  }

  /** A sent transfer the node refused, or that never reached the ledger: its inputs are free again. */
  forget(messageId: string): void {
    const s = this.sent.get(messageId);
    if (!s) return;
    this.sent.delete(messageId);
    for (const o of s.outputs) this.byOutput.delete(o.id);
    this.release(s.inputs);
  }

  /** One milestone's UTXO diff, as a node reports it: books the transfers it included. */
  apply(diff: UtxoChanges): void {
    if (diff.index !== this.appliedIndex + 1) {
      this.problems.push(`diff of milestone ${diff.index} applied after ${this.appliedIndex}`);
    }
    this.appliedIndex = diff.index;
    const confirmed = new Set<SentTransfer>();
    for (const id of diff.createdOutputs) {
      const s = this.byOutput.get(id);
      if (!s) {
        this.problems.push(
          `milestone ${diff.index} created output ${id}, which no transfer of the test creates`,
        );
        continue;
      }
      confirmed.add(s);
    }
    const consumed = new Set(diff.consumedOutputs);
    for (const s of confirmed) {
      for (const o of s.outputs)
        if (!diff.createdOutputs.includes(o.id))
          this.problems.push(`milestone ${diff.index} created only part of the outputs of ${s.messageId}`);
      for (const c of s.inputs) {
        if (!consumed.delete(c.id))
          this.problems.push(`milestone ${diff.index} included ${s.messageId} without consuming ${c.id}`);
        this.unspent.delete(c.id);
        this.spent.set(c.id, { coin: c, transactionId: s.transactionId, milestone: diff.index });
      }
      for (const o of s.outputs) {
        this.unspent.set(o.id, o);
        this.byOutput.delete(o.id);
      }
      this.sent.delete(s.messageId);
      this.included.set(s.messageId, { transfer: s, milestone: diff.index });
      for (const c of s.inputs) this.reserved.delete(c.id);
    }
    for (const id of consumed)
      this.problems.push(`milestone ${diff.index} consumed ${id}, which no included transfer spends`);
    if (confirmed.size > 0) this.notify();
  }
}

/**
 * Feeds every confirmed milestone's UTXO diff to the model, in order, from whichever node is up (node 0
 * first): diffs are the same on every node, which the tests check separately through the state hashes.
 */
export class MilestoneTracker {
  private stopped = false;
  private readonly loop: Promise<void>;
  /** transfers included per milestone index */
  readonly transfersAt = new Map<number, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly model: LedgerModel,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const node = this.cluster.nodes.find(isUp);
      let advanced = false;
      if (node) {
        try {
          const next = this.model.appliedIndex + 1;
          const r = await getJson<{ data: UtxoChanges }>(
            `${node.url}/api/v1/milestones/${next}/utxo-changes`,
          );
          if (r.status === 200) {
            const before = this.model.included.size;
            this.model.apply(r.body.data);
            this.transfersAt.set(next, this.model.included.size - before);
            advanced = true;
          }
        } catch {
          // the node went down meanwhile: ask another one
        }
      }
      if (!advanced) await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

export interface StreamRecord {
  /** posted and answered 201, per node index */
  acked: Map<number, string[]>;
  /** posted, no answer (the node died): message IDs */
  cut: string[];
  /** posted and refused with a status: "node status body" */
  refused: string[];
  /** tips could not be read (nothing posted): "node error" */
  noTips: string[];
  /** a worker stopped on an unexpected error (a bug in the test's model or helpers) */
  errors: string[];
}

/**
 * Workers that submit value transfers until stopped, one at a time each, to the node given for each
 * worker. A transfer spends one or two confirmed outputs (two: a consolidation, with a reference unlock
 * block when one owner has both) and pays a random other wallet, with change; amounts stay above the
 * dust threshold. At most `maxInFlight` sent transfers wait for confirmation at once.
 */
export class TransferStream {
  readonly record: StreamRecord = { acked: new Map(), cut: [], refused: [], noTips: [], errors: [] };
  private stopped = false;
  private readonly paused = new Set<number>();
  /** per worker: its node and the submit under way */
  private readonly busy = new Map<number, { node: number; done: Promise<void> }>();
  private readonly workers: Promise<void>[];
  private resumed: (() => void)[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly model: LedgerModel,
    targets: number[],
    private readonly opts: { maxInFlight: number },
  ) {
    this.workers = targets.map((node, w) => this.work(w, node));
  }

  ackedBy(node: number): string[] {
    return this.record.acked.get(node) ?? [];
  }

  get ackedTotal(): number {
    let n = 0;
    for (const ids of this.record.acked.values()) n += ids.length;
    return n;
  }

  /** Stops the workers that post to `node`, and waits for the submits they have under way. */
  async pause(node: number): Promise<void> {
    this.paused.add(node);
    await Promise.all([...this.busy.values()].filter((b) => b.node === node).map((b) => b.done));
  }

  resume(node: number): void {
    this.paused.delete(node);
    const r = this.resumed;
    this.resumed = [];
    for (const f of r) f();
  }

  /** Stops every worker (a submit under way is answered or cut first). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resume(-1);
    this.model.wake();
    await Promise.all(this.workers);
  }

  private async work(worker: number, node: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      if (this.paused.has(node)) {
        await new Promise<void>((r) => this.resumed.push(r));
        continue;
      }
      if (this.model.sent.size >= this.opts.maxInFlight) {
        await this.model.changed();
        continue;
      }
      const inputs = this.model.take(i % 5 === 4 ? 2 : 1);
      if (inputs.length === 0) {
        await this.model.changed();
        continue;
      }
      let finished: () => void = () => {};
      const done = new Promise<void>((r) => {
        finished = r;
      });
      this.busy.set(worker, { node, done });
      try {
        await this.transfer(node, inputs);
      } catch (err) {
        this.record.errors.push(`worker ${worker} (node ${node}): ${(err as Error).stack ?? String(err)}`);
        return;
      } finally {
        this.busy.delete(worker);
        finished();
      }
    }
  }

  private async transfer(node: number, inputs: Coin[]): Promise<void> {
    const pays = this.model.payments(inputs, true);
    const { tx, transactionId: txId, outputs } = this.model.build(inputs, pays);
    const target = this.cluster.nodes[node]!;
    let mined: Mined;
    try {
      mined = await mineOnTips(target, tx);
    } catch (err) {
      // Nothing was posted (the node is down or not synced): the coins go back, the worker goes on.
      this.record.noTips.push(`node ${node}: ${String(err)}`);
      this.model.release(inputs);
      if (!isUp(target)) await new Promise((r) => setTimeout(r, 200));
      return;
    }
    this.model.send({ messageId: mined.id, transactionId: txId, inputs, outputs, node });
    const answer = await postMessage(target, mined.bytes);
    if (answer.status === 201) {
      const list = this.record.acked.get(node) ?? [];
      list.push(mined.id);
      this.record.acked.set(node, list);
    } else if (answer.status === "cut") {
      this.model.sent.get(mined.id)!.state = "cut";
      this.record.cut.push(mined.id);
    } else {
      this.record.refused.push(`node ${node}: ${answer.status} ${answer.body}`);
      this.model.forget(mined.id);
    }
  }
}
