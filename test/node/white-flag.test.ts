// White flag (TIP-2) with the ledger: traversal order, and every conflict reason Hornet gives, on real
// signed transactions against an in-memory ledger.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AddressBalance, LedgerOutput } from "../../src/node/ledger/records.ts";
import { CONFLICT, INCLUSION, type LedgerReader, whiteFlag } from "../../src/node/ledger/white-flag.ts";
import { missingInCone } from "../../src/node/tangle/milestone-cone.ts";
import { ed25519Sign } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { messageId, serializeMessage } from "../../src/protocol/message.ts";
import type { Message, TransactionPayload } from "../../src/protocol/types.ts";
import {
  outputsOf,
  type Pay,
  type Spend,
  transaction,
  type Wallet,
  wallet,
} from "../helpers/transactions.ts";

const NET = 5n;
const REF = new Uint8Array(32).fill(0xee); // an already referenced message: the cone stops there

/** A ledger holding the given unspent outputs (and knowing `spentIds` as spent). */
function memoryLedger(outputs: LedgerOutput[], spentIds: Uint8Array[] = []): LedgerReader {
  const byId = new Map(outputs.map((o) => [toHex(o.outputId), o]));
  const spent = new Set(spentIds.map(toHex));
  return {
    output: (id) => byId.get(toHex(id)),
    isSpent: (id) => spent.has(toHex(id)),
    balance: (address): AddressBalance => {
      const b = { balance: 0n, dustAllowance: 0n, dustOutputs: 0 };
      for (const o of byId.values()) {
        if (spent.has(toHex(o.outputId)) || toHex(o.address) !== toHex(address)) continue;
        b.balance += o.amount;
        if (o.outputType === 1) b.dustAllowance += o.amount;
        if (o.outputType === 0 && o.amount < 1_000_000n) b.dustOutputs += 1;
      }
      return b;
    },
  };
}

function genesisOutput(owner: Wallet, amount: bigint, n: number, outputType: 0 | 1 = 0): LedgerOutput {
  const outputId = new Uint8Array(34);
  outputId[0] = 0xab;
  outputId[32] = n;
  return { outputId, messageId: new Uint8Array(32), outputType, address: owner.address, amount, bookedAt: 0 };
}

/** Messages chained one after another (each the parent of the next), so white-flag order = array order. */
function chain(txs: (TransactionPayload | null)[]): {
  parents: Uint8Array[];
  store: Map<string, Uint8Array>;
  ids: Uint8Array[];
} {
  const store = new Map<string, Uint8Array>();
  const ids: Uint8Array[] = [];
  let parent: Uint8Array = REF;
  for (const tx of txs) {
    const msg: Message = { networkId: NET, parents: [parent], payload: tx, nonce: 0n };
    const bytes = serializeMessage(msg);
    const id = messageId(bytes);
    store.set(toHex(id), bytes);
    ids.push(id);
    parent = id;
  }
  return { parents: [parent], store, ids };
}

async function run(txs: (TransactionPayload | null)[], ledger: LedgerReader) {
  const c = chain(txs);
  const r = await whiteFlag(
    c.parents,
    { bytes: (id) => c.store.get(toHex(id)), isReferenced: (id) => toHex(id) === toHex(REF) },
    ledger,
    7,
  );
  assert.ok(r);
  return { ...r, ids: c.ids };
}

const alice = wallet(new Uint8Array(32).fill(1));
const bob = wallet(new Uint8Array(32).fill(2));
const carol = wallet(new Uint8Array(32).fill(3));
const M = 1_000_000n;

