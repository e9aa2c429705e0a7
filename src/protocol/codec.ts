// Structural binary codec (TIP-6/7/8/15 layouts). Only what is needed to read or write the bytes
// is checked here; the syntactic rules live in validate.ts.
import { ByteReader, type ByteWriter } from "./binary.ts";
import { ProtocolError } from "./errors.ts";
import {
  ADDRESS_TYPE_ED25519,
  ED25519_ADDRESS_LENGTH,
  ED25519_PUBLIC_KEY_LENGTH,
  ED25519_SIGNATURE_LENGTH,
  INPUT_TYPE_TREASURY,
  INPUT_TYPE_UTXO,
  MERKLE_ROOT_LENGTH,
  MESSAGE_ID_LENGTH,
  MILESTONE_ID_LENGTH,
  OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE,
  OUTPUT_TYPE_SIG_LOCKED_SINGLE,
  OUTPUT_TYPE_TREASURY,
  SIGNATURE_TYPE_ED25519,
  TAIL_TRANSACTION_HASH_LENGTH,
  TRANSACTION_ESSENCE_TYPE,
  TRANSACTION_ID_LENGTH,
  UNLOCK_BLOCK_REFERENCE,
  UNLOCK_BLOCK_SIGNATURE,
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
  type TransactionEssence,
  type TransactionPayload,
  type TreasuryTransactionPayload,
  type UnlockBlock,
  type UtxoInput,
} from "./types.ts";

/** Payload types allowed directly in a message. */
export const MESSAGE_PAYLOAD_TYPES: readonly number[] = [
  PAYLOAD_TRANSACTION,
  PAYLOAD_MILESTONE,
  PAYLOAD_INDEXATION,
];
const ESSENCE_PAYLOAD_TYPES: readonly number[] = [PAYLOAD_INDEXATION];
const MILESTONE_PAYLOAD_TYPES: readonly number[] = [PAYLOAD_RECEIPT];
const RECEIPT_PAYLOAD_TYPES: readonly number[] = [PAYLOAD_TREASURY_TRANSACTION];
const ALL_PAYLOAD_TYPES: readonly number[] = [0, 1, 2, 3, 4];

function unknownType(field: string, what: string, type: unknown): ProtocolError {
  return new ProtocolError("PROTO_UNKNOWN_TYPE", `${field}: unknown ${what} type ${String(type)}`, { field });
}

function unknownPayload(field: string, type: unknown): ProtocolError {
  return new ProtocolError(
    "PROTO_UNKNOWN_PAYLOAD",
    `${field}: payload type ${String(type)} is not allowed here`,
    {
      field,
    },
  );
}

function notArray(field: string): ProtocolError {
  return new ProtocolError("PROTO_INVALID_FIELD", `${field}: must be an array`, { field });
}

function checkArray(v: unknown, field: string): void {
  if (!Array.isArray(v)) throw notArray(field);
}

// ---------------------------------------------------------------------------------------------
// Writing

function writeAddress(w: ByteWriter, a: Ed25519Address, field: string): void {
  if (a?.type !== ADDRESS_TYPE_ED25519) throw unknownType(`${field}.type`, "address", a?.type);
  w.u8(a.type, `${field}.type`);
  w.bytes(a.address, `${field}.address`, ED25519_ADDRESS_LENGTH);
}

export function writeUtxoInput(w: ByteWriter, input: UtxoInput, field: string): void {
  if (input?.type !== INPUT_TYPE_UTXO) throw unknownType(`${field}.type`, "input", input?.type);
  w.u8(input.type, `${field}.type`);
  w.bytes(input.transactionId, `${field}.transactionId`, TRANSACTION_ID_LENGTH);
  w.u16(input.transactionOutputIndex, `${field}.transactionOutputIndex`);
}

export function writeOutput(w: ByteWriter, output: SigLockedOutput, field: string): void {
  const t = output?.type;
  if (t !== OUTPUT_TYPE_SIG_LOCKED_SINGLE && t !== OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE) {
    throw unknownType(`${field}.type`, "output", t);
  }
  w.u8(t, `${field}.type`);
  writeAddress(w, output.address, `${field}.address`);
  w.u64(output.amount, `${field}.amount`);
}

