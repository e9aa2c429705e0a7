// Stable error codes of the protocol layer. Callers branch on `code`, never on message text.
// Codes are never renamed or reused; add new ones at the end.

export const PROTOCOL_ERRORS = {
  PROTO_TRUNCATED: "the bytes end before the structure is complete",
  PROTO_TRAILING_BYTES: "bytes remain after the structure",
  PROTO_TOO_LARGE: "the message exceeds the maximum length",
  PROTO_PARENTS_COUNT: "the number of parents is out of range",
  PROTO_PARENTS_ORDER: "parents are not sorted ascending and unique",
  PROTO_UNKNOWN_PAYLOAD: "the payload type is unknown or not allowed here",
  PROTO_PAYLOAD_LENGTH: "the declared payload length differs from the payload",
  PROTO_UNKNOWN_TYPE: "a type byte (essence, input, output, address, unlock, signature) is unknown",
  PROTO_INVALID_FIELD: "a field has an invalid value",
  PROTO_INPUTS: "transaction inputs break a syntactic rule",
  PROTO_OUTPUTS: "transaction outputs break a syntactic rule",
  PROTO_AMOUNT: "an amount or deposit is out of range",
  PROTO_UNLOCK_BLOCKS: "unlock blocks break a syntactic rule",
  PROTO_INDEX_LENGTH: "the indexation index length is out of range",
  PROTO_MILESTONE_PARENTS: "milestone parents differ from the message parents",
  PROTO_MILESTONE_KEYS: "milestone keys or signature count break a rule",
  PROTO_MILESTONE_POW_SCORE: "milestone next PoW score fields are inconsistent",
  PROTO_RECEIPT: "a receipt breaks a syntactic rule",
  PROTO_INVALID_SIGNATURE: "a signature does not verify",
  PROTO_INVALID_HEX: "a string is not hex of the expected length",
  PROTO_INVALID_JSON: "a JSON value has the wrong shape",
  PROTO_BECH32: "a bech32 address is malformed",
  PROTO_INVALID_ARGUMENT: "a function argument is invalid",
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS;

export interface ProtocolErrorOptions {
  /** Dotted path of the offending field, e.g. `payload.essence.inputs[0].transactionId`. */
  field?: string;
  cause?: unknown;
}

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  readonly code: ProtocolErrorCode;
  readonly field: string | undefined;

  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
  }
}

export function isProtocolError(err: unknown): err is ProtocolError {
  return err instanceof ProtocolError;
}
