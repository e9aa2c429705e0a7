// Syntactic rules of TIP-6/7/8/15 (as Hornet 1.x / iota.go@chrysalis apply them) on decoded objects.
// Semantic rules (ledger, signatures, applicable keys) are not here.
import { ByteWriter } from "./binary.ts";
import { bytesEqual, compareBytes } from "./bytes.ts";
import { writeMigratedFundsEntry, writeOutput, writeUtxoInput } from "./codec.ts";
import { ProtocolError, type ProtocolErrorCode } from "./errors.ts";
import { toHex } from "./hex.ts";
import {
  MAX_INDEX_LENGTH,
  MAX_INPUTS,
  MAX_MIGRATED_FUNDS_ENTRIES,
  MAX_MILESTONE_KEYS,
  MAX_OUTPUT_INDEX,
  MAX_OUTPUTS,
  MAX_PARENTS,
  MIN_DUST_ALLOWANCE_DEPOSIT,
  MIN_INDEX_LENGTH,
  MIN_INPUTS,
  MIN_MIGRATED_FUNDS_DEPOSIT,
  MIN_MIGRATED_FUNDS_ENTRIES,
  MIN_MILESTONE_KEYS,
  MIN_OUTPUTS,
  MIN_PARENTS,
  OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE,
  TOTAL_SUPPLY,
  UNLOCK_BLOCK_REFERENCE,
  UNLOCK_BLOCK_SIGNATURE,
} from "./params.ts";
import {
  type IndexationPayload,
  type Message,
  type MilestonePayload,
  PAYLOAD_INDEXATION,
  PAYLOAD_MILESTONE,
  PAYLOAD_RECEIPT,
  PAYLOAD_TRANSACTION,
  PAYLOAD_TREASURY_TRANSACTION,
  type Payload,
  type ReceiptPayload,
  type TransactionPayload,
} from "./types.ts";

function fail(code: ProtocolErrorCode, field: string, message: string): never {
  throw new ProtocolError(code, message, { field });
}

/** 1..8 parents, strictly ascending (sorted and unique). */
export function validateParents(parents: Uint8Array[], field: string): void {
  if (parents.length < MIN_PARENTS || parents.length > MAX_PARENTS) {
    fail(
      "PROTO_PARENTS_COUNT",
      field,
      `a message must have ${MIN_PARENTS} to ${MAX_PARENTS} parents, got ${parents.length}`,
    );
  }
  for (let i = 1; i < parents.length; i++) {
    if (compareBytes(parents[i - 1]!, parents[i]!) >= 0) {
      fail("PROTO_PARENTS_ORDER", field, "parents must be sorted ascending and unique");
    }
  }
}

function serialized<T>(write: (w: ByteWriter, v: T, field: string) => void, v: T, field: string): Uint8Array {
  const w = new ByteWriter(64);
  write(w, v, field);
  return w.finish();
}

function validateIndexation(p: IndexationPayload, field: string): void {
  const n = p.index.length;
  if (n < MIN_INDEX_LENGTH || n > MAX_INDEX_LENGTH) {
    fail(
      "PROTO_INDEX_LENGTH",
      `${field}.index`,
      `indexation index must be ${MIN_INDEX_LENGTH} to ${MAX_INDEX_LENGTH} bytes, got ${n}`,
    );
  }
}

