import { blake2b256 } from "../../protocol/blake2b.ts";
import { bytesEqual } from "../../protocol/bytes.ts";
import { ed25519VerifyBatch } from "../../protocol/ed25519.ts";
import { toHex } from "../../protocol/hex.ts";
import { deserializeMessage, outputId } from "../../protocol/message.ts";
import {
  DUST_ALLOWANCE_DIVISOR,
  DUST_THRESHOLD,
  MAX_DUST_OUTPUTS_PER_ADDRESS,
} from "../../protocol/params.ts";
import type { Message, TransactionPayload } from "../../protocol/types.ts";
import { PAYLOAD_TRANSACTION } from "../../protocol/types.ts";
import type { LedgerMutations } from "./ledger.ts";
import type { AddressBalance, LedgerOutput, LedgerSpent } from "./records.ts";

/** Conflict reasons (TIP-2 / Hornet), stored in message metadata as `conflictReason`. */
export const CONFLICT = {
  none: 0,
  inputAlreadySpent: 1,
  inputSpentInThisMilestone: 2,
  inputNotFound: 3,
  inputOutputSumMismatch: 4,
  invalidSignature: 5,
  invalidDustAllowance: 6,
  semanticValidationFailed: 255,
} as const;

/** Ledger inclusion state as stored: an index into INCLUSION_STATES. */
export const INCLUSION = { noTransaction: 0, included: 1, conflicting: 2 } as const;

export interface WhiteFlagEntry {
  id: Uint8Array;
  inclusion: number;
  conflictReason: number;
}

export interface WhiteFlagResult {
  /** every newly referenced message, in white-flag (post-order) order */
  entries: WhiteFlagEntry[];
  /** IDs of messages whose transaction was included, in order: the Merkle tree leaves */
  includedTransactions: Uint8Array[];
  /** what the included transactions do to the ledger */
  mutations: LedgerMutations;
}

export interface ConeAccess {
  /** A stored message's bytes, or undefined when it is not (yet) stored. */
  bytes(id: Uint8Array): Uint8Array | undefined;
  /** True for messages referenced by an earlier milestone and for solid entry points. */
  isReferenced(id: Uint8Array): boolean;
}

/** The ledger as confirmed by the previous milestone. */
export interface LedgerReader {
  output(outputId: Uint8Array): LedgerOutput | undefined;
  isSpent(outputId: Uint8Array): boolean;
  balance(address: Uint8Array): AddressBalance;
}

interface ConeMessage {
  id: Uint8Array;
  bytes: Uint8Array;
  msg: Message;
}

/**
 * The past cone of a milestone's parents, depth first with parents in their stored order, each message
 * after its parents (post-order), stopping at already referenced messages. Null when a message of the
 * cone is missing, i.e. the cone is not solid yet.
 */
export function traverseCone(parents: Uint8Array[], cone: ConeAccess): ConeMessage[] | null {
  const visited = new Set<string>();
  const out: ConeMessage[] = [];
  const stack: { id: Uint8Array; node?: ConeMessage }[] = [];
  for (let i = parents.length - 1; i >= 0; i--) stack.push({ id: parents[i]! });
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.node) {
      out.push(top.node);
      continue;
    }
    const key = toHex(top.id);
    if (visited.has(key) || cone.isReferenced(top.id)) continue;
    const bytes = cone.bytes(top.id);
    if (!bytes) return null;
    visited.add(key);
    const msg = deserializeMessage(bytes, { validate: false });
    stack.push({ id: top.id, node: { id: top.id, bytes, msg } });
    for (let i = msg.parents.length - 1; i >= 0; i--) stack.push({ id: msg.parents[i]! });
  }
  return out;
}

/**
 * The transaction payload's bytes and its essence's, sliced from the message: the payload follows the
 * parents and its u32 length; the unlock blocks close it (2-byte count, 98 bytes per signature block,
 * 3 per reference block). Slicing costs nothing, re-serializing would.
 */
function transactionBytes(
  bytes: Uint8Array,
  tx: TransactionPayload,
): { payload: Uint8Array; essence: Uint8Array } {
  const start = 9 + 32 * bytes[8]! + 4;
  const length = new DataView(bytes.buffer, bytes.byteOffset + start - 4, 4).getUint32(0, true);
  const payload = bytes.subarray(start, start + length);
  const unlockLength = 2 + tx.unlockBlocks.reduce((n, u) => n + (u.type === 0 ? 98 : 3), 0);
  return { payload, essence: payload.subarray(4, length - unlockLength) };
}

