// Message codec and identifiers: the public face of codec.ts and validate.ts.
import { ByteReader, ByteWriter } from "./binary.ts";
import { blake2b256 } from "./blake2b.ts";
import { readMessage, readStandalonePayload, writeEssence, writeMessage, writePayload } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { MAX_MESSAGE_LENGTH, OUTPUT_ID_LENGTH, TRANSACTION_ID_LENGTH } from "./params.ts";
import type { Message, MilestonePayload, Payload, TransactionEssence, TransactionPayload } from "./types.ts";
import { validateMessageRules, validatePayloadRules } from "./validate.ts";

export interface DecodeOptions {
  /** Apply all syntactic rules (default true). False: structure only, as Hornet does for raw POSTs. */
  validate?: boolean;
}

/** Message bytes. Checks only what writing needs (field lengths, integer ranges, known types). */
export function serializeMessage(msg: Message): Uint8Array {
  const w = new ByteWriter(512);
  writeMessage(w, msg);
  return w.finish();
}

function checkLength(length: number): void {
  if (length > MAX_MESSAGE_LENGTH) {
    throw new ProtocolError(
      "PROTO_TOO_LARGE",
      `message is ${length} bytes, more than the maximum of ${MAX_MESSAGE_LENGTH}`,
    );
  }
}

/** Decodes message bytes; throws only ProtocolError. */
export function deserializeMessage(bytes: Uint8Array, opts: DecodeOptions = {}): Message {
  if (!(bytes instanceof Uint8Array))
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "message must be bytes");
  const validate = opts.validate ?? true;
  // Refuse oversize input before decoding so a huge buffer costs nothing.
  if (validate) checkLength(bytes.length);
  const msg = readMessage(new ByteReader(bytes));
  if (validate) validateMessageRules(msg);
  return msg;
}

/** All syntactic rules on a decoded or JSON-built message, including the length limit. */
export function validateMessage(msg: Message): void {
  validateMessageRules(msg);
  checkLength(serializeMessage(msg).length);
}

/** Payload bytes starting at the u32 type (as inside a message, without the length prefix). */
export function serializePayload(p: Payload): Uint8Array {
  const w = new ByteWriter(256);
  writePayload(w, p, "payload");
  return w.finish();
}

/**
 * Decodes standalone payload bytes of any type 0..4. With validate (default true) the payload's
 * own rules apply; a milestone's parents are not compared with any message.
 */
export function deserializePayload(bytes: Uint8Array, opts: DecodeOptions = {}): Payload {
  if (!(bytes instanceof Uint8Array))
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "payload must be bytes");
  const p = readStandalonePayload(bytes);
  if (opts.validate ?? true) validatePayloadRules(p, "payload", null);
  return p;
}

/** Message ID = BLAKE2b-256 of the complete message bytes (nonce included). */
export function messageId(messageBytes: Uint8Array): Uint8Array {
  return blake2b256(messageBytes);
}

/** Transaction ID = BLAKE2b-256 of the transaction payload bytes. */
export function transactionId(tx: TransactionPayload): Uint8Array {
  return blake2b256(serializePayload(tx));
}

/** Milestone ID = BLAKE2b-256 of the whole milestone payload (type and signatures included). */
export function milestoneId(ms: MilestonePayload): Uint8Array {
  return blake2b256(serializePayload(ms));
}

/** Transaction essence bytes, from the essence type byte to the end of its payload. */
export function serializeTransactionEssence(essence: TransactionEssence): Uint8Array {
  const w = new ByteWriter(256);
  writeEssence(w, essence, "essence");
  return w.finish();
}

/** What each transaction signature signs: BLAKE2b-256 of the essence bytes. */
export function transactionEssenceHash(essence: TransactionEssence): Uint8Array {
  return blake2b256(serializeTransactionEssence(essence));
}

/** Output ID = transaction ID || u16 LE output index (34 bytes). */
export function outputId(txId: Uint8Array, outputIndex: number): Uint8Array {
  if (!(txId instanceof Uint8Array) || txId.length !== TRANSACTION_ID_LENGTH) {
    throw new ProtocolError(
      "PROTO_INVALID_ARGUMENT",
      `transaction ID must be ${TRANSACTION_ID_LENGTH} bytes`,
    );
  }
  if (!Number.isInteger(outputIndex) || outputIndex < 0 || outputIndex > 0xffff) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "output index must be a u16");
  }
  const out = new Uint8Array(OUTPUT_ID_LENGTH);
  out.set(txId);
  out[32] = outputIndex & 0xff;
  out[33] = outputIndex >>> 8;
  return out;
}

/** Splits a 34-byte output ID. */
export function parseOutputId(id: Uint8Array): { transactionId: Uint8Array; outputIndex: number } {
  if (!(id instanceof Uint8Array) || id.length !== OUTPUT_ID_LENGTH) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", `output ID must be ${OUTPUT_ID_LENGTH} bytes`);
  }
  return { transactionId: id.slice(0, 32), outputIndex: id[32]! | (id[33]! << 8) };
}

const utf8 = new TextEncoder();

/** Network ID = first 8 bytes, little-endian, of BLAKE2b-256(UTF-8 name). */
export function networkIdFromName(name: string): bigint {
  const h = blake2b256(utf8.encode(name));
  return new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true);
}
