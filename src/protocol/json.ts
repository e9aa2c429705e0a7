// Hornet 1.x / iota.go JSON forms of messages and payloads. Output: lowercase hex, u64 message
// fields as decimal strings, amounts and timestamps as numbers, keys in Hornet's order.
// Input: lenient where Hornet's POST handler is (missing networkId/nonce/parents/payload),
// strict about everything present. Only ProtocolError escapes messageFromJson/payloadFromJson.
import { ProtocolError } from "./errors.ts";
import { fromHex, toHex } from "./hex.ts";
import {
  ED25519_ADDRESS_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  MERKLE_ROOT_LENGTH,
  MESSAGE_ID_LENGTH,
  MILESTONE_ID_LENGTH,
  TAIL_TRANSACTION_HASH_LENGTH,
  TRANSACTION_ID_LENGTH,
} from "./params.ts";
import {
  type Ed25519Address,
  type IndexationPayload,
  type Message,
  type MigratedFundsEntry,
  type MilestonePayload,
  PAYLOAD_INDEXATION,
  PAYLOAD_MILESTONE,
  PAYLOAD_RECEIPT,
  PAYLOAD_TRANSACTION,
  PAYLOAD_TREASURY_TRANSACTION,
  type Payload,
  type ReceiptPayload,
  type SigLockedOutput,
  type TransactionPayload,
  type TreasuryTransactionPayload,
  type UnlockBlock,
  type UtxoInput,
} from "./types.ts";

export interface Ed25519AddressJson {
  type: 0;
  address: string;
}

export interface UtxoInputJson {
  type: 0;
  transactionId: string;
  transactionOutputIndex: number;
}

export interface SigLockedOutputJson {
  type: 0 | 1;
  address: Ed25519AddressJson;
  amount: number;
}

export interface IndexationPayloadJson {
  type: typeof PAYLOAD_INDEXATION;
  index: string;
  /** Always written (empty string when empty); may be absent on input. */
  data: string;
}

export interface TransactionEssenceJson {
  type: 0;
  inputs: UtxoInputJson[];
  outputs: SigLockedOutputJson[];
  payload: IndexationPayloadJson | null;
}

export interface SignatureUnlockBlockJson {
  type: 0;
  signature: { type: 0; publicKey: string; signature: string };
}

export interface ReferenceUnlockBlockJson {
  type: 1;
  reference: number;
}

export type UnlockBlockJson = SignatureUnlockBlockJson | ReferenceUnlockBlockJson;

export interface TransactionPayloadJson {
  type: typeof PAYLOAD_TRANSACTION;
  essence: TransactionEssenceJson;
  unlockBlocks: UnlockBlockJson[];
}

export interface TreasuryTransactionPayloadJson {
  type: typeof PAYLOAD_TREASURY_TRANSACTION;
  input: { type: 1; milestoneId: string };
  output: { type: 2; amount: number };
}

export interface MigratedFundsEntryJson {
  tailTransactionHash: string;
  address: Ed25519AddressJson;
  deposit: number;
}

export interface ReceiptPayloadJson {
  type: typeof PAYLOAD_RECEIPT;
  migratedAt: number;
  funds: MigratedFundsEntryJson[];
  transaction: TreasuryTransactionPayloadJson;
  final: boolean;
}

export interface MilestonePayloadJson {
  type: typeof PAYLOAD_MILESTONE;
  index: number;
  timestamp: number;
  parentMessageIds: string[];
  inclusionMerkleProof: string;
  nextPoWScore: number;
  nextPoWScoreMilestoneIndex: number;
  publicKeys: string[];
  receipt: ReceiptPayloadJson | null;
  signatures: string[];
}

export type MessagePayloadJson = TransactionPayloadJson | MilestonePayloadJson | IndexationPayloadJson;

export type PayloadJson =
  | TransactionPayloadJson
  | MilestonePayloadJson
  | IndexationPayloadJson
  | ReceiptPayloadJson
  | TreasuryTransactionPayloadJson;

export interface MessageJson {
  /** u64 as a decimal string. */
  networkId: string;
  parentMessageIds: string[];
  payload: MessagePayloadJson | null;
  /** u64 as a decimal string. */
  nonce: string;
}

// ---------------------------------------------------------------------------------------------
// To JSON

