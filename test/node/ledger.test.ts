// The LMDB ledger: snapshot loading, what one milestone's mutations write (outputs, spents, address
// indexes, balances, diffs, state hash), receipts, and a property test: random milestones of valid and
// invalid transactions keep the supply, the balances and the state hash consistent.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { Ledger, type LedgerMutations } from "../../src/node/ledger/ledger.ts";
import { InvalidReceipt, receiptMutations } from "../../src/node/ledger/receipt.ts";
import type { LedgerOutput } from "../../src/node/ledger/records.ts";
import { CONFLICT, INCLUSION, whiteFlag } from "../../src/node/ledger/white-flag.ts";
import { Store } from "../../src/node/store/store.ts";
import { ed25519Sign } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { messageId, serializeMessage } from "../../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { Message, ReceiptPayload, TransactionPayload } from "../../src/protocol/types.ts";
import { outputsOf, transaction, type Wallet, wallet } from "../helpers/transactions.ts";

const dirs: string[] = [];
function freshLedger(): { store: Store; ledger: Ledger } {
  const dir = mkdtempSync(join(tmpdir(), "stinger-ledger-"));
  dirs.push(dir);
  const store = new Store(dir);
  return { store, ledger: new Ledger(store.root) };
}

const alice = wallet(new Uint8Array(32).fill(1));
const bob = wallet(new Uint8Array(32).fill(2));
const M = 1_000_000n;
const ZERO_ID = new Uint8Array(32);

function genesis(owner: Wallet, amount = TOTAL_SUPPLY): LedgerOutput {
  return {
    outputId: new Uint8Array(34),
    messageId: ZERO_ID,
    outputType: 0,
    address: owner.address,
    amount,
    bookedAt: 0,
  };
}

async function apply(store: Store, ledger: Ledger, index: number, m: LedgerMutations) {
  await store.root.transaction(() => ledger.applyInTransaction(index, m));
}

