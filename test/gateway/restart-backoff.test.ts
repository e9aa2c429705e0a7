import assert from "node:assert/strict";
import { test } from "node:test";
import { RestartBackoff } from "../../src/util/restart-backoff.ts";

test("restart delays double from 0.5 s to 30 s while the process keeps dying, and start over after a healthy minute", () => {
  const b = new RestartBackoff();
  const delays = Array.from({ length: 9 }, () => b.next(1000));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  assert.equal(b.next(61_000), 500);
  assert.equal(b.next(1000), 1000);
});
