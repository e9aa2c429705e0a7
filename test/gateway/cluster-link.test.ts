import assert from "node:assert/strict";
import { test } from "node:test";
import { gatewayConfigSchema } from "../../src/config/gateway.ts";
import { linkedShared, PrimaryLink } from "../../src/gateway/cluster/link.ts";
import type { WorkerCall, WorkerMessage } from "../../src/gateway/cluster/protocol.ts";
import { createLogger } from "../../src/util/logger.ts";

const tick = () => new Promise((r) => setImmediate(r));

test("a worker's calls made in one tick leave as one message, and each answer reaches its caller", async () => {
  const sent: WorkerMessage[] = [];
  const link = new PrimaryLink((m) => sent.push(m));
  const config = gatewayConfigSchema.parse({
    upstreams: ["http://127.0.0.1:1"],
    kernelBan: { enabled: true },
  });
  const shared = linkedShared(config, link, createLogger({ level: "silent" }));
  const a = shared.connections.tryTake("ip:192.0.2.1", 4) as Promise<boolean>;
  const b = shared.powSubmits.tryTake("ip:192.0.2.2", 2) as Promise<boolean>;
  const c = shared.limiter.take("ip:192.0.2.1", 5, 2);
  shared.refusals.refused("192.0.2.9", "rate_limited");
  assert.equal(sent.length, 0, "nothing leaves before the tick ends");
  await tick();
  assert.equal(sent.length, 1);
  const calls = (sent[0] as { calls: WorkerCall[] }).calls;
  assert.deepEqual(
    calls.map((x) => x.op),
    ["slot", "slot", "take", "refused"],
  );
  const ids = calls.flatMap((x) => ("id" in x ? [x.id] : []));
  assert.equal(new Set(ids).size, 3);
  const decision = { allowed: false, limit: 400, remaining: 0, resetSeconds: 4, retryAfterSeconds: 1 };
  // Answers may come in any order and in several batches.
  link.answered([
    { id: ids[2]!, decision },
    { id: ids[1]!, granted: false },
  ]);
  link.answered([{ id: ids[0]!, granted: true }]);
  assert.deepEqual(await Promise.all([a, b, c]), [true, false, decision]);
  assert.equal(shared.connections.total, 1, "the worker counts what it holds");
  assert.equal(shared.powSubmits.total, 0);
  shared.connections.release("ip:192.0.2.1");
  assert.equal(shared.connections.total, 0);
  await tick();
  assert.deepEqual((sent[1] as { calls: WorkerCall[] }).calls, [
    { op: "release", table: "connections", key: "ip:192.0.2.1" },
  ]);
});

test("without the kernel ban no refusal crosses to the primary", async () => {
  const sent: WorkerMessage[] = [];
  const link = new PrimaryLink((m) => sent.push(m));
  const config = gatewayConfigSchema.parse({ upstreams: ["http://127.0.0.1:1"] });
  linkedShared(config, link, createLogger({ level: "silent" })).refusals.refused("192.0.2.9", "rate_limited");
  await tick();
  assert.deepEqual(sent, []);
});