function validateTransaction(tx: TransactionPayload, field: string): void {
  const { inputs, outputs, payload } = tx.essence;
  const ef = `${field}.essence`;

  if (inputs.length < MIN_INPUTS || inputs.length > MAX_INPUTS) {
    fail("PROTO_INPUTS", `${ef}.inputs`, `a transaction must have ${MIN_INPUTS} to ${MAX_INPUTS} inputs`);
  }
  let prev: Uint8Array | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const f = `${ef}.inputs[${i}]`;
    if (inputs[i]!.transactionOutputIndex > MAX_OUTPUT_INDEX) {
      fail(
        "PROTO_INPUTS",
        `${f}.transactionOutputIndex`,
        `input output index must be at most ${MAX_OUTPUT_INDEX}`,
      );
    }
    const bytes = serialized(writeUtxoInput, inputs[i]!, f);
    if (prev !== null) {
      const c = compareBytes(prev, bytes);
      if (c === 0) fail("PROTO_INPUTS", f, "inputs must reference unique outputs");
      if (c > 0) fail("PROTO_INPUTS", f, "inputs must be sorted ascending by their serialized bytes");
    }
    prev = bytes;
  }

  if (outputs.length < MIN_OUTPUTS || outputs.length > MAX_OUTPUTS) {
    fail(
      "PROTO_OUTPUTS",
      `${ef}.outputs`,
      `a transaction must have ${MIN_OUTPUTS} to ${MAX_OUTPUTS} outputs`,
    );
  }
  let sum = 0n;
  const seen = new Set<string>();
  prev = null;
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i]!;
    const f = `${ef}.outputs[${i}]`;
    if (o.amount <= 0n) fail("PROTO_AMOUNT", `${f}.amount`, "output amount must be greater than zero");
    if (o.amount > TOTAL_SUPPLY)
      fail("PROTO_AMOUNT", `${f}.amount`, "output amount exceeds the total supply");
    if (o.type === OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE && o.amount < MIN_DUST_ALLOWANCE_DEPOSIT) {
      fail(
        "PROTO_AMOUNT",
        `${f}.amount`,
        `dust allowance output amount must be at least ${MIN_DUST_ALLOWANCE_DEPOSIT}`,
      );
    }
    sum += o.amount;
    if (sum > TOTAL_SUPPLY)
      fail("PROTO_AMOUNT", `${ef}.outputs`, "sum of output amounts exceeds the total supply");
    const key = `${o.type}:${toHex(o.address.address)}`;
    if (seen.has(key))
      fail("PROTO_OUTPUTS", f, "outputs of the same type must deposit to distinct addresses");
    seen.add(key);
    const bytes = serialized(writeOutput, o, f);
    if (prev !== null && compareBytes(prev, bytes) > 0) {
      fail("PROTO_OUTPUTS", f, "outputs must be sorted ascending by their serialized bytes");
    }
    prev = bytes;
  }

  if (payload !== null) {
    if (payload.type !== PAYLOAD_INDEXATION) {
      fail(
        "PROTO_UNKNOWN_PAYLOAD",
        `${ef}.payload.type`,
        "a transaction essence may only carry an indexation payload",
      );
    }
    validateIndexation(payload, `${ef}.payload`);
  }

  const blocks = tx.unlockBlocks;
  const uf = `${field}.unlockBlocks`;
  if (blocks.length !== inputs.length) {
    fail(
      "PROTO_UNLOCK_BLOCKS",
      uf,
      `unlock block count ${blocks.length} must equal input count ${inputs.length}`,
    );
  }
  const signatures = new Set<string>();
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.type === UNLOCK_BLOCK_SIGNATURE) {
      const key = toHex(b.signature.publicKey) + toHex(b.signature.signature);
      if (signatures.has(key))
        fail("PROTO_UNLOCK_BLOCKS", `${uf}[${i}]`, "signature unlock blocks must be unique");
      signatures.add(key);
    } else if (b.type === UNLOCK_BLOCK_REFERENCE) {
      const ref = b.reference;
      if (!(ref < i && blocks[ref]!.type === UNLOCK_BLOCK_SIGNATURE)) {
        fail(
          "PROTO_UNLOCK_BLOCKS",
          `${uf}[${i}].reference`,
          "a reference unlock block must point to an earlier signature unlock block",
        );
      }
    } else {
      fail("PROTO_UNKNOWN_TYPE", `${uf}[${i}].type`, "unknown unlock block type");
    }
  }
}

function validateReceipt(r: ReceiptPayload, field: string): void {
  const n = r.funds.length;
  if (n < MIN_MIGRATED_FUNDS_ENTRIES || n > MAX_MIGRATED_FUNDS_ENTRIES) {
    fail(
      "PROTO_RECEIPT",
      `${field}.funds`,
      `a receipt must have ${MIN_MIGRATED_FUNDS_ENTRIES} to ${MAX_MIGRATED_FUNDS_ENTRIES} migrated funds entries`,
    );
  }
  let prev: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const e = r.funds[i]!;
    const f = `${field}.funds[${i}]`;
    if (e.deposit < MIN_MIGRATED_FUNDS_DEPOSIT) {
      fail(
        "PROTO_RECEIPT",
        `${f}.deposit`,
        `migrated funds deposit must be at least ${MIN_MIGRATED_FUNDS_DEPOSIT}`,
      );
    }
    const bytes = serialized(writeMigratedFundsEntry, e, f);
    if (prev !== null && compareBytes(prev, bytes) >= 0) {
      fail("PROTO_RECEIPT", f, "migrated funds entries must be sorted ascending and unique");
    }
    prev = bytes;
  }
  if (r.transaction?.type !== PAYLOAD_TREASURY_TRANSACTION) {
    fail("PROTO_RECEIPT", `${field}.transaction`, "receipt must contain a treasury transaction");
  }
}

