// The HAProxy engine's supervisor: a config change is applied by a reload that keeps open connections
// served, a change HAProxy would refuse is logged and the running configuration kept, and an HAProxy
// killed -9 is started again.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGatewayWith,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";
import { freePort } from "../helpers/peers.ts";

const haproxyPids = (parent: number) =>
  spawnSync("pgrep", ["-P", String(parent), "-x", "haproxy"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map(Number);

/** GET on one keep-alive connection (the agent holds a single socket). */
function getOn(agent: Agent, url: string, path: string): Promise<{ status: number; policy: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, agent }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode!, policy: String(res.headers["ratelimit-policy"]) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HAProxy engine supervisor", () => {
  const dir = tempDir();
  const file = join(dir, "gw.json");
  let devnet: RunningDevnet;
  let gateway: RunningGateway;
  let config: Record<string, unknown>;
  const log = join(dir, "gateway.log");

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    config = {
      bindAddress: `127.0.0.1:${await freePort()}`,
      adminBindAddress: `127.0.0.1:${await freePort()}`,
      upstreams: [devnet.url],
      rateLimit: { capacity: 300, refillPerSecond: 100 },
      health: { intervalMs: 300 },
      logger: { level: "info" },
    };
    gateway = await startGatewayWith(file, config, { engine: "haproxy", logFile: log });
  });

  after(async () => {
    const pid = gateway?.proc.pid;
    if (gateway) assert.equal(await gateway.stop(), 0);
    if (pid) assert.deepEqual(haproxyPids(pid), [], "HAProxy stops with the gateway");
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("reloads a changed config without dropping an open connection", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.deepEqual(await getOn(agent, gateway.url, "/api/v1/info"), {
        status: 200,
        policy: '"default";q=300;w=3',
      });
      writeFileSync(file, JSON.stringify({ ...config, rateLimit: { capacity: 120, refillPerSecond: 10 } }));
      await waitFor(
        async () =>
          (await getFrom(gateway.url, "/api/v1/info")).headers["ratelimit-policy"] === '"default";q=120;w=12',
        10_000,
        "the new limits served",
      );
      // The connection opened before the reload is still answered (by the old HAProxy worker).
      assert.equal((await getOn(agent, gateway.url, "/api/v1/info")).status, 200);
    } finally {
      agent.destroy();
    }
    assert.match(readFileSync(log, "utf8"), /"msg":"haproxy reloaded"/);
  });

  it("keeps the running configuration when a change does not validate", async () => {
    writeFileSync(file, JSON.stringify({ ...config, rateLimit: { capacity: 50, submitCost: 2.5 } }));
    await waitFor(
      async () =>
        readFileSync(log, "utf8")
          .split("\n")
          .some((l) => l.includes('"msg":"haproxy reload refused"') && l.includes("rateLimit.submitCost")),
      10_000,
      "the refusal logged",
    );
    const r = await getFrom(gateway.url, "/api/v1/info");
    assert.equal(r.status, 200);
    assert.equal(r.headers["ratelimit-policy"], '"default";q=120;w=12', "the last good config still runs");
  });

  it("starts HAProxy again after it is killed -9", async () => {
    const [master] = haproxyPids(gateway.proc.pid!);
    assert.ok(master);
    process.kill(master, "SIGKILL");
    await waitFor(
      async () => {
        const now = haproxyPids(gateway.proc.pid!);
        return now.length === 1 && now[0] !== master;
      },
      10_000,
      "a new HAProxy",
    );
    await waitFor(
      async () => (await getFrom(gateway.url, "/api/v1/info").catch(() => ({ status: 0 }))).status === 200,
      15_000,
      "serving again",
    );
    assert.match(readFileSync(log, "utf8"), /"msg":"haproxy exited; starting it again"/);
  });
});