describe("white flag: traversal", () => {
  it("emits parents before children, parents in stored order, each once; null when not solid", async () => {
    // a <- b, a <- c, milestone parents [b, c] (sorted as stored), d missing.
    const mk = (parents: Uint8Array[], tag: number) => {
      const msg: Message = {
        networkId: NET,
        parents,
        payload: { type: 2, index: Uint8Array.of(tag), data: new Uint8Array(0) },
        nonce: 0n,
      };
      const bytes = serializeMessage(msg);
      return { id: messageId(bytes), bytes };
    };
    const a = mk([REF], 1);
    const b = mk([a.id], 2);
    const c = mk([a.id], 3);
    const store = new Map([a, b, c].map((m) => [toHex(m.id), m.bytes]));
    const cone = {
      bytes: (id: Uint8Array) => store.get(toHex(id)),
      isReferenced: (id: Uint8Array) => toHex(id) === toHex(REF),
    };
    const r = (await whiteFlag([b.id, c.id], cone, memoryLedger([]), 1))!;
    assert.deepEqual(
      r.entries.map((e) => toHex(e.id)),
      [a, b, c].map((m) => toHex(m.id)),
    );
    assert.ok(r.entries.every((e) => e.inclusion === INCLUSION.noTransaction));
    assert.equal(await whiteFlag([new Uint8Array(32).fill(9)], cone, memoryLedger([]), 1), null);

    // What an unsolid cone lacks, to be asked for again: b's store lost, d never came.
    const d = new Uint8Array(32).fill(9);
    const e = mk([c.id, d], 4);
    store.set(toHex(e.id), e.bytes);
    store.delete(toHex(b.id));
    assert.deepEqual(missingInCone([b.id, e.id], cone).map(toHex).sort(), [b.id, d].map(toHex).sort());
    assert.deepEqual(missingInCone([c.id], cone), [], "a solid cone lacks nothing");
    assert.equal(missingInCone([b.id, e.id], cone, 1).length, 1, "at most limit");
  });
});

