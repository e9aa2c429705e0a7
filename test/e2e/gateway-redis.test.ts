// Rate limits shared by two gateway instances through one real redis-server, and what each does when
// Redis goes away: fail-open lets requests through, fail-closed answers 503; both recover.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";
import { freePort } from "../helpers/peers.ts";
import { type RunningRedis, startRedis as startRedisServer } from "../helpers/redis.ts";

describe("gateway rate limits in Redis", () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  let redis: RunningRedis | undefined;
  let redisPort = 0;
  let open: RunningGateway;
  let closed: RunningGateway;

  const startRedis = async () => {
    redis = await startRedisServer(redisPort);
  };

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    redisPort = await freePort();
    await startRedis();
    for (const mode of ["open", "closed"] as const) {
      writeFileSync(
        join(dir, `${mode}.json`),
        JSON.stringify({
          bindAddress: "127.0.0.1:0",
          adminBindAddress: "127.0.0.1:0",
          upstreams: [devnet.url],
          rateLimit: {
            capacity: 20,
            refillPerSecond: 0.1,
            redis: { url: `redis://127.0.0.1:${redisPort}`, failMode: mode },
          },
          logger: { level: "error" },
        }),
      );
    }
    open = await startGateway(join(dir, "open.json"));
    closed = await startGateway(join(dir, "closed.json"));
    await waitFor(
      async () => (await getFrom(open.url, "/api/v1/info", { localAddress: "127.0.0.1" })).status === 200,
      20_000,
      "gateway ready",
    );
    // Fail-open answers 200 even before its Redis connection is up; fail-closed proves the connection.
    await waitFor(
      async () => (await getFrom(closed.url, "/api/v1/info", { localAddress: "127.0.0.1" })).status === 200,
      20_000,
      "fail-closed gateway connected to Redis",
    );
  });

  after(async () => {
    await redis?.stop("SIGKILL");
    assert.equal(await open.stop(), 0);
    assert.equal(await closed.stop(), 0);
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("two instances share one client's bucket", async () => {
    let allowed = 0;
    for (let i = 0; i < 60; i++) {
      const s = (
        await getFrom(i % 2 === 0 ? open.url : closed.url, "/api/v1/info", { localAddress: "127.0.0.9" })
      ).status;
      if (s === 200) allowed++;
      else assert.equal(s, 429);
    }
    // 20 tokens in all (plus at most one refilled during the run), not 20 per instance.
    assert.ok(allowed >= 20 && allowed <= 21, `allowed ${allowed}`);
  });

  it("Redis killed: fail-open serves, fail-closed answers 503; both recover when it is back", async () => {
    await redis!.stop("SIGKILL");
    await waitFor(
      async () => (await getFrom(closed.url, "/api/v1/info", { localAddress: "127.0.0.10" })).status === 503,
      10_000,
      "fail-closed 503",
    );
    assert.equal((await getFrom(open.url, "/api/v1/info", { localAddress: "127.0.0.10" })).status, 200);
    await startRedis();
    await waitFor(
      async () => (await getFrom(closed.url, "/api/v1/info", { localAddress: "127.0.0.11" })).status === 200,
      15_000,
      "fail-closed recovers",
    );
  });
});
