import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TipPool } from "../../src/node/tangle/tip-pool.ts";

const id = (n: number) => new Uint8Array(32).fill(n);

describe("URTS tip pool", () => {
  it("selects up to 4 distinct tips, sorted", () => {
    const pool = new TipPool({ maxTips: 100, maxChildren: 30, maxReferencedTipAgeMs: 3000 });
    for (let i = 10; i > 0; i--) pool.add(id(i), []);
    const tips = pool.select(4, () => true);
    assert.equal(tips.length, 4);
    assert.equal(new Set(tips.map((t) => t[0])).size, 4);
    assert.deepEqual([...tips].sort(Buffer.compare), tips);
  });

  it("drops a tip with too many children and one referenced for too long", () => {
    const pool = new TipPool({ maxTips: 100, maxChildren: 2, maxReferencedTipAgeMs: 1000 });
    pool.add(id(1), [], 0);
    pool.add(id(2), [id(1)], 0);
    pool.add(id(3), [id(1)], 0);
    assert.equal(pool.size, 3);
    pool.add(id(4), [id(1)], 0); // third child: over maxChildren
    assert.equal(pool.size, 3);
    assert.ok(!pool.select(4, () => true, 0).some((t) => t[0] === 1));
    pool.add(id(5), [id(2)], 0);
    const later = pool.select(4, () => true, 5000);
    assert.ok(!later.some((t) => t[0] === 2), "tip 2 was referenced 5 s ago");
  });

  it("evicts the oldest beyond the size limit and unusable (lazy) tips", () => {
    const pool = new TipPool({ maxTips: 3, maxChildren: 30, maxReferencedTipAgeMs: 3000 });
    for (let i = 1; i <= 5; i++) pool.add(id(i), []);
    assert.equal(pool.size, 3);
    const tips = pool.select(4, (t) => t[0] !== 5);
    assert.deepEqual(
      tips.map((t) => t[0]),
      [3, 4],
    );
  });
});

describe("tip pool size limit", () => {
  it("evicts approved tips before unapproved ones, so no message is orphaned by a burst", () => {
    const pool = new TipPool({ maxTips: 4, maxChildren: 30, maxReferencedTipAgeMs: 60_000 });
    pool.add(id(1), [], 0); // never approved
    pool.add(id(2), [], 0);
    pool.add(id(3), [id(2)], 0); // approves 2
    pool.add(id(4), [id(3)], 0); // approves 3
    pool.add(id(5), [id(4)], 0); // over the limit: 2, the oldest approved, goes; 1 stays
    const left = () =>
      pool
        .select(10, () => true, 0)
        .map((t) => t[0])
        .sort();
    assert.deepEqual(left(), [1, 3, 4, 5]);
    pool.add(id(6), [], 0);
    assert.deepEqual(left(), [1, 4, 5, 6]);
    // When no tip has an approver, the oldest goes.
    const fresh = new TipPool({ maxTips: 2, maxChildren: 30, maxReferencedTipAgeMs: 60_000 });
    for (let i = 1; i <= 3; i++) fresh.add(id(i), [], 0);
    assert.deepEqual(
      fresh
        .select(10, () => true, 0)
        .map((t) => t[0])
        .sort(),
      [2, 3],
    );
  });
});

describe("tip laziness cache", () => {
  it("judges each tip once per generation, again when the generation changes", () => {
    const pool = new TipPool({ maxTips: 100, maxChildren: 30, maxReferencedTipAgeMs: 3000 });
    for (let i = 1; i <= 3; i++) pool.add(id(i), [], 0);
    let checks = 0;
    const usable = () => {
      checks++;
      return true;
    };
    pool.select(4, usable, 0, 7);
    pool.select(4, usable, 0, 7);
    assert.equal(checks, 3);
    pool.select(4, usable, 0, 8);
    assert.equal(checks, 6);
    pool.select(4, usable, 0, -1);
    assert.equal(checks, 9);
  });
});