export function addressToJson(a: Ed25519Address): Ed25519AddressJson {
  return { type: a.type, address: toHex(a.address) };
}

/**
 * Output JSON as in transactions and in the REST outputs endpoint. Amounts are JSON numbers as in
 * Hornet; valid amounts (<= total supply) are below 2^53 and therefore exact.
 */
export function outputToJson(o: SigLockedOutput): SigLockedOutputJson {
  return { type: o.type, address: addressToJson(o.address), amount: Number(o.amount) };
}

function inputToJson(i: UtxoInput): UtxoInputJson {
  return {
    type: i.type,
    transactionId: toHex(i.transactionId),
    transactionOutputIndex: i.transactionOutputIndex,
  };
}

function unlockBlockToJson(b: UnlockBlock): UnlockBlockJson {
  if (b.type === 1) return { type: 1, reference: b.reference };
  return {
    type: 0,
    signature: { type: 0, publicKey: toHex(b.signature.publicKey), signature: toHex(b.signature.signature) },
  };
}

function indexationToJson(p: IndexationPayload): IndexationPayloadJson {
  return { type: PAYLOAD_INDEXATION, index: toHex(p.index), data: toHex(p.data) };
}

function transactionToJson(tx: TransactionPayload): TransactionPayloadJson {
  return {
    type: PAYLOAD_TRANSACTION,
    essence: {
      type: tx.essence.type,
      inputs: tx.essence.inputs.map(inputToJson),
      outputs: tx.essence.outputs.map(outputToJson),
      payload: tx.essence.payload === null ? null : indexationToJson(tx.essence.payload),
    },
    unlockBlocks: tx.unlockBlocks.map(unlockBlockToJson),
  };
}

function treasuryToJson(t: TreasuryTransactionPayload): TreasuryTransactionPayloadJson {
  return {
    type: PAYLOAD_TREASURY_TRANSACTION,
    input: { type: 1, milestoneId: toHex(t.input.milestoneId) },
    output: { type: 2, amount: Number(t.output.amount) },
  };
}

function receiptToJson(r: ReceiptPayload): ReceiptPayloadJson {
  return {
    type: PAYLOAD_RECEIPT,
    migratedAt: r.migratedAt,
    funds: r.funds.map((e) => ({
      tailTransactionHash: toHex(e.tailTransactionHash),
      address: addressToJson(e.address),
      deposit: Number(e.deposit),
    })),
    transaction: treasuryToJson(r.transaction),
    final: r.final,
  };
}

function milestoneToJson(ms: MilestonePayload): MilestonePayloadJson {
  return {
    type: PAYLOAD_MILESTONE,
    index: ms.index,
    timestamp: Number(ms.timestamp),
    parentMessageIds: ms.parents.map(toHex),
    inclusionMerkleProof: toHex(ms.inclusionMerkleProof),
    nextPoWScore: ms.nextPoWScore,
    nextPoWScoreMilestoneIndex: ms.nextPoWScoreMilestoneIndex,
    publicKeys: ms.publicKeys.map(toHex),
    receipt: ms.receipt === null ? null : receiptToJson(ms.receipt),
    signatures: ms.signatures.map(toHex),
  };
}

export function payloadToJson(p: TransactionPayload): TransactionPayloadJson;
export function payloadToJson(p: MilestonePayload): MilestonePayloadJson;
export function payloadToJson(p: IndexationPayload): IndexationPayloadJson;
export function payloadToJson(p: ReceiptPayload): ReceiptPayloadJson;
export function payloadToJson(p: TreasuryTransactionPayload): TreasuryTransactionPayloadJson;
export function payloadToJson(p: Payload): PayloadJson;
export function payloadToJson(p: Payload): PayloadJson {
  switch (p.type) {
    case PAYLOAD_TRANSACTION:
      return transactionToJson(p);
    case PAYLOAD_MILESTONE:
      return milestoneToJson(p);
    case PAYLOAD_INDEXATION:
      return indexationToJson(p);
    case PAYLOAD_RECEIPT:
      return receiptToJson(p);
    case PAYLOAD_TREASURY_TRANSACTION:
      return treasuryToJson(p);
    default:
      throw new ProtocolError("PROTO_UNKNOWN_PAYLOAD", "unknown payload type");
  }
}

