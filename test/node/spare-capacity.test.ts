import assert from "node:assert/strict";
import { test } from "node:test";
import { agentLine, spareCapacity } from "../../src/util/spare-capacity.ts";

const idlePool = { workers: 2, busyWorkers: 0, queueDepth: 0 };

test("spare capacity: unhealthy is down, not synced is drain, before any load", () => {
  assert.deepEqual(spareCapacity({ pow: null, eventLoopUtilization: 0, synced: true, healthy: false }), {
    state: "down",
  });
  assert.deepEqual(spareCapacity({ pow: null, eventLoopUtilization: 0, synced: false, healthy: true }), {
    state: "drain",
  });
});

test("spare capacity: the event loop's idle share times the share a new PoW job would get", () => {
  const up = (pow: typeof idlePool | null, elu: number) =>
    spareCapacity({ pow, eventLoopUtilization: elu, synced: true, healthy: true });
  assert.deepEqual(up(null, 0), { state: "up", percent: 100 });
  assert.deepEqual(up(idlePool, 0.25), { state: "up", percent: 75 });
  assert.deepEqual(up({ ...idlePool, busyWorkers: 2 }, 0), { state: "up", percent: 50 });
  assert.deepEqual(up({ ...idlePool, busyWorkers: 2, queueDepth: 3 }, 0.2), { state: "up", percent: 16 });
  // Never 0 (a loaded node keeps a trickle), never beyond 100, and nonsense ELU counts as idle.
  assert.deepEqual(up({ ...idlePool, busyWorkers: 2, queueDepth: 500 }, 1), { state: "up", percent: 1 });
  assert.deepEqual(up(null, Number.NaN), { state: "up", percent: 100 });
  assert.deepEqual(up(null, -3), { state: "up", percent: 100 });
});

test("agent-check lines are what HAProxy reads", () => {
  assert.equal(agentLine({ state: "up", percent: 42 }), "up 42%\n");
  assert.equal(agentLine({ state: "drain" }), "drain\n");
  assert.equal(agentLine({ state: "down" }), "down\n");
});
