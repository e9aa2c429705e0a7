// Builds signed value transactions (TIP-7): inputs and outputs sorted by their serialized bytes, one
// signature unlock block per address (by its first input) and reference blocks for the others.
import { ed25519Address } from "./bech32.ts";
import { compareBytes } from "./bytes.ts";
import { ed25519PublicKey, ed25519Sign } from "./ed25519.ts";
import { toHex } from "./hex.ts";
import { transactionEssenceHash } from "./message.ts";
import type {
  IndexationPayload,
  SigLockedOutput,
  TransactionPayload,
  UnlockBlock,
  UtxoInput,
} from "./types.ts";

export interface InputToSign {
  /** 34-byte output ID */
  outputId: Uint8Array;
  /** the Ed25519 seed (private key) of the address that owns it */
  seed: Uint8Array;
}

/** Signs the essence hash; tests pass one that forges or corrupts signatures. */
export type Signer = (seed: Uint8Array, essenceHash: Uint8Array) => Uint8Array;

function inputOf(id: Uint8Array): UtxoInput {
  return { type: 0, transactionId: id.slice(0, 32), transactionOutputIndex: id[32]! | (id[33]! << 8) };
}

/** An input as serialized: type 0, transaction ID, u16 index. */
function inputKey(i: UtxoInput): Uint8Array {
  const b = new Uint8Array(35);
  b.set(i.transactionId, 1);
  b[33] = i.transactionOutputIndex & 0xff;
  b[34] = i.transactionOutputIndex >>> 8;
  return b;
}

/** An output as serialized: type, address type 0, address, u64 amount. */
function outputKey(o: SigLockedOutput): Uint8Array {
  const b = new Uint8Array(42);
  b[0] = o.type;
  b.set(o.address.address, 2);
  new DataView(b.buffer).setBigUint64(34, o.amount, true);
  return b;
}

export function buildTransaction(
  inputs: InputToSign[],
  outputs: SigLockedOutput[],
  opts: { indexation?: IndexationPayload; sign?: Signer } = {},
): TransactionPayload {
  const signed = inputs
    .map((i) => ({ input: inputOf(i.outputId), seed: i.seed }))
    .sort((a, b) => compareBytes(inputKey(a.input), inputKey(b.input)));
  const essence = {
    type: 0 as const,
    inputs: signed.map((s) => s.input),
    outputs: [...outputs].sort((a, b) => compareBytes(outputKey(a), outputKey(b))),
    payload: opts.indexation ?? null,
  };
  const hash = transactionEssenceHash(essence);
  const sign = opts.sign ?? ed25519Sign;
  const firstBlock = new Map<string, number>();
  const unlockBlocks: UnlockBlock[] = signed.map((s, i) => {
    const publicKey = ed25519PublicKey(s.seed);
    const key = toHex(ed25519Address(publicKey));
    const first = firstBlock.get(key);
    if (first !== undefined) return { type: 1, reference: first };
    firstBlock.set(key, i);
    return { type: 0, signature: { type: 0, publicKey, signature: sign(s.seed, hash) } };
  });
  return { type: 0, essence, unlockBlocks };
}
