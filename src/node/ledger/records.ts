// On-disk records of the UTXO ledger: fixed-width little-endian binary, so a read is one slice and a
// few DataView loads (the ledger is read for every input of every transaction a milestone confirms).
// These layouts are the database format: never change one in place.

/** An output as the ledger keeps it, created by a transaction (or a receipt, or the genesis snapshot). */
export interface LedgerOutput {
  /** 34 bytes: transaction ID (or milestone ID for migrated funds) || u16 LE index */
  outputId: Uint8Array;
  /** the message whose transaction created it (zero for genesis outputs) */
  messageId: Uint8Array;
  /** 0 SigLockedSingleOutput, 1 SigLockedDustAllowanceOutput */
  outputType: 0 | 1;
  /** 32-byte Ed25519 address */
  address: Uint8Array;
  amount: bigint;
  /** milestone index that booked it */
  bookedAt: number;
}

/** How an output was spent. */
export interface LedgerSpent {
  /** the transaction that spent it */
  transactionId: Uint8Array;
  /** milestone index that confirmed the spend */
  spentAt: number;
}

export interface AddressBalance {
  balance: bigint;
  /** sum of unspent dust-allowance outputs */
  dustAllowance: bigint;
  /** unspent SigLockedSingleOutputs below the dust threshold */
  dustOutputs: number;
}

/** messageId 32 | type 1 | address 32 | amount u64 | bookedAt u32 */
const OUTPUT_RECORD_LENGTH = 77;
/** transactionId 32 | spentAt u32 */
const SPENT_RECORD_LENGTH = 36;
/** balance u64 | dustAllowance u64 | dustOutputs u32 */
const BALANCE_RECORD_LENGTH = 20;

/** A copy that owns its bytes (Buffer#slice would be a view into a buffer lmdb may reuse). */
function copy(b: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.prototype.slice.call(b, start, end);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeOutput(o: LedgerOutput): Uint8Array {
  const out = new Uint8Array(OUTPUT_RECORD_LENGTH);
  out.set(o.messageId, 0);
  out[32] = o.outputType;
  out.set(o.address, 33);
  const v = view(out);
  v.setBigUint64(65, o.amount, true);
  v.setUint32(73, o.bookedAt, true);
  return out;
}

export function decodeOutput(outputId: Uint8Array, rec: Uint8Array): LedgerOutput {
  if (rec.length !== OUTPUT_RECORD_LENGTH) throw new Error(`corrupt output record (${rec.length} bytes)`);
  const v = view(rec);
  return {
    outputId,
    messageId: copy(rec, 0, 32),
    outputType: rec[32] as 0 | 1,
    address: copy(rec, 33, 65),
    amount: v.getBigUint64(65, true),
    bookedAt: v.getUint32(73, true),
  };
}

export function encodeSpent(s: LedgerSpent): Uint8Array {
  const out = new Uint8Array(SPENT_RECORD_LENGTH);
  out.set(s.transactionId, 0);
  view(out).setUint32(32, s.spentAt, true);
  return out;
}

export function decodeSpent(rec: Uint8Array): LedgerSpent {
  if (rec.length !== SPENT_RECORD_LENGTH) throw new Error(`corrupt spent record (${rec.length} bytes)`);
  return { transactionId: copy(rec, 0, 32), spentAt: view(rec).getUint32(32, true) };
}

export function encodeBalance(b: AddressBalance): Uint8Array {
  const out = new Uint8Array(BALANCE_RECORD_LENGTH);
  const v = view(out);
  v.setBigUint64(0, b.balance, true);
  v.setBigUint64(8, b.dustAllowance, true);
  v.setUint32(16, b.dustOutputs, true);
  return out;
}

export function decodeBalance(rec: Uint8Array): AddressBalance {
  if (rec.length !== BALANCE_RECORD_LENGTH) throw new Error(`corrupt balance record (${rec.length} bytes)`);
  const v = view(rec);
  return {
    balance: v.getBigUint64(0, true),
    dustAllowance: v.getBigUint64(8, true),
    dustOutputs: v.getUint32(16, true),
  };
}

/** Address index entries: output type first, so a `type` filter is a prefix range. */
export function addressEntry(outputType: number, outputId: Uint8Array): Uint8Array {
  const out = new Uint8Array(35);
  out[0] = outputType;
  out.set(outputId, 1);
  return out;
}