function writeUnlockBlock(w: ByteWriter, block: UnlockBlock, field: string): void {
  if (block?.type === UNLOCK_BLOCK_SIGNATURE) {
    w.u8(block.type, `${field}.type`);
    const sig = block.signature;
    if (sig?.type !== SIGNATURE_TYPE_ED25519)
      throw unknownType(`${field}.signature.type`, "signature", sig?.type);
    w.u8(sig.type, `${field}.signature.type`);
    w.bytes(sig.publicKey, `${field}.signature.publicKey`, ED25519_PUBLIC_KEY_LENGTH);
    w.bytes(sig.signature, `${field}.signature.signature`, ED25519_SIGNATURE_LENGTH);
  } else if (block?.type === UNLOCK_BLOCK_REFERENCE) {
    w.u8(block.type, `${field}.type`);
    w.u16(block.reference, `${field}.reference`);
  } else {
    throw unknownType(`${field}.type`, "unlock block", (block as { type?: unknown } | undefined)?.type);
  }
}

export function writeEssence(w: ByteWriter, essence: TransactionEssence, field: string): void {
  if (essence?.type !== TRANSACTION_ESSENCE_TYPE)
    throw unknownType(`${field}.type`, "essence", essence?.type);
  w.u8(essence.type, `${field}.type`);
  checkArray(essence.inputs, `${field}.inputs`);
  w.u16(essence.inputs.length, `${field}.inputs.length`);
  essence.inputs.forEach((input, i) => {
    writeUtxoInput(w, input, `${field}.inputs[${i}]`);
  });
  checkArray(essence.outputs, `${field}.outputs`);
  w.u16(essence.outputs.length, `${field}.outputs.length`);
  essence.outputs.forEach((output, i) => {
    writeOutput(w, output, `${field}.outputs[${i}]`);
  });
  writeOptionalPayload(w, essence.payload, ESSENCE_PAYLOAD_TYPES, `${field}.payload`);
}

function writeTransaction(w: ByteWriter, tx: TransactionPayload, field: string): void {
  w.u32(PAYLOAD_TRANSACTION, `${field}.type`);
  writeEssence(w, tx.essence, `${field}.essence`);
  checkArray(tx.unlockBlocks, `${field}.unlockBlocks`);
  w.u16(tx.unlockBlocks.length, `${field}.unlockBlocks.length`);
  tx.unlockBlocks.forEach((b, i) => {
    writeUnlockBlock(w, b, `${field}.unlockBlocks[${i}]`);
  });
}

function writeIdList(w: ByteWriter, ids: Uint8Array[], field: string, len: number): void {
  checkArray(ids, field);
  w.u8(ids.length, `${field}.length`);
  ids.forEach((id, i) => {
    w.bytes(id, `${field}[${i}]`, len);
  });
}

/** Milestone essence: index through the receipt (with its u32 length), per TIP-8. */
export function writeMilestoneEssence(
  w: ByteWriter,
  ms: Omit<MilestonePayload, "signatures" | "type">,
  field: string,
): void {
  w.u32(ms.index, `${field}.index`);
  w.u64(ms.timestamp, `${field}.timestamp`);
  writeIdList(w, ms.parents, `${field}.parents`, MESSAGE_ID_LENGTH);
  w.bytes(ms.inclusionMerkleProof, `${field}.inclusionMerkleProof`, MERKLE_ROOT_LENGTH);
  w.u32(ms.nextPoWScore, `${field}.nextPoWScore`);
  w.u32(ms.nextPoWScoreMilestoneIndex, `${field}.nextPoWScoreMilestoneIndex`);
  writeIdList(w, ms.publicKeys, `${field}.publicKeys`, ED25519_PUBLIC_KEY_LENGTH);
  writeOptionalPayload(w, ms.receipt, MILESTONE_PAYLOAD_TYPES, `${field}.receipt`);
}

function writeMilestone(w: ByteWriter, ms: MilestonePayload, field: string): void {
  w.u32(PAYLOAD_MILESTONE, `${field}.type`);
  writeMilestoneEssence(w, ms, field);
  writeIdList(w, ms.signatures, `${field}.signatures`, ED25519_SIGNATURE_LENGTH);
}

function writeIndexation(w: ByteWriter, p: IndexationPayload, field: string): void {
  w.u32(PAYLOAD_INDEXATION, `${field}.type`);
  if (!(p.index instanceof Uint8Array))
    throw new ProtocolError("PROTO_INVALID_FIELD", `${field}.index: must be bytes`);
  w.u16(p.index.length, `${field}.index.length`);
  w.bytes(p.index, `${field}.index`);
  if (!(p.data instanceof Uint8Array))
    throw new ProtocolError("PROTO_INVALID_FIELD", `${field}.data: must be bytes`);
  w.u32(p.data.length, `${field}.data.length`);
  w.bytes(p.data, `${field}.data`);
}