/**
 * Milestone rules that need no keys: parent list (and, when given, equality with the message's
 * parents), next-PoW-score fields, key order, one signature per key, receipt.
 */
function validateMilestone(ms: MilestonePayload, field: string, messageParents: Uint8Array[] | null): void {
  validateParents(ms.parents, `${field}.parentMessageIds`);
  if (messageParents !== null) {
    const same =
      messageParents.length === ms.parents.length &&
      ms.parents.every((p, i) => bytesEqual(p, messageParents[i]!));
    if (!same)
      fail(
        "PROTO_MILESTONE_PARENTS",
        `${field}.parentMessageIds`,
        "milestone parents must equal the message parents",
      );
  }
  // TIP-8 says a zero score needs a zero index too, but Hornet (iota.go) only checks the non-zero
  // case and published milestones carry score 0 with index 1; we follow Hornet.
  if (ms.nextPoWScore !== 0 && ms.nextPoWScoreMilestoneIndex <= ms.index) {
    fail(
      "PROTO_MILESTONE_POW_SCORE",
      `${field}.nextPoWScoreMilestoneIndex`,
      "next PoW score milestone index must be greater than the milestone index when next PoW score is set",
    );
  }
  const keys = ms.publicKeys;
  if (keys.length < MIN_MILESTONE_KEYS || keys.length > MAX_MILESTONE_KEYS) {
    fail(
      "PROTO_MILESTONE_KEYS",
      `${field}.publicKeys`,
      `a milestone must have ${MIN_MILESTONE_KEYS} to ${MAX_MILESTONE_KEYS} public keys`,
    );
  }
  for (let i = 1; i < keys.length; i++) {
    if (compareBytes(keys[i - 1]!, keys[i]!) >= 0) {
      fail(
        "PROTO_MILESTONE_KEYS",
        `${field}.publicKeys`,
        "milestone public keys must be sorted ascending and unique",
      );
    }
  }
  if (ms.signatures.length !== keys.length) {
    fail(
      "PROTO_MILESTONE_KEYS",
      `${field}.signatures`,
      "a milestone must have exactly one signature per public key",
    );
  }
  if (ms.receipt !== null) {
    if (ms.receipt.type !== PAYLOAD_RECEIPT) {
      fail("PROTO_UNKNOWN_PAYLOAD", `${field}.receipt.type`, "a milestone may only carry a receipt payload");
    }
    validateReceipt(ms.receipt, `${field}.receipt`);
  }
}

/** Payload-level rules. `messageParents` is the enclosing message's parents, if any. */
export function validatePayloadRules(p: Payload, field: string, messageParents: Uint8Array[] | null): void {
  switch (p.type) {
    case PAYLOAD_TRANSACTION:
      validateTransaction(p, field);
      return;
    case PAYLOAD_MILESTONE:
      validateMilestone(p, field, messageParents);
      return;
    case PAYLOAD_INDEXATION:
      validateIndexation(p, field);
      return;
    case PAYLOAD_RECEIPT:
      validateReceipt(p, field);
      return;
    case PAYLOAD_TREASURY_TRANSACTION:
      return;
    default:
      fail("PROTO_UNKNOWN_PAYLOAD", `${field}.type`, "unknown payload type");
  }
}

/** Message rules except the serialized-length limit (the caller knows the length). */
export function validateMessageRules(msg: Message): void {
  validateParents(msg.parents, "parentMessageIds");
  const p = msg.payload;
  if (p === null) return;
  if (p.type !== PAYLOAD_TRANSACTION && p.type !== PAYLOAD_MILESTONE && p.type !== PAYLOAD_INDEXATION) {
    fail(
      "PROTO_UNKNOWN_PAYLOAD",
      "payload.type",
      "a message may only carry a transaction, milestone or indexation payload",
    );
  }
  validatePayloadRules(p, "payload", msg.parents);
}
