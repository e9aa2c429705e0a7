import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { whiteFlag } from "../../src/node/ledger/white-flag.ts";
import type { Message } from "../../src/protocol/types.ts";

const id = (n: number) => new Uint8Array(32).fill(n);
const msg = (parents: number[], tx = false): Message => ({
  networkId: 1n,
  parents: parents.map(id),
  nonce: 0n,
  payload: tx
    ? {
        type: 0,
        essence: { type: 0, inputs: [], outputs: [], payload: null },
        unlockBlocks: [],
      }
    : null,
});

describe("white-flag traversal", () => {
  // 1 is already referenced. 2 -> 1; 3 -> 1,2; 4 -> 2 (tx); milestone parents [3, 4].
  const cone = new Map<number, Message>([
    [2, msg([1])],
    [3, msg([1, 2])],
    [4, msg([2], true)],
  ]);
  const access = {
    message: (x: Uint8Array) => cone.get(x[0]!),
    isReferenced: (x: Uint8Array) => x[0] === 1,
  };

  it("emits parents before children, parents in stored order, each once", () => {
    const r = whiteFlag([id(3), id(4)], access)!;
    assert.deepEqual(
      r.entries.map((e) => e.id[0]),
      [2, 3, 4],
    );
  });

  it("judges transactions against the (empty) ledger: conflicting, input not found", () => {
    const r = whiteFlag([id(3), id(4)], access)!;
    const tx = r.entries.find((e) => e.id[0] === 4)!;
    assert.equal(tx.inclusion, 2);
    assert.equal(tx.conflictReason, 3);
    assert.equal(r.entries.find((e) => e.id[0] === 2)!.inclusion, 0);
    assert.deepEqual(r.includedTransactions, []);
  });

  it("returns null when the cone is not solid", () => {
    assert.equal(whiteFlag([id(9)], access), null);
  });
});