export function messageToJson(msg: Message): MessageJson {
  return {
    networkId: msg.networkId.toString(),
    parentMessageIds: msg.parents.map(toHex),
    payload: msg.payload === null ? null : (payloadToJson(msg.payload) as MessagePayloadJson),
    nonce: msg.nonce.toString(),
  };
}

// ---------------------------------------------------------------------------------------------
// From JSON

type JsonObject = Record<string, unknown>;

const U64_MAX = (1n << 64n) - 1n;

function shapeError(field: string, what: string): ProtocolError {
  return new ProtocolError("PROTO_INVALID_JSON", `${field}: ${what}`, { field });
}

function valueError(field: string, what: string): ProtocolError {
  return new ProtocolError("PROTO_INVALID_FIELD", `${field}: ${what}`, { field });
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function asObject(v: unknown, field: string): JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw shapeError(field, "must be an object");
  return v as JsonObject;
}

/** Own properties only, so keys like "constructor" never reach the prototype. */
function prop(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function required(o: JsonObject, key: string, path: string): unknown {
  const v = prop(o, key);
  if (v === undefined) throw shapeError(join(path, key), "is missing");
  return v;
}

function asArray(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw shapeError(field, "must be an array");
  return v;
}

function asHex(v: unknown, field: string, length?: number): Uint8Array {
  if (typeof v !== "string") throw shapeError(field, "must be a hex string");
  try {
    return fromHex(v, length);
  } catch (err) {
    const what =
      length !== undefined && v.length !== 2 * length ? `must be ${length} bytes of hex` : "not hex";
    throw new ProtocolError("PROTO_INVALID_FIELD", `${field}: ${what}`, { field, cause: err });
  }
}

function asUint(v: unknown, field: string, max: number): number {
  if (typeof v !== "number") throw shapeError(field, "must be a number");
  if (!Number.isInteger(v) || v < 0 || v > max) throw valueError(field, `must be an integer in 0..${max}`);
  return v;
}

/** u64 carried as a JSON number: exact only up to 2^53 - 1, so larger values are refused. */
function asU64Number(v: unknown, field: string): bigint {
  if (typeof v !== "number") throw shapeError(field, "must be a number");
  if (!Number.isSafeInteger(v) || v < 0) throw valueError(field, "must be a non-negative safe integer");
  return BigInt(v);
}

/** u64 carried as a decimal string; missing, null or "" mean 0 (Hornet's POST handler). */
function asU64String(v: unknown, field: string): bigint {
  if (v === undefined || v === null || v === "") return 0n;
  if (typeof v !== "string") throw shapeError(field, "must be a decimal string");
  if (!/^[0-9]{1,20}$/.test(v)) throw valueError(field, "must be a decimal u64");
  const n = BigInt(v);
  if (n > U64_MAX) throw valueError(field, "exceeds the u64 range");
  return n;
}

function asType(o: JsonObject, path: string, allowed: readonly number[], kind: string): number {
  const field = join(path, "type");
  const t = required(o, "type", path);
  if (typeof t !== "number") throw shapeError(field, "must be a number");
  if (!allowed.includes(t)) {
    const code = kind === "payload" ? "PROTO_UNKNOWN_PAYLOAD" : "PROTO_UNKNOWN_TYPE";
    throw new ProtocolError(code, `${field}: unknown ${kind} type ${t}`, { field });
  }
  return t;
}

function hexList(v: unknown, field: string, length: number): Uint8Array[] {
  return asArray(v, field).map((x, i) => asHex(x, `${field}[${i}]`, length));
}

function addressFromJson(v: unknown, path: string): Ed25519Address {
  const o = asObject(v, path);
  asType(o, path, [0], "address");
  return {
    type: 0,
    address: asHex(required(o, "address", path), join(path, "address"), ED25519_ADDRESS_LENGTH),
  };
}

function inputFromJson(v: unknown, path: string): UtxoInput {
  const o = asObject(v, path);
  asType(o, path, [0], "input");
  return {
    type: 0,
    transactionId: asHex(
      required(o, "transactionId", path),
      join(path, "transactionId"),
      TRANSACTION_ID_LENGTH,
    ),
    transactionOutputIndex: asUint(
      required(o, "transactionOutputIndex", path),
      join(path, "transactionOutputIndex"),
      0xffff,
    ),
  };
}

function outputFromJson(v: unknown, path: string): SigLockedOutput {
  const o = asObject(v, path);
  const type = asType(o, path, [0, 1], "output") as 0 | 1;
  return {
    type,
    address: addressFromJson(required(o, "address", path), join(path, "address")),
    amount: asU64Number(required(o, "amount", path), join(path, "amount")),
  };
}

function unlockBlockFromJson(v: unknown, path: string): UnlockBlock {
  const o = asObject(v, path);
  const type = asType(o, path, [0, 1], "unlock block");
  if (type === 1)
    return { type: 1, reference: asUint(required(o, "reference", path), join(path, "reference"), 0xffff) };
  const sp = join(path, "signature");
  const s = asObject(required(o, "signature", path), sp);
  asType(s, sp, [0], "signature");
  return {
    type: 0,
    signature: {
      type: 0,
      publicKey: asHex(required(s, "publicKey", sp), join(sp, "publicKey"), ED25519_PUBLIC_KEY_LENGTH),
      signature: asHex(required(s, "signature", sp), join(sp, "signature"), ED25519_SIGNATURE_LENGTH),
    },
  };
}

function indexationFromJson(o: JsonObject, path: string): IndexationPayload {
  const data = prop(o, "data");
  return {
    type: PAYLOAD_INDEXATION,
    index: asHex(required(o, "index", path), join(path, "index")),
    // iota.js omits empty data.
    data: data === undefined || data === null ? new Uint8Array(0) : asHex(data, join(path, "data")),
  };
}

function transactionFromJson(o: JsonObject, path: string): TransactionPayload {
  const ep = join(path, "essence");
  const e = asObject(required(o, "essence", path), ep);
  asType(e, ep, [0], "essence");
  const inputsPath = join(ep, "inputs");
  const outputsPath = join(ep, "outputs");
  const blocksPath = join(path, "unlockBlocks");
  const payload = prop(e, "payload");
  return {
    type: PAYLOAD_TRANSACTION,
    essence: {
      type: 0,
      inputs: asArray(required(e, "inputs", ep), inputsPath).map((x, i) =>
        inputFromJson(x, `${inputsPath}[${i}]`),
      ),
      outputs: asArray(required(e, "outputs", ep), outputsPath).map((x, i) =>
        outputFromJson(x, `${outputsPath}[${i}]`),
      ),
      payload:
        payload === undefined || payload === null
          ? null
          : (payloadObjectFromJson(payload, join(ep, "payload"), [PAYLOAD_INDEXATION]) as IndexationPayload),
    },
    unlockBlocks: asArray(required(o, "unlockBlocks", path), blocksPath).map((x, i) =>
      unlockBlockFromJson(x, `${blocksPath}[${i}]`),
    ),
  };
}

function treasuryFromJson(o: JsonObject, path: string): TreasuryTransactionPayload {
  const ip = join(path, "input");
  const input = asObject(required(o, "input", path), ip);
  asType(input, ip, [1], "input");
  const op = join(path, "output");
  const output = asObject(required(o, "output", path), op);
  asType(output, op, [2], "output");
  return {
    type: PAYLOAD_TREASURY_TRANSACTION,
    input: {
      type: 1,
      milestoneId: asHex(required(input, "milestoneId", ip), join(ip, "milestoneId"), MILESTONE_ID_LENGTH),
    },
    output: { type: 2, amount: asU64Number(required(output, "amount", op), join(op, "amount")) },
  };
}

function fundsEntryFromJson(v: unknown, path: string): MigratedFundsEntry {
  const o = asObject(v, path);
  return {
    tailTransactionHash: asHex(
      required(o, "tailTransactionHash", path),
      join(path, "tailTransactionHash"),
      TAIL_TRANSACTION_HASH_LENGTH,
    ),
    address: addressFromJson(required(o, "address", path), join(path, "address")),
    deposit: asU64Number(required(o, "deposit", path), join(path, "deposit")),
  };
}

function receiptFromJson(o: JsonObject, path: string): ReceiptPayload {
  const final = required(o, "final", path);
  if (typeof final !== "boolean") throw shapeError(join(path, "final"), "must be a boolean");
  const fundsPath = join(path, "funds");
  return {
    type: PAYLOAD_RECEIPT,
    migratedAt: asUint(required(o, "migratedAt", path), join(path, "migratedAt"), 0xffffffff),
    final,
    funds: asArray(required(o, "funds", path), fundsPath).map((x, i) =>
      fundsEntryFromJson(x, `${fundsPath}[${i}]`),
    ),
    transaction: payloadObjectFromJson(required(o, "transaction", path), join(path, "transaction"), [
      PAYLOAD_TREASURY_TRANSACTION,
    ]) as TreasuryTransactionPayload,
  };
}

function milestoneFromJson(o: JsonObject, path: string): MilestonePayload {
  const receipt = prop(o, "receipt");
  return {
    type: PAYLOAD_MILESTONE,
    index: asUint(required(o, "index", path), join(path, "index"), 0xffffffff),
    timestamp: asU64Number(required(o, "timestamp", path), join(path, "timestamp")),
    parents: hexList(
      required(o, "parentMessageIds", path),
      join(path, "parentMessageIds"),
      MESSAGE_ID_LENGTH,
    ),
    inclusionMerkleProof: asHex(
      required(o, "inclusionMerkleProof", path),
      join(path, "inclusionMerkleProof"),
      MERKLE_ROOT_LENGTH,
    ),
    nextPoWScore: asUint(required(o, "nextPoWScore", path), join(path, "nextPoWScore"), 0xffffffff),
    nextPoWScoreMilestoneIndex: asUint(
      required(o, "nextPoWScoreMilestoneIndex", path),
      join(path, "nextPoWScoreMilestoneIndex"),
      0xffffffff,
    ),
    publicKeys: hexList(required(o, "publicKeys", path), join(path, "publicKeys"), ED25519_PUBLIC_KEY_LENGTH),
    receipt:
      receipt === undefined || receipt === null
        ? null
        : (payloadObjectFromJson(receipt, join(path, "receipt"), [PAYLOAD_RECEIPT]) as ReceiptPayload),
    signatures: hexList(required(o, "signatures", path), join(path, "signatures"), ED25519_SIGNATURE_LENGTH),
  };
}

function payloadObjectFromJson(v: unknown, path: string, allowed: readonly number[]): Payload {
  const o = asObject(v, path);
  const type = asType(o, path, allowed, "payload");
  switch (type) {
    case PAYLOAD_TRANSACTION:
      return transactionFromJson(o, path);
    case PAYLOAD_MILESTONE:
      return milestoneFromJson(o, path);
    case PAYLOAD_INDEXATION:
      return indexationFromJson(o, path);
    case PAYLOAD_RECEIPT:
      return receiptFromJson(o, path);
    default:
      return treasuryFromJson(o, path);
  }
}

const ALL_PAYLOAD_TYPES = [0, 1, 2, 3, 4] as const;
const MESSAGE_PAYLOAD_TYPES = [PAYLOAD_TRANSACTION, PAYLOAD_MILESTONE, PAYLOAD_INDEXATION] as const;

/** Any payload (types 0..4) from its JSON form; no syntactic rules applied. */
export function payloadFromJson(json: unknown, path = "payload"): Payload {
  return payloadObjectFromJson(json, path, ALL_PAYLOAD_TYPES);
}

/**
 * A message from Hornet's JSON form, as the POST /messages handler reads it: missing/null/""
 * networkId or nonce -> 0, missing/null parentMessageIds -> [], missing/null payload -> none.
 * Parent count and order are not checked here (the node may fill parents, then validates).
 */
export function messageFromJson(json: unknown): Message {
  const o = asObject(json, "message");
  const parents = prop(o, "parentMessageIds");
  const payload = prop(o, "payload");
  return {
    networkId: asU64String(prop(o, "networkId"), "networkId"),
    parents:
      parents === undefined || parents === null
        ? []
        : hexList(parents, "parentMessageIds", MESSAGE_ID_LENGTH),
    payload:
      payload === undefined || payload === null
        ? null
        : (payloadObjectFromJson(payload, "payload", MESSAGE_PAYLOAD_TYPES) as Message["payload"]),
    nonce: asU64String(prop(o, "nonce"), "nonce"),
  };
}
