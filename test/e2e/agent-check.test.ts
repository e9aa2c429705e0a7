// HAProxy's agent-check on the node: one line per connection with its spare capacity. A node busy with
// remote PoW answers a lower weight; a node without milestones is drained; the agent port must be
// loopback or private.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { BIN, type RunningNode, removeDir, startNode, tempDir, waitFor } from "../helpers/devnet.ts";
import { freePort } from "../helpers/peers.ts";
import { startPowJob, writeLongPowNodeConfig } from "../helpers/pow-job.ts";

/** What the agent answers on one connection. */
function ask(address: string): Promise<string> {
  const i = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("agent-check", () => {
  const dirs = [tempDir(), tempDir()];
  const { keys } = JSON.parse(spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" }).stdout) as {
    keys: { publicKey: string; privateKey: string }[];
  };
  let busy: RunningNode;
  let idle: RunningNode;
  let busyAgent = "";
  let idleAgent = "";

  before(async () => {
    busyAgent = `127.0.0.1:${await freePort()}`;
    idleAgent = `127.0.0.1:${await freePort()}`;
    busy = await startNode(
      writeLongPowNodeConfig(dirs[0]!, keys[0]!.publicKey, {
        restAPI: {
          bindAddress: "127.0.0.1:0",
          powEnabled: true,
          powWorkerCount: 1,
          agentCheck: { bindAddress: busyAgent },
        },
        coordinator: { enabled: true, interval: "1h" },
      }),
      { COO_PRV_KEYS: keys[0]!.privateKey },
    );
    // No coordinator and no peers: it never sees a milestone, so it is not synced.
    idle = await startNode(
      writeLongPowNodeConfig(dirs[1]!, keys[0]!.publicKey, {
        restAPI: { bindAddress: "127.0.0.1:0", agentCheck: { bindAddress: idleAgent } },
      }),
    );
  });

  after(async () => {
    assert.equal(await busy.stop(), 0);
    assert.equal(await idle.stop(), 0);
    for (const d of dirs) removeDir(d);
  });

  it("answers up with a weight that drops while the PoW pool is busy", async () => {
    await waitFor(async () => (await fetch(`${busy.url}/health`)).status === 200, 30_000, "node healthy");
    const weight = async () => {
      const line = await ask(busyAgent);
      const m = /^up (\d+)%\n$/.exec(line);
      assert.ok(m, `an "up N%" line, got ${JSON.stringify(line)}`);
      return Number(m[1]);
    };
    const quiet = await waitFor(
      async () => ((await weight()) > 50 ? weight() : undefined),
      10_000,
      "quiet weight",
    );
    const job = startPowJob(busy.url);
    try {
      const loaded = await waitFor(
        async () => {
          const w = await weight();
          return w <= 50 ? w : undefined;
        },
        10_000,
        "a lower weight while mining",
      );
      assert.ok(loaded < quiet, `busy ${loaded}% < quiet ${quiet}%`);
    } finally {
      job.cancel();
    }
    // The job is cancelled with its client: the weight comes back.
    await waitFor(async () => (await weight()) > 50, 10_000, "weight back up after the job");
  });

  it("drains a node that is not synced", async () => {
    assert.equal(await ask(idleAgent), "drain\n");
  });

  it("refuses a public agent-check address at start, naming the key", () => {
    for (const bind of ["0.0.0.0:9999", "203.0.113.5:9999"]) {
      const file = writeLongPowNodeConfig(dirs[1]!, keys[0]!.publicKey, {
        restAPI: { agentCheck: { bindAddress: bind } },
      });
      const r = spawnSync(process.execPath, [BIN, "node", "--config", file], {
        encoding: "utf8",
        timeout: 20_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /restAPI\.agentCheck\.bindAddress.*loopback or private/);
    }
  });
});