describe("white flag: transactions", () => {
  const funds = genesisOutput(alice, 10n * M, 0);
  const spend = (o: LedgerOutput, owner = alice): Spend => ({ outputId: o.outputId, owner });
  const pay = (w: Wallet, amount: bigint, type: 0 | 1 = 0): Pay => ({ address: w.address, amount, type });

  it("a valid transfer is included: inputs spent, outputs created, in order", async () => {
    const tx = transaction([spend(funds)], [pay(bob, 4n * M), pay(alice, 6n * M)]);
    const r = await run([tx], memoryLedger([funds]));
    assert.equal(r.entries[0]!.inclusion, INCLUSION.included);
    assert.deepEqual(r.includedTransactions.map(toHex), [toHex(r.ids[0]!)]);
    assert.equal(r.mutations.spent.length, 1);
    assert.equal(toHex(r.mutations.spent[0]!.output.outputId), toHex(funds.outputId));
    assert.equal(r.mutations.spent[0]!.spent.spentAt, 7);
    assert.deepEqual(
      r.mutations.created.map((o) => [o.amount, o.bookedAt, toHex(o.messageId)]),
      tx.essence.outputs.map((o) => [o.amount, 7, toHex(r.ids[0]!)]),
    );
  });

  it("a double spend inside the milestone: the first in white-flag order wins, the second is reason 2", async () => {
    const a = transaction([spend(funds)], [pay(bob, 10n * M)]);
    const b = transaction([spend(funds)], [pay(carol, 10n * M)]);
    const r = await run([a, b], memoryLedger([funds]));
    assert.deepEqual(
      r.entries.map((e) => [e.inclusion, e.conflictReason]),
      [
        [INCLUSION.included, 0],
        [INCLUSION.conflicting, CONFLICT.inputSpentInThisMilestone],
      ],
    );
  });

  it("spent before (1), unknown input (3), unequal sums (4)", async () => {
    const spentBefore = await run(
      [transaction([spend(funds)], [pay(bob, 10n * M)])],
      memoryLedger([funds], [funds.outputId]),
    );
    assert.equal(spentBefore.entries[0]!.conflictReason, CONFLICT.inputAlreadySpent);
    const unknown = await run([transaction([spend(funds)], [pay(bob, 10n * M)])], memoryLedger([]));
    assert.equal(unknown.entries[0]!.conflictReason, CONFLICT.inputNotFound);
    const sums = await run([transaction([spend(funds)], [pay(bob, 9n * M)])], memoryLedger([funds]));
    assert.equal(sums.entries[0]!.conflictReason, CONFLICT.inputOutputSumMismatch);
    assert.deepEqual(sums.includedTransactions, []);
    assert.deepEqual(sums.mutations, { created: [], spent: [] });
  });

  it("a bad signature, or a key that is not the input's address, is reason 5", async () => {
    const forged = transaction([spend(funds)], [pay(bob, 10n * M)], {
      sign: (seed, h) => {
        const s = Uint8Array.from(ed25519Sign(seed, h));
        s[0]! ^= 1;
        return s;
      },
    });
    assert.equal(
      (await run([forged], memoryLedger([funds]))).entries[0]!.conflictReason,
      CONFLICT.invalidSignature,
    );
    // Bob signs for Alice's output: a valid signature, by the wrong key.
    const stolen = transaction([spend(funds, bob)], [pay(bob, 10n * M)]);
    assert.equal(
      (await run([stolen], memoryLedger([funds]))).entries[0]!.conflictReason,
      CONFLICT.invalidSignature,
    );
  });

  it("a transaction may spend an output created earlier in the same milestone", async () => {
    const a = transaction([spend(funds)], [pay(bob, 10n * M)]);
    const bobsNew = { ...funds, outputId: outputsOf(a)[0]!, address: bob.address };
    const b = transaction([{ outputId: bobsNew.outputId, owner: bob }], [pay(carol, 10n * M)]);
    const r = await run([a, b], memoryLedger([funds]));
    assert.deepEqual(
      r.entries.map((e) => e.inclusion),
      [INCLUSION.included, INCLUSION.included],
    );
  });

  it("several inputs on one address share a signature block (reference blocks)", async () => {
    const f1 = genesisOutput(alice, 2n * M, 1);
    const f2 = genesisOutput(alice, 3n * M, 2);
    const tx = transaction([spend(f1), spend(f2)], [pay(bob, 5n * M)]);
    assert.equal(tx.unlockBlocks[1]!.type, 1);
    assert.equal((await run([tx], memoryLedger([f1, f2]))).entries[0]!.inclusion, INCLUSION.included);
  });

  it("inputs on one address unlocked by two different signature blocks are reason 255", async () => {
    const f1 = genesisOutput(alice, 2n * M, 1);
    const f2 = genesisOutput(alice, 3n * M, 2);
    const tx = transaction([spend(f1), spend(f2)], [pay(bob, 5n * M)]);
    // Replace the reference by a second (valid) signature block of the same key.
    const first = tx.unlockBlocks[0]!;
    assert.equal(first.type, 0);
    if (first.type === 0) tx.unlockBlocks[1] = { type: 0, signature: first.signature };
    assert.equal(
      (await run([tx], memoryLedger([f1, f2]))).entries[0]!.conflictReason,
      CONFLICT.semanticValidationFailed,
    );
  });

  describe("dust (TIP-15)", () => {
    it("1 i to an address without dust allowance is reason 6", async () => {
      const tx = transaction([spend(funds)], [pay(bob, 1n), pay(alice, 10n * M - 1n)]);
      assert.equal(
        (await run([tx], memoryLedger([funds]))).entries[0]!.conflictReason,
        CONFLICT.invalidDustAllowance,
      );
    });

    it("with a dust allowance output on the address (ledger or same transaction) it is included", async () => {
      const allowance = genesisOutput(bob, M, 5, 1);
      const tx = transaction([spend(funds)], [pay(bob, 1n), pay(alice, 10n * M - 1n)]);
      assert.equal(
        (await run([tx], memoryLedger([funds, allowance]))).entries[0]!.inclusion,
        INCLUSION.included,
      );
      const both = transaction([spend(funds)], [pay(bob, M, 1), pay(bob, 1n), pay(alice, 9n * M - 1n)]);
      assert.equal((await run([both], memoryLedger([funds]))).entries[0]!.inclusion, INCLUSION.included);
    });

    it("1 M of allowance admits 10 dust outputs, the 11th in the milestone is reason 6", async () => {
      const allowance = genesisOutput(bob, M, 5, 1);
      const sources = Array.from({ length: 11 }, (_, i) => genesisOutput(alice, 2n * M, 10 + i));
      const txs = sources.map((s) => transaction([spend(s)], [pay(bob, 1n), pay(alice, 2n * M - 1n)]));
      const r = await run(txs, memoryLedger([allowance, ...sources]));
      assert.deepEqual(
        r.entries.map((e) => e.conflictReason),
        [...Array(10).fill(0), CONFLICT.invalidDustAllowance],
      );
    });

    it("spending the dust allowance while dust remains on the address is reason 6", async () => {
      const allowance = genesisOutput(bob, M, 5, 1);
      const dust = genesisOutput(bob, 1n, 6);
      const tx = transaction([{ outputId: allowance.outputId, owner: bob }], [pay(carol, M)]);
      assert.equal(
        (await run([tx], memoryLedger([allowance, dust]))).entries[0]!.conflictReason,
        CONFLICT.invalidDustAllowance,
      );
      // Spending the dust along with it is fine.
      const sweep = transaction(
        [
          { outputId: allowance.outputId, owner: bob },
          { outputId: dust.outputId, owner: bob },
        ],
        [pay(carol, M + 1n)],
      );
      assert.equal(
        (await run([sweep], memoryLedger([allowance, dust]))).entries[0]!.inclusion,
        INCLUSION.included,
      );
    });
  });
});
