// fast-check generators of syntactically valid messages (every payload kind).
import fc from "fast-check";
import { compareBytes } from "../../src/protocol/bytes.ts";
import { toHex } from "../../src/protocol/hex.ts";
import type {
  IndexationPayload,
  Message,
  MigratedFundsEntry,
  MilestonePayload,
  ReceiptPayload,
  SigLockedOutput,
  TransactionPayload,
  UnlockBlock,
  UtxoInput,
} from "../../src/protocol/types.ts";

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;
// JSON carries amounts and timestamps as numbers, exact only up to 2^53 - 1.
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// Plain objects (fast-check records default to a null prototype, which deepStrictEqual notices).
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** Serialized bytes of a fragment, for sorting like the protocol does. */
function inputBytes(i: UtxoInput): Uint8Array {
  const b = new Uint8Array(35);
  b[0] = 0;
  b.set(i.transactionId, 1);
  b[33] = i.transactionOutputIndex & 0xff;
  b[34] = i.transactionOutputIndex >>> 8;
  return b;
}

function outputBytes(o: SigLockedOutput): Uint8Array {
  const b = new Uint8Array(42);
  b[0] = o.type;
  b[1] = 0;
  b.set(o.address.address, 2);
  new DataView(b.buffer).setBigUint64(34, o.amount, true);
  return b;
}

function fundsBytes(e: MigratedFundsEntry): Uint8Array {
  const b = new Uint8Array(49 + 33 + 8);
  b.set(e.tailTransactionHash, 0);
  b.set(e.address.address, 50);
  new DataView(b.buffer).setBigUint64(82, e.deposit, true);
  return b;
}

const sortBy =
  <T>(key: (v: T) => Uint8Array) =>
  (list: T[]): T[] =>
    [...list].sort((a, b) => compareBytes(key(a), key(b)));

export const parentsArb = fc
  .uniqueArray(bytes(32), { minLength: 1, maxLength: 8, selector: toHex })
  .map((ps) => [...ps].sort(compareBytes));

export const indexationArb: fc.Arbitrary<IndexationPayload> = rec({
  type: fc.constant(2 as const),
  index: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  data: fc.uint8Array({ minLength: 0, maxLength: 200 }),
});

// A small pool of transaction IDs makes several outputs of one transaction likely.
const inputArb: fc.Arbitrary<UtxoInput> = rec({
  type: fc.constant(0 as const),
  transactionId: fc.oneof(fc.constantFrom(new Uint8Array(32), new Uint8Array(32).fill(7)), bytes(32)),
  transactionOutputIndex: fc.integer({ min: 0, max: 126 }),
});

const outputArb: fc.Arbitrary<SigLockedOutput> = fc.oneof(
  rec({
    type: fc.constant(0 as const),
    address: rec({ type: fc.constant(0 as const), address: bytes(32) }),
    amount: fc.bigInt(1n, 1_000_000_000_000n),
  }),
  rec({
    type: fc.constant(1 as const),
    address: rec({ type: fc.constant(0 as const), address: bytes(32) }),
    amount: fc.bigInt(1_000_000n, 1_000_000_000_000n),
  }),
);

/** n unlock blocks: the first a signature, later ones a new signature or a reference to one. */
function unlockBlocksArb(n: number): fc.Arbitrary<UnlockBlock[]> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.array(fc.nat(), { minLength: n, maxLength: n }),
      fc.uniqueArray(fc.tuple(bytes(32), bytes(64)), {
        minLength: n,
        maxLength: n,
        selector: ([k, s]) => toHex(k) + toHex(s),
      }),
    )
    .map(([isRef, picks, sigs]) => {
      const sigIndexes: number[] = [];
      return sigs.map(([publicKey, signature], i): UnlockBlock => {
        if (i > 0 && isRef[i]) {
          return { type: 1, reference: sigIndexes[picks[i]! % sigIndexes.length]! };
        }
        sigIndexes.push(i);
        return { type: 0, signature: { type: 0, publicKey, signature } };
      });
    });
}