export function writeMigratedFundsEntry(w: ByteWriter, e: MigratedFundsEntry, field: string): void {
  w.bytes(e.tailTransactionHash, `${field}.tailTransactionHash`, TAIL_TRANSACTION_HASH_LENGTH);
  writeAddress(w, e.address, `${field}.address`);
  w.u64(e.deposit, `${field}.deposit`);
}

function writeReceipt(w: ByteWriter, r: ReceiptPayload, field: string): void {
  w.u32(PAYLOAD_RECEIPT, `${field}.type`);
  w.u32(r.migratedAt, `${field}.migratedAt`);
  if (typeof r.final !== "boolean")
    throw new ProtocolError("PROTO_INVALID_FIELD", `${field}.final: must be a boolean`);
  w.u8(r.final ? 1 : 0, `${field}.final`);
  checkArray(r.funds, `${field}.funds`);
  w.u16(r.funds.length, `${field}.funds.length`);
  r.funds.forEach((e, i) => {
    writeMigratedFundsEntry(w, e, `${field}.funds[${i}]`);
  });
  if (r.transaction == null) {
    throw new ProtocolError("PROTO_RECEIPT", "receipt must contain a treasury transaction", {
      field: `${field}.transaction`,
    });
  }
  writeOptionalPayload(w, r.transaction, RECEIPT_PAYLOAD_TYPES, `${field}.transaction`);
}

function writeTreasuryTransaction(w: ByteWriter, t: TreasuryTransactionPayload, field: string): void {
  w.u32(PAYLOAD_TREASURY_TRANSACTION, `${field}.type`);
  if (t.input?.type !== INPUT_TYPE_TREASURY) throw unknownType(`${field}.input.type`, "input", t.input?.type);
  w.u8(t.input.type, `${field}.input.type`);
  w.bytes(t.input.milestoneId, `${field}.input.milestoneId`, MILESTONE_ID_LENGTH);
  if (t.output?.type !== OUTPUT_TYPE_TREASURY)
    throw unknownType(`${field}.output.type`, "output", t.output?.type);
  w.u8(t.output.type, `${field}.output.type`);
  w.u64(t.output.amount, `${field}.output.amount`);
}

export function writePayload(w: ByteWriter, p: Payload, field: string): void {
  switch (p?.type) {
    case PAYLOAD_TRANSACTION:
      writeTransaction(w, p, field);
      return;
    case PAYLOAD_MILESTONE:
      writeMilestone(w, p, field);
      return;
    case PAYLOAD_INDEXATION:
      writeIndexation(w, p, field);
      return;
    case PAYLOAD_RECEIPT:
      writeReceipt(w, p, field);
      return;
    case PAYLOAD_TREASURY_TRANSACTION:
      writeTreasuryTransaction(w, p, field);
      return;
    default:
      throw unknownPayload(`${field}.type`, (p as { type?: unknown } | null)?.type);
  }
}

/** u32 length + payload, or a zero length for null. */
function writeOptionalPayload(
  w: ByteWriter,
  p: Payload | null,
  allowed: readonly number[],
  field: string,
): void {
  if (p == null) {
    w.u32(0, `${field}.length`);
    return;
  }
  if (!allowed.includes(p.type)) throw unknownPayload(`${field}.type`, p.type);
  const slot = w.lengthSlot();
  writePayload(w, p, field);
  w.patchLength(slot);
}

export function writeMessage(w: ByteWriter, msg: Message): void {
  w.u64(msg.networkId, "networkId");
  writeIdList(w, msg.parents, "parents", MESSAGE_ID_LENGTH);
  writeOptionalPayload(w, msg.payload, MESSAGE_PAYLOAD_TYPES, "payload");
  w.u64(msg.nonce, "nonce");
}

// ---------------------------------------------------------------------------------------------
// Reading

function readAddress(r: ByteReader, field: string): Ed25519Address {
  const type = r.u8(`${field}.type`);
  if (type !== ADDRESS_TYPE_ED25519) throw unknownType(`${field}.type`, "address", type);
  return { type, address: r.bytesCopy(ED25519_ADDRESS_LENGTH, `${field}.address`) };
}

function readUtxoInput(r: ByteReader, field: string): UtxoInput {
  const type = r.u8(`${field}.type`);
  if (type !== INPUT_TYPE_UTXO) throw unknownType(`${field}.type`, "input", type);
  return {
    type,
    transactionId: r.bytesCopy(TRANSACTION_ID_LENGTH, `${field}.transactionId`),
    transactionOutputIndex: r.u16(`${field}.transactionOutputIndex`),
  };
}

