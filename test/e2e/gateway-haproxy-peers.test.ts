// Two HAProxy-engine gateways with haproxy.peers share their rate table: a client's quota is one
// across both, as the node engine shares it through Redis.
import assert from "node:assert/strict";
import { connect } from "node:net";
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

const CAPACITY = 20;

/** One command on HAProxy's stats socket (in the run folder), and its whole answer. */
function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let out = "";
    s.on("data", (d) => (out += d));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.end(`${command}\n`);
  });
}

describe("HAProxy engine peers", () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  const gateways: RunningGateway[] = [];

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    const members = [
      { name: "gw-a", address: `127.0.0.1:${await freePort()}` },
      { name: "gw-b", address: `127.0.0.1:${await freePort()}` },
    ];
    for (const m of members)
      gateways.push(
        await startGatewayWith(
          join(dir, `${m.name}.json`),
          {
            bindAddress: `127.0.0.1:${await freePort()}`,
            adminBindAddress: `127.0.0.1:${await freePort()}`,
            upstreams: [devnet.url],
            // 20 requests per 40 s window: nothing refills during the test.
            rateLimit: { capacity: CAPACITY, refillPerSecond: 0.5 },
            haproxy: { peers: { local: m.name, members }, runDir: join(dir, `run-${m.name}`) },
            logger: { level: "warn" },
          },
          { engine: "haproxy" },
        ),
      );
  });

  after(async () => {
    for (const g of gateways) assert.equal(await g.stop(), 0);
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(dir);
  });

  it("counts a client's requests through either gateway against one quota", async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    const client = { localAddress: "127.0.0.61" };
    // Peers connect a moment after start (and retry every few seconds): wait for both sessions.
    for (const name of ["gw-a", "gw-b"])
      await waitFor(
        async () =>
          /state=EST/.test(await statsCommand(join(dir, `run-${name}`, "admin.sock"), "show peers")),
        15_000,
        `${name}'s peer session`,
      );
    for (let i = 0; i < CAPACITY / 2; i++)
      assert.equal((await getFrom(a.url, "/api/v1/info", client)).status, 200);
    // The other gateway learns the client's count from its peer.
    await waitFor(
      async () =>
        /key=ip:127\.0\.0\.61 .*gpc0_rate\(\d+\)=10/.test(
          await statsCommand(join(dir, "run-gw-b", "admin.sock"), "show table st_rate"),
        ),
      5000,
      "gateway b's copy of the client's count",
    );
    let allowed = 0;
    for (let i = 0; i < CAPACITY; i++)
      if ((await getFrom(b.url, "/api/v1/info", client)).status === 200) allowed++;
    // Alone, b would allow all 20; sharing the table it allows what a left over (give or take one in flight).
    assert.ok(allowed >= CAPACITY / 2 - 1 && allowed <= CAPACITY / 2 + 1, `b allowed ${allowed}`);
    // And a learns b's count in turn (pushed a moment later), after which it refuses the client too.
    await waitFor(
      async () =>
        /key=ip:127\.0\.0\.61 .*gpc0_rate\(\d+\)=(19|2\d)/.test(
          await statsCommand(join(dir, "run-gw-a", "admin.sock"), "show table st_rate"),
        ),
      5000,
      "gateway a's copy of the client's count",
    );
    assert.equal((await getFrom(a.url, "/api/v1/info", client)).status, 429, "and a sees b's requests");
  });
});