describe("ledger store", () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("loads a snapshot once: outputs, balances, treasury, index, a state hash that recomputes", async () => {
    const { ledger } = freshLedger();
    assert.equal(ledger.initialized, false);
    await ledger.loadSnapshot(
      [genesis(alice, TOTAL_SUPPLY - 5n * M)],
      { milestoneId: ZERO_ID, amount: 5n * M },
      3,
    );
    assert.equal(ledger.initialized, true);
    assert.equal(ledger.index, 3);
    assert.deepEqual(ledger.balance(alice.address), {
      balance: TOTAL_SUPPLY - 5n * M,
      dustAllowance: 0n,
      dustOutputs: 0,
    });
    assert.equal(ledger.treasury().amount, 5n * M);
    const v = ledger.verify();
    assert.deepEqual(v.problems, []);
    assert.equal(v.unspentSum + v.treasury, TOTAL_SUPPLY);
    await assert.rejects(
      ledger.loadSnapshot([], { milestoneId: ZERO_ID, amount: 0n }, 0),
      /initialized already/,
    );
  });

  it("applies a milestone: spent and unspent indexes per address and type, balances, diff, state hash", async () => {
    const { store, ledger } = freshLedger();
    const g = genesis(alice);
    await ledger.loadSnapshot([g], { milestoneId: ZERO_ID, amount: 0n }, 0);
    const before = toHex(ledger.stateHash());
    const tx = transaction(
      [{ outputId: g.outputId, owner: alice }],
      [
        { address: bob.address, amount: 2n * M, type: 1 },
        { address: bob.address, amount: 1n },
        { address: alice.address, amount: TOTAL_SUPPLY - 2n * M - 1n },
      ],
    );
    const ids = outputsOf(tx);
    const created = tx.essence.outputs.map((o, i) => ({
      outputId: ids[i]!,
      messageId: new Uint8Array(32).fill(7),
      outputType: o.type,
      address: o.address.address,
      amount: o.amount,
      bookedAt: 1,
    }));
    const txId = ids[0]!.subarray(0, 32);
    await apply(store, ledger, 1, {
      created,
      spent: [{ output: g, spent: { transactionId: txId, spentAt: 1 } }],
    });
    assert.equal(ledger.index, 1);
    assert.deepEqual(ledger.balance(bob.address), {
      balance: 2n * M + 1n,
      dustAllowance: 2n * M,
      dustOutputs: 1,
    });
    const spent = ledger.spent(g.outputId)!;
    assert.deepEqual([toHex(spent.transactionId), spent.spentAt], [toHex(txId), 1]);
    const hex = (xs: Uint8Array[]) => xs.map(toHex).sort();
    const of = (w: Wallet, type?: number) =>
      created.filter(
        (o) => toHex(o.address) === toHex(w.address) && (type === undefined || o.outputType === type),
      );
    assert.deepEqual(
      hex(ledger.addressOutputIds(bob.address, { limit: 10 })),
      hex(of(bob).map((o) => o.outputId)),
    );
    assert.deepEqual(
      hex(ledger.addressOutputIds(bob.address, { outputType: 1, limit: 10 })),
      hex(of(bob, 1).map((o) => o.outputId)),
    );
    const change = of(alice)[0]!.outputId;
    assert.deepEqual(ledger.addressOutputIds(alice.address, { limit: 10 }).map(toHex), [toHex(change)]);
    // Unspent first, then spent; the limit counts both.
    assert.deepEqual(ledger.addressOutputIds(alice.address, { includeSpent: true, limit: 10 }).map(toHex), [
      toHex(change),
      toHex(g.outputId),
    ]);
    assert.equal(ledger.addressOutputIds(alice.address, { includeSpent: true, limit: 1 }).length, 1);
    const diff = ledger.diff(1)!;
    assert.deepEqual(diff.created.map(toHex), ids.map(toHex));
    assert.deepEqual(diff.consumed.map(toHex), [toHex(g.outputId)]);
    assert.notEqual(toHex(diff.stateHash), before);
    assert.equal(toHex(diff.stateHash), toHex(ledger.stateHash()));
    assert.deepEqual(ledger.verify().problems, []);
  });

  it("a receipt books the migrated funds and moves the treasury; a wrong one is refused", async () => {
    const { store, ledger } = freshLedger();
    await ledger.loadSnapshot(
      [genesis(alice, TOTAL_SUPPLY - 10n * M)],
      { milestoneId: ZERO_ID, amount: 10n * M },
      0,
    );
    const receipt: ReceiptPayload = {
      type: 3,
      migratedAt: 1000,
      final: false,
      funds: [
        {
          tailTransactionHash: new Uint8Array(49).fill(1),
          address: { type: 0, address: bob.address },
          deposit: 3n * M,
        },
        {
          tailTransactionHash: new Uint8Array(49).fill(2),
          address: { type: 0, address: bob.address },
          deposit: 4n * M,
        },
      ],
      transaction: { type: 4, input: { type: 1, milestoneId: ZERO_ID }, output: { type: 2, amount: 3n * M } },
    };
    const milestoneId = new Uint8Array(32).fill(9);
    const ctx = { milestoneId, messageId: new Uint8Array(32).fill(8), index: 1, treasury: ledger.treasury() };
    const r = receiptMutations(receipt, ctx);
    assert.deepEqual(
      r.created.map((o) => toHex(o.outputId)),
      [`${toHex(milestoneId)}0000`, `${toHex(milestoneId)}0100`],
    );
    await apply(store, ledger, 1, { created: r.created, spent: [], receipt: r.receipt });
    const t = ledger.treasury();
    assert.deepEqual([toHex(t.milestoneId), t.amount], [toHex(milestoneId), 3n * M]);
    assert.equal(ledger.balance(bob.address).balance, 7n * M);
    assert.deepEqual(
      ledger.receiptList().map((x) => [x.migratedAt, x.milestoneIndex]),
      [[1000, 1]],
    );
    assert.deepEqual(ledger.receiptList(999), []);
    assert.equal(ledger.diff(1)!.newTreasury!.amount, 3n * M);
    const v = ledger.verify();
    assert.deepEqual(v.problems, []);
    assert.equal(v.unspentSum + v.treasury, TOTAL_SUPPLY);
    // The new treasury must be the old one minus the migrated funds.
    const wrong = {
      ...receipt,
      transaction: { ...receipt.transaction, output: { type: 2 as const, amount: 1n } },
    };
    assert.throws(() => receiptMutations(wrong, { ...ctx, treasury: ledger.treasury() }), InvalidReceipt);
    const repeated = { ...receipt, funds: [receipt.funds[0]!, receipt.funds[0]!] };
    assert.throws(() => receiptMutations(repeated, ctx), /repeated/);
  });
});

/**
 * Random milestones against a real LMDB ledger: each transaction is valid or broken in one chosen way;
 * each must get exactly the outcome its kind implies, and after every milestone the ledger verifies and
 * every wallet's balance equals what a simple model of the transfers predicts.
 */
