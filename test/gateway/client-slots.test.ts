import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientSlots } from "../../src/gateway/client-slots.ts";

test("slots are counted per client and in total; a release without a take changes nothing", () => {
  const slots = new ClientSlots();
  for (const client of ["a", "a", "b"]) assert.equal(slots.tryTake(client, Number.POSITIVE_INFINITY), true);
  assert.deepEqual([slots.of("a"), slots.of("b"), slots.of("c"), slots.total], [2, 1, 0, 3]);
  slots.release("a");
  slots.release("c");
  assert.deepEqual([slots.of("a"), slots.total], [1, 2]);
  slots.release("a");
  slots.release("a");
  slots.release("b");
  assert.deepEqual([slots.of("a"), slots.of("b"), slots.total], [0, 0, 0]);
});