function readOutput(r: ByteReader, field: string): SigLockedOutput {
  const type = r.u8(`${field}.type`);
  if (type !== OUTPUT_TYPE_SIG_LOCKED_SINGLE && type !== OUTPUT_TYPE_SIG_LOCKED_DUST_ALLOWANCE) {
    throw unknownType(`${field}.type`, "output", type);
  }
  const address = readAddress(r, `${field}.address`);
  return { type, address, amount: r.u64(`${field}.amount`) };
}

function readUnlockBlock(r: ByteReader, field: string): UnlockBlock {
  const type = r.u8(`${field}.type`);
  if (type === UNLOCK_BLOCK_SIGNATURE) {
    const sigType = r.u8(`${field}.signature.type`);
    if (sigType !== SIGNATURE_TYPE_ED25519)
      throw unknownType(`${field}.signature.type`, "signature", sigType);
    return {
      type,
      signature: {
        type: sigType,
        publicKey: r.bytesCopy(ED25519_PUBLIC_KEY_LENGTH, `${field}.signature.publicKey`),
        signature: r.bytesCopy(ED25519_SIGNATURE_LENGTH, `${field}.signature.signature`),
      },
    };
  }
  if (type === UNLOCK_BLOCK_REFERENCE) return { type, reference: r.u16(`${field}.reference`) };
  throw unknownType(`${field}.type`, "unlock block", type);
}

function readEssence(r: ByteReader, field: string): TransactionEssence {
  const type = r.u8(`${field}.type`);
  if (type !== TRANSACTION_ESSENCE_TYPE) throw unknownType(`${field}.type`, "essence", type);
  const inputs: UtxoInput[] = [];
  const inputCount = r.u16(`${field}.inputs.length`);
  for (let i = 0; i < inputCount; i++) inputs.push(readUtxoInput(r, `${field}.inputs[${i}]`));
  const outputs: SigLockedOutput[] = [];
  const outputCount = r.u16(`${field}.outputs.length`);
  for (let i = 0; i < outputCount; i++) outputs.push(readOutput(r, `${field}.outputs[${i}]`));
  const payload = readOptionalPayload(
    r,
    ESSENCE_PAYLOAD_TYPES,
    `${field}.payload`,
  ) as IndexationPayload | null;
  return { type, inputs, outputs, payload };
}

function readTransaction(r: ByteReader, field: string): TransactionPayload {
  const essence = readEssence(r, `${field}.essence`);
  const unlockBlocks: UnlockBlock[] = [];
  const count = r.u16(`${field}.unlockBlocks.length`);
  for (let i = 0; i < count; i++) unlockBlocks.push(readUnlockBlock(r, `${field}.unlockBlocks[${i}]`));
  return { type: PAYLOAD_TRANSACTION, essence, unlockBlocks };
}