describe("ledger property: random valid and invalid transactions", () => {
  const wallets = [1, 2, 3, 4].map((n) => wallet(new Uint8Array(32).fill(40 + n)));
  type Kind = "valid" | "forged" | "sums" | "unknown" | "dust" | "double";
  const EXPECT: Record<Kind, number> = {
    valid: CONFLICT.none,
    forged: CONFLICT.invalidSignature,
    sums: CONFLICT.inputOutputSumMismatch,
    unknown: CONFLICT.inputNotFound,
    dust: CONFLICT.invalidDustAllowance,
    double: CONFLICT.inputSpentInThisMilestone,
  };
  const step = fc.record({
    kind: fc.constantFrom<Kind>("valid", "valid", "valid", "forged", "sums", "unknown", "dust", "double"),
    pick: fc.nat(),
    to: fc.nat({ max: wallets.length - 1 }),
    split: fc.integer({ min: 1, max: 3 }),
  });
  const milestones = fc.array(fc.array(step, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

  it("keeps the supply, balances and state hash, and judges every transaction by its kind", async () => {
    await fc.assert(
      fc.asyncProperty(milestones, async (plan) => {
        const { store, ledger } = freshLedger();
        const funds = wallets.map((w, i) => ({
          ...genesis(w, i === 0 ? TOTAL_SUPPLY - 30n * M : 10n * M),
          outputId: Uint8Array.of(...new Uint8Array(33).fill(i + 1), 0),
        }));
        await ledger.loadSnapshot(funds, { milestoneId: ZERO_ID, amount: 0n }, 0);
        // The model: unspent outputs with their owners and amounts.
        let unspent = funds.map((o) => ({
          id: o.outputId as Uint8Array,
          owner: wallets[funds.indexOf(o)]!,
          amount: o.amount,
        }));
        for (let index = 1; index <= plan.length; index++) {
          const used = new Set<string>();
          const txs: { tx: TransactionPayload; kind: Kind }[] = [];
          const next = [...unspent];
          for (const s of plan[index - 1]!) {
            const free = unspent.filter((u) => !used.has(toHex(u.id)));
            let kind = s.kind;
            if (kind === "double" && used.size === 0) kind = "valid";
            if (kind !== "double" && free.length === 0) continue;
            const src =
              kind === "double" ? unspent.find((u) => used.has(toHex(u.id)))! : free[s.pick % free.length]!;
            const to = wallets[s.to]!;
            const parts = Array.from({ length: s.split }, (_, i) =>
              i === 0 ? src.amount - BigInt(s.split - 1) * M : M,
            );
            let pays = parts.map((amount, i) => ({
              address: i % 2 === 0 ? to.address : src.owner.address,
              amount,
            }));
            // Merge outputs that landed on the same address (one output per address and type).
            pays = [...new Map(pays.map((p) => [toHex(p.address), { ...p, amount: 0n }])).values()].map(
              (p) => ({
                ...p,
                amount: pays
                  .filter((q) => toHex(q.address) === toHex(p.address))
                  .reduce((n, q) => n + q.amount, 0n),
              }),
            );
            let spends = [{ outputId: src.id, owner: src.owner }];
            let sign: ((seed: Uint8Array, h: Uint8Array) => Uint8Array) | undefined;
            if (kind === "sums") pays = [{ ...pays[0]!, amount: pays[0]!.amount + 1n }, ...pays.slice(1)];
            if (kind === "unknown") spends = [{ outputId: new Uint8Array(34).fill(0xfe), owner: src.owner }];
            if (kind === "forged")
              sign = (seed, h) => {
                const x = Uint8Array.from(ed25519Sign(seed, h));
                x[5]! ^= 1;
                return x;
              };
            if (kind === "dust") {
              // 1 i to a fresh address with no allowance.
              const fresh = wallet(new Uint8Array(32).fill(200 + index)).address;
              pays = [
                { address: fresh, amount: 1n },
                { address: src.owner.address, amount: src.amount - 1n },
              ];
            }
            if (kind === "unknown" && src.amount < 1n) continue;
            if (pays.some((p) => p.amount <= 0n)) continue;
            const tx = transaction(spends, pays, { sign });
            txs.push({ tx, kind });
            if (kind === "valid") {
              used.add(toHex(src.id));
              const ids = outputsOf(tx);
              next.splice(next.indexOf(src), 1);
              tx.essence.outputs.forEach((o, i) => {
                const owner = wallets.find((w) => toHex(w.address) === toHex(o.address.address))!;
                next.push({ id: ids[i]!, owner, amount: o.amount });
              });
            }
          }
          // Chain the messages so white-flag order is plan order.
          const bytes = new Map<string, Uint8Array>();
          let parent = new Uint8Array(32) as Uint8Array;
          for (const { tx } of txs) {
            const msg: Message = { networkId: 1n, parents: [parent], payload: tx, nonce: 0n };
            const b = serializeMessage(msg);
            parent = messageId(b);
            bytes.set(toHex(parent), b);
          }
          const r = await whiteFlag(
            [parent],
            { bytes: (id) => bytes.get(toHex(id)), isReferenced: (id) => !bytes.has(toHex(id)) },
            ledger,
            index,
          );
          assert.ok(r);
          assert.deepEqual(
            r.entries.map((e) => e.conflictReason),
            txs.map((t) => EXPECT[t.kind]),
          );
          assert.equal(
            r.entries.filter((e) => e.inclusion === INCLUSION.included).length,
            txs.filter((t) => t.kind === "valid").length,
          );
          await apply(store, ledger, index, r.mutations);
          unspent = next;
          const v = ledger.verify();
          assert.deepEqual(v.problems, []);
          assert.equal(v.unspentSum + v.treasury, TOTAL_SUPPLY);
          for (const w of wallets) {
            const expected = unspent.filter((u) => u.owner === w).reduce((n, u) => n + u.amount, 0n);
            assert.equal(
              ledger.balance(w.address).balance,
              expected,
              `balance of wallet ${wallets.indexOf(w)}`,
            );
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});
