// kill -9 one of three nodes while clients read and submit through the gateway: retries on another
// node hide the loss from clients, and the node takes traffic again once restarted and synced. Once
// per engine (node, HAProxy).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import {
  engineArgs,
  GATEWAY_ENGINES,
  type RunningGateway,
  removeDir,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { gatewayBinds } from "../helpers/gateway-binds.ts";
import { nodeDown, nodeRequests, nodeTakesTraffic } from "../helpers/gateway-metrics.ts";

for (const engine of GATEWAY_ENGINES)
  describe(`gateway: a node killed with SIGKILL under load (engine ${engine})`, () => {
    let cluster: Cluster;
    let gateway: RunningGateway;
    const dir = tempDir();

    const metrics = async () => (await fetch(gateway.metricsUrl)).text();

    before(async () => {
      cluster = await startCluster(3, { restAPI: { pow: { maxJobsPerClient: 16 } } });
      writeFileSync(
        join(dir, "gateway.json"),
        JSON.stringify({
          ...(await gatewayBinds(engine)),
          upstreams: cluster.nodes.map((n) => ({ url: n.url, token: n.token })),
          rateLimit: { capacity: 100_000, refillPerSecond: 100_000, maxPowSubmitsPerClient: 8 },
          health: { intervalMs: 300 },
          logger: { level: "warn" },
        }),
      );
      gateway = await startGateway(
        join(dir, "gateway.json"),
        30_000,
        undefined,
        undefined,
        engineArgs(engine),
      );
      await waitFor(
        async () => {
          const text = await metrics();
          return cluster.nodes.every((n) => nodeTakesTraffic(engine, text, n.url));
        },
        30_000,
        "all three nodes healthy",
      );
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      await cluster.stop();
      removeDir(dir);
    });

    it("clients see no failure while a node dies, and the node rejoins after a restart", async () => {
      const failures: string[] = [];
      let done = 0;
      let running = true;
      // Four clients, each looping over the calls a wallet makes: info, tips, a milestone, a submit with remote PoW.
      const client = async (c: number) => {
        for (let i = 0; running; i++) {
          const kind = i % 4;
          try {
            let res: Response;
            if (kind === 0) res = await fetch(`${gateway.url}/api/v1/info`);
            else if (kind === 1) res = await fetch(`${gateway.url}/api/v1/tips`);
            else if (kind === 2) res = await fetch(`${gateway.url}/api/v1/milestones/1`);
            else
              res = await fetch(`${gateway.url}/api/v1/messages`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({
                  payload: { type: 2, index: "6b696c6c", data: Buffer.from(`${c}-${i}`).toString("hex") },
                }),
              });
            const body = await res.text();
            if (res.status !== (kind === 3 ? 201 : 200)) failures.push(`${kind}: ${res.status} ${body}`);
          } catch (err) {
            failures.push(`${kind}: ${String(err)}`);
          }
          done++;
        }
      };
      const loops = [0, 1, 2, 3].map(client);
      const victim = cluster.nodes[1]!;
      try {
        await waitFor(async () => done >= 100, 60_000, "load running");
        await victim.running!.stop("SIGKILL");
        const atKill = done;
        await waitFor(
          async () => nodeDown(engine, await metrics(), victim.url),
          20_000,
          "the gateway marks the dead node down",
        );
        await waitFor(async () => done >= atKill + 200, 60_000, "load continuing without the node");
        const beforeRestart = nodeRequests(engine, await metrics(), victim.url);
        await cluster.restart(1);
        await waitFor(
          async () => nodeTakesTraffic(engine, await metrics(), victim.url),
          60_000,
          "the restarted node healthy again",
        );
        await waitFor(
          async () => nodeRequests(engine, await metrics(), victim.url) > beforeRestart,
          30_000,
          "the restarted node takes requests again",
        );
      } finally {
        running = false;
        await Promise.all(loops);
      }
      assert.ok(done >= 300);
      assert.deepEqual(failures, [], `${failures.length} of ${done} requests failed`);
    });
  });