export const transactionArb: fc.Arbitrary<TransactionPayload> = fc
  .tuple(
    fc.uniqueArray(inputArb, { minLength: 1, maxLength: 6, selector: (i) => toHex(inputBytes(i)) }),
    fc.uniqueArray(outputArb, {
      minLength: 1,
      maxLength: 6,
      selector: (o) => `${o.type}:${toHex(o.address.address)}`,
    }),
    fc.option(indexationArb, { nil: null }),
  )
  .chain(([inputs, outputs, payload]) =>
    unlockBlocksArb(inputs.length).map(
      (unlockBlocks): TransactionPayload => ({
        type: 0,
        essence: {
          type: 0,
          inputs: sortBy(inputBytes)(inputs),
          outputs: sortBy(outputBytes)(outputs),
          payload,
        },
        unlockBlocks,
      }),
    ),
  );

export const receiptArb: fc.Arbitrary<ReceiptPayload> = rec({
  type: fc.constant(3 as const),
  migratedAt: fc.integer({ min: 0, max: U32_MAX }),
  final: fc.boolean(),
  funds: fc
    .uniqueArray(
      rec({
        tailTransactionHash: bytes(49),
        address: rec({ type: fc.constant(0 as const), address: bytes(32) }),
        deposit: fc.bigInt(1_000_000n, SAFE),
      }),
      { minLength: 1, maxLength: 4, selector: (e) => toHex(fundsBytes(e)) },
    )
    .map(sortBy(fundsBytes)),
  transaction: rec({
    type: fc.constant(4 as const),
    input: rec({ type: fc.constant(1 as const), milestoneId: bytes(32) }),
    output: rec({ type: fc.constant(2 as const), amount: fc.bigInt(0n, SAFE) }),
  }),
});

/** Next-PoW-score fields Hornet accepts: score 0 with any index, or a score and a later index. */
const powFieldsArb = (index: number) =>
  index < U32_MAX
    ? fc.oneof(
        fc.tuple(fc.constant(0), fc.integer({ min: 0, max: U32_MAX })),
        fc.tuple(fc.integer({ min: 1, max: U32_MAX }), fc.integer({ min: index + 1, max: U32_MAX })),
      )
    : fc.tuple(fc.constant(0), fc.integer({ min: 0, max: U32_MAX }));

export function milestoneArb(parents: Uint8Array[]): fc.Arbitrary<MilestonePayload> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: U32_MAX }),
      fc.bigInt(0n, SAFE),
      bytes(32),
      fc
        .uniqueArray(bytes(32), { minLength: 1, maxLength: 5, selector: toHex })
        .map(sortBy((k: Uint8Array) => k)),
      fc.option(receiptArb, { nil: null }),
    )
    .chain(([index, timestamp, inclusionMerkleProof, publicKeys, receipt]) =>
      fc
        .tuple(
          powFieldsArb(index),
          fc.array(bytes(64), { minLength: publicKeys.length, maxLength: publicKeys.length }),
        )
        .map(
          ([[nextPoWScore, nextPoWScoreMilestoneIndex], signatures]): MilestonePayload => ({
            type: 1,
            index,
            timestamp,
            parents: parents.map((p) => p.slice()),
            inclusionMerkleProof,
            nextPoWScore,
            nextPoWScoreMilestoneIndex,
            publicKeys,
            receipt,
            signatures,
          }),
        ),
    );
}

export const messageArb: fc.Arbitrary<Message> = parentsArb.chain((parents) =>
  rec({
    networkId: fc.bigInt(0n, U64_MAX),
    parents: fc.constant(parents),
    payload: fc.oneof(
      fc.constant(null),
      indexationArb,
      transactionArb,
      milestoneArb(parents),
    ) as fc.Arbitrary<Message["payload"]>,
    nonce: fc.bigInt(0n, U64_MAX),
  }),
);