interface TransactionInCone {
  node: ConeMessage;
  tx: TransactionPayload;
  transactionId: Uint8Array;
  essenceHash: Uint8Array;
  /** signature validity per unlock block index (reference blocks: undefined) */
  signatureOk: (boolean | undefined)[];
}

/**
 * Checks every signature unlock block of the cone's transactions at once, on libuv's thread pool:
 * a signature's validity does not depend on the ledger, so it need not wait for the white-flag order,
 * and the event loop stays free for the API while a milestone full of transfers is confirmed.
 */
async function prepareTransactions(nodes: ConeMessage[]): Promise<Map<ConeMessage, TransactionInCone>> {
  const txs: TransactionInCone[] = [];
  const checks: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }[] = [];
  const slots: { tx: TransactionInCone; block: number }[] = [];
  for (const node of nodes) {
    if (node.msg.payload?.type !== PAYLOAD_TRANSACTION) continue;
    const tx = node.msg.payload;
    const { payload, essence } = transactionBytes(node.bytes, tx);
    const entry: TransactionInCone = {
      node,
      tx,
      transactionId: blake2b256(payload),
      essenceHash: blake2b256(essence),
      signatureOk: [],
    };
    txs.push(entry);
    tx.unlockBlocks.forEach((u, block) => {
      if (u.type !== 0) return;
      checks.push({
        publicKey: u.signature.publicKey,
        message: entry.essenceHash,
        signature: u.signature.signature,
      });
      slots.push({ tx: entry, block });
    });
  }
  const results = await ed25519VerifyBatch(checks);
  slots.forEach((s, i) => {
    s.tx.signatureOk[s.block] = results[i];
  });
  return new Map(txs.map((t) => [t.node, t]));
}

/** The milestone's ledger changes so far, layered over the ledger of the previous milestone. */
class MilestoneOverlay {
  readonly created = new Map<string, LedgerOutput>();
  readonly spent = new Map<string, { output: LedgerOutput; spent: LedgerSpent }>();
  private readonly dust = new Map<string, { allowance: bigint; count: number }>();

  constructor(private readonly ledger: LedgerReader) {}

  /** Dust allowance sum and dust output count on an address, with this milestone's changes applied. */
  dustOf(address: Uint8Array): { allowance: bigint; count: number } {
    const b = this.ledger.balance(address);
    const d = this.dust.get(toHex(address));
    return { allowance: b.dustAllowance + (d?.allowance ?? 0n), count: b.dustOutputs + (d?.count ?? 0) };
  }

  book(created: LedgerOutput[], spent: { output: LedgerOutput; spent: LedgerSpent }[]): void {
    for (const o of created) {
      this.created.set(toHex(o.outputId), o);
      this.adjustDust(o, 1);
    }
    for (const s of spent) {
      this.spent.set(toHex(s.output.outputId), s);
      this.adjustDust(s.output, -1);
    }
  }

  private adjustDust(o: LedgerOutput, sign: 1 | -1): void {
    const isAllowance = o.outputType === 1;
    const isDust = o.outputType === 0 && o.amount < DUST_THRESHOLD;
    if (!isAllowance && !isDust) return;
    const key = toHex(o.address);
    const d = this.dust.get(key) ?? { allowance: 0n, count: 0 };
    if (isAllowance) d.allowance += BigInt(sign) * o.amount;
    if (isDust) d.count += sign;
    this.dust.set(key, d);
  }
}

/** TIP-15: after the transaction, no touched address may hold more dust outputs than its allowance. */
function dustAllowed(tx: TransactionPayload, inputs: LedgerOutput[], overlay: MilestoneOverlay): boolean {
  const touched = new Map<string, { address: Uint8Array; allowance: bigint; count: number }>();
  const touch = (address: Uint8Array) => {
    const key = toHex(address);
    let t = touched.get(key);
    if (!t) touched.set(key, (t = { address, allowance: 0n, count: 0 }));
    return t;
  };
  for (const o of tx.essence.outputs) {
    if (o.type === 1) touch(o.address.address).allowance += o.amount;
    else if (o.amount < DUST_THRESHOLD) touch(o.address.address).count += 1;
  }
  for (const i of inputs) {
    if (i.amount < DUST_THRESHOLD) touch(i.address).count -= 1;
    else if (i.outputType === 1) touch(i.address).allowance -= i.amount;
  }
  for (const t of touched.values()) {
    const now = overlay.dustOf(t.address);
    let allowed = (now.allowance + t.allowance) / DUST_ALLOWANCE_DIVISOR;
    if (allowed > BigInt(MAX_DUST_OUTPUTS_PER_ADDRESS)) allowed = BigInt(MAX_DUST_OUTPUTS_PER_ADDRESS);
    if (BigInt(now.count + t.count) > allowed) return false;
  }
  return true;
}

