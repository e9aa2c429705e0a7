// Decoded Chrysalis objects. Byte fields stay Uint8Array; u64 fields are bigint.

export const PAYLOAD_TRANSACTION = 0;
export const PAYLOAD_MILESTONE = 1;
export const PAYLOAD_INDEXATION = 2;
export const PAYLOAD_RECEIPT = 3;
export const PAYLOAD_TREASURY_TRANSACTION = 4;

export interface IndexationPayload {
  type: typeof PAYLOAD_INDEXATION;
  index: Uint8Array;
  data: Uint8Array;
}

export interface UtxoInput {
  type: 0;
  transactionId: Uint8Array;
  transactionOutputIndex: number;
}

export interface Ed25519Address {
  type: 0;
  address: Uint8Array;
}

export interface SigLockedOutput {
  /** 0 = SigLockedSingleOutput, 1 = SigLockedDustAllowanceOutput */
  type: 0 | 1;
  address: Ed25519Address;
  amount: bigint;
}

export interface TransactionEssence {
  type: 0;
  inputs: UtxoInput[];
  outputs: SigLockedOutput[];
  payload: IndexationPayload | null;
}

export interface SignatureUnlockBlock {
  type: 0;
  signature: { type: 0; publicKey: Uint8Array; signature: Uint8Array };
}

export interface ReferenceUnlockBlock {
  type: 1;
  reference: number;
}

export type UnlockBlock = SignatureUnlockBlock | ReferenceUnlockBlock;

export interface TransactionPayload {
  type: typeof PAYLOAD_TRANSACTION;
  essence: TransactionEssence;
  unlockBlocks: UnlockBlock[];
}

export interface TreasuryTransactionPayload {
  type: typeof PAYLOAD_TREASURY_TRANSACTION;
  input: { type: 1; milestoneId: Uint8Array };
  output: { type: 2; amount: bigint };
}

export interface MigratedFundsEntry {
  tailTransactionHash: Uint8Array; // 49 bytes
  address: Ed25519Address;
  deposit: bigint;
}

export interface ReceiptPayload {
  type: typeof PAYLOAD_RECEIPT;
  migratedAt: number;
  final: boolean;
  funds: MigratedFundsEntry[];
  transaction: TreasuryTransactionPayload;
}

export interface MilestonePayload {
  type: typeof PAYLOAD_MILESTONE;
  index: number;
  timestamp: bigint;
  parents: Uint8Array[];
  inclusionMerkleProof: Uint8Array;
  nextPoWScore: number;
  nextPoWScoreMilestoneIndex: number;
  publicKeys: Uint8Array[];
  receipt: ReceiptPayload | null;
  signatures: Uint8Array[];
}

export type Payload =
  | TransactionPayload
  | MilestonePayload
  | IndexationPayload
  | ReceiptPayload
  | TreasuryTransactionPayload;

export interface Message {
  networkId: bigint;
  parents: Uint8Array[];
  payload: TransactionPayload | MilestonePayload | IndexationPayload | null;
  nonce: bigint;
}