function readIdList(r: ByteReader, field: string, len: number): Uint8Array[] {
  const count = r.u8(`${field}.length`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(r.bytesCopy(len, `${field}[${i}]`));
  return out;
}

function readMilestone(r: ByteReader, field: string): MilestonePayload {
  const index = r.u32(`${field}.index`);
  const timestamp = r.u64(`${field}.timestamp`);
  const parents = readIdList(r, `${field}.parents`, MESSAGE_ID_LENGTH);
  const inclusionMerkleProof = r.bytesCopy(MERKLE_ROOT_LENGTH, `${field}.inclusionMerkleProof`);
  const nextPoWScore = r.u32(`${field}.nextPoWScore`);
  const nextPoWScoreMilestoneIndex = r.u32(`${field}.nextPoWScoreMilestoneIndex`);
  const publicKeys = readIdList(r, `${field}.publicKeys`, ED25519_PUBLIC_KEY_LENGTH);
  const receipt = readOptionalPayload(
    r,
    MILESTONE_PAYLOAD_TYPES,
    `${field}.receipt`,
  ) as ReceiptPayload | null;
  const signatures = readIdList(r, `${field}.signatures`, ED25519_SIGNATURE_LENGTH);
  return {
    type: PAYLOAD_MILESTONE,
    index,
    timestamp,
    parents,
    inclusionMerkleProof,
    nextPoWScore,
    nextPoWScoreMilestoneIndex,
    publicKeys,
    receipt,
    signatures,
  };
}

function readIndexation(r: ByteReader, field: string): IndexationPayload {
  const index = r.bytesCopy(r.u16(`${field}.index.length`), `${field}.index`);
  const data = r.bytesCopy(r.u32(`${field}.data.length`), `${field}.data`);
  return { type: PAYLOAD_INDEXATION, index, data };
}

function readMigratedFundsEntry(r: ByteReader, field: string): MigratedFundsEntry {
  return {
    tailTransactionHash: r.bytesCopy(TAIL_TRANSACTION_HASH_LENGTH, `${field}.tailTransactionHash`),
    address: readAddress(r, `${field}.address`),
    deposit: r.u64(`${field}.deposit`),
  };
}

function readReceipt(r: ByteReader, field: string): ReceiptPayload {
  const migratedAt = r.u32(`${field}.migratedAt`);
  const finalByte = r.u8(`${field}.final`);
  // Only 0/1 round-trip through a boolean.
  if (finalByte > 1) {
    throw new ProtocolError("PROTO_INVALID_FIELD", `${field}.final: must be 0 or 1`, {
      field: `${field}.final`,
    });
  }
  const funds: MigratedFundsEntry[] = [];
  const count = r.u16(`${field}.funds.length`);
  for (let i = 0; i < count; i++) funds.push(readMigratedFundsEntry(r, `${field}.funds[${i}]`));
  const transaction = readOptionalPayload(r, RECEIPT_PAYLOAD_TYPES, `${field}.transaction`);
  if (transaction === null) {
    throw new ProtocolError("PROTO_RECEIPT", "receipt must contain a treasury transaction", {
      field: `${field}.transaction`,
    });
  }
  return {
    type: PAYLOAD_RECEIPT,
    migratedAt,
    final: finalByte === 1,
    funds,
    transaction: transaction as TreasuryTransactionPayload,
  };
}

function readTreasuryTransaction(r: ByteReader, field: string): TreasuryTransactionPayload {
  const inputType = r.u8(`${field}.input.type`);
  if (inputType !== INPUT_TYPE_TREASURY) throw unknownType(`${field}.input.type`, "input", inputType);
  const milestoneId = r.bytesCopy(MILESTONE_ID_LENGTH, `${field}.input.milestoneId`);
  const outputType = r.u8(`${field}.output.type`);
  if (outputType !== OUTPUT_TYPE_TREASURY) throw unknownType(`${field}.output.type`, "output", outputType);
  const amount = r.u64(`${field}.output.amount`);
  return {
    type: PAYLOAD_TREASURY_TRANSACTION,
    input: { type: inputType, milestoneId },
    output: { type: outputType, amount },
  };
}

/** Reads a payload that fills `r` completely (type included). */
export function readPayload(r: ByteReader, allowed: readonly number[], field: string): Payload {
  const type = r.u32(`${field}.type`);
  if (!allowed.includes(type)) throw unknownPayload(`${field}.type`, type);
  let p: Payload;
  switch (type) {
    case PAYLOAD_TRANSACTION:
      p = readTransaction(r, field);
      break;
    case PAYLOAD_MILESTONE:
      p = readMilestone(r, field);
      break;
    case PAYLOAD_INDEXATION:
      p = readIndexation(r, field);
      break;
    case PAYLOAD_RECEIPT:
      p = readReceipt(r, field);
      break;
    default:
      p = readTreasuryTransaction(r, field);
  }
  return p;
}

function readOptionalPayload(r: ByteReader, allowed: readonly number[], field: string): Payload | null {
  const len = r.u32(`${field}.length`);
  if (len === 0) return null;
  const sub = r.sub(len, field, "PROTO_PAYLOAD_LENGTH");
  const p = readPayload(sub, allowed, field);
  if (sub.remaining !== 0) {
    throw new ProtocolError(
      "PROTO_PAYLOAD_LENGTH",
      `${field}: declared length ${len} but the payload has ${sub.offset} bytes`,
      { field },
    );
  }
  return p;
}

export function readMessage(r: ByteReader): Message {
  const networkId = r.u64("networkId");
  const parents = readIdList(r, "parents", MESSAGE_ID_LENGTH);
  const payload = readOptionalPayload(r, MESSAGE_PAYLOAD_TYPES, "payload") as Message["payload"];
  const nonce = r.u64("nonce");
  if (r.remaining !== 0) {
    throw new ProtocolError("PROTO_TRAILING_BYTES", `${r.remaining} bytes remain after the message nonce`);
  }
  return { networkId, parents, payload, nonce };
}

/** Standalone payload bytes (e.g. a stored receipt): any payload type, no trailing bytes. */
export function readStandalonePayload(bytes: Uint8Array): Payload {
  const r = new ByteReader(bytes);
  const p = readPayload(r, ALL_PAYLOAD_TYPES, "payload");
  if (r.remaining !== 0) {
    throw new ProtocolError("PROTO_TRAILING_BYTES", `${r.remaining} bytes remain after the payload`);
  }
  return p;
}