/**
 * Judges one transaction against the ledger and the milestone's earlier transactions, in Hornet's
 * order: inputs (spent in this milestone, then unknown, then spent before), then the unlock blocks'
 * address mapping, the sums, dust, and the signatures last.
 */
function judge(
  t: TransactionInCone,
  overlay: MilestoneOverlay,
  ledger: LedgerReader,
): { reason: number; inputs: LedgerOutput[] } {
  const inputs: LedgerOutput[] = [];
  for (const input of t.tx.essence.inputs) {
    const id = outputId(input.transactionId, input.transactionOutputIndex);
    const key = toHex(id);
    if (overlay.spent.has(key)) return { reason: CONFLICT.inputSpentInThisMilestone, inputs };
    const fresh = overlay.created.get(key);
    if (fresh) {
      inputs.push(fresh);
      continue;
    }
    const o = ledger.output(id);
    if (!o) return { reason: CONFLICT.inputNotFound, inputs };
    if (ledger.isSpent(id)) return { reason: CONFLICT.inputAlreadySpent, inputs };
    inputs.push(o);
  }
  // Each input's address is unlocked by one signature block; inputs on the same address must share it.
  const blocks = t.tx.unlockBlocks;
  const blockOfAddress = new Map<string, number>();
  const toVerify: { address: Uint8Array; block: number }[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const u = blocks[i]!;
    const block = u.type === 0 ? i : u.reference;
    const key = toHex(inputs[i]!.address);
    const seen = blockOfAddress.get(key);
    if (seen !== undefined) {
      if (seen !== block) return { reason: CONFLICT.semanticValidationFailed, inputs };
      continue;
    }
    blockOfAddress.set(key, block);
    toVerify.push({ address: inputs[i]!.address, block });
  }
  const inSum = inputs.reduce((n, o) => n + o.amount, 0n);
  const outSum = t.tx.essence.outputs.reduce((n, o) => n + o.amount, 0n);
  if (inSum !== outSum) return { reason: CONFLICT.inputOutputSumMismatch, inputs };
  if (!dustAllowed(t.tx, inputs, overlay)) return { reason: CONFLICT.invalidDustAllowance, inputs };
  for (const { address, block } of toVerify) {
    const u = blocks[block];
    if (u?.type !== 0) return { reason: CONFLICT.semanticValidationFailed, inputs };
    if (!bytesEqual(blake2b256(u.signature.publicKey), address) || t.signatureOk[block] !== true)
      return { reason: CONFLICT.invalidSignature, inputs };
  }
  return { reason: CONFLICT.none, inputs };
}

/**
 * White flag (TIP-2) for milestone `index`: the cone in white-flag order, each transaction judged against
 * the ledger of the previous milestone plus the transactions before it in this order (the first of two
 * conflicting ones wins), with the ledger mutations of the included ones. The coordinator runs it to
 * compute the Merkle root it signs; every node runs it again to confirm, and both must agree.
 */
export async function whiteFlag(
  parents: Uint8Array[],
  cone: ConeAccess,
  ledger: LedgerReader,
  index: number,
): Promise<WhiteFlagResult | null> {
  const nodes = traverseCone(parents, cone);
  if (!nodes) return null;
  const txs = await prepareTransactions(nodes);
  const overlay = new MilestoneOverlay(ledger);
  const entries: WhiteFlagEntry[] = [];
  const includedTransactions: Uint8Array[] = [];
  const mutations: LedgerMutations = { created: [], spent: [] };
  for (const node of nodes) {
    const t = txs.get(node);
    if (!t) {
      entries.push({ id: node.id, inclusion: INCLUSION.noTransaction, conflictReason: CONFLICT.none });
      continue;
    }
    const { reason, inputs } = judge(t, overlay, ledger);
    if (reason !== CONFLICT.none) {
      entries.push({ id: node.id, inclusion: INCLUSION.conflicting, conflictReason: reason });
      continue;
    }
    const created = t.tx.essence.outputs.map((o, i) => ({
      outputId: outputId(t.transactionId, i),
      messageId: node.id,
      outputType: o.type,
      address: o.address.address,
      amount: o.amount,
      bookedAt: index,
    }));
    const spent = inputs.map((output) => ({
      output,
      spent: { transactionId: t.transactionId, spentAt: index },
    }));
    overlay.book(created, spent);
    mutations.created.push(...created);
    mutations.spent.push(...spent);
    entries.push({ id: node.id, inclusion: INCLUSION.included, conflictReason: CONFLICT.none });
    includedTransactions.push(node.id);
  }
  return { entries, includedTransactions, mutations };
}
