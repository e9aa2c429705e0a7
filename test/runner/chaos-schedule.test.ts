// The chaos run's fault schedule (test/helpers/chaos.ts): a seed replays it, and each round of five
// faults hits every part once, so a short CI run covers them all.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FAULT_TARGETS, faultSchedule, seededRandom } from "../helpers/chaos.ts";

describe("chaos fault schedule", () => {
  it("the same seed gives the same schedule, another seed another one", () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      const next = faultSchedule(random);
      return Array.from({ length: 20 }, () => [next(), random().toFixed(6)].join(" "));
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  it("numbers fall in [0, 1) and spread over it", () => {
    const random = seededRandom(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1, String(x));
      buckets[Math.floor(x * 10)]++;
    }
    for (const b of buckets) assert.ok(b > 800 && b < 1200, `bucket ${b} of 10,000 draws`);
  });

  it("every round of five faults hits each part once, in varying orders", () => {
    const next = faultSchedule(seededRandom(1));
    const orders = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const r = Array.from({ length: FAULT_TARGETS.length }, next);
      assert.deepEqual([...r].sort(), [...FAULT_TARGETS].sort());
      orders.add(r.join(","));
    }
    assert.ok(orders.size > 5, `${orders.size} distinct orders in 20 rounds`);
  });
});
