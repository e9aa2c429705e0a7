// Remote PoW is bounded: one job per worker, a bounded queue (503 + Retry-After when full), a per-client
// cap (429 + Retry-After), and cancellation when the client disconnects, visible in the metrics.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BIN, type RunningNode, removeDir, startNode, tempDir, waitFor } from "../helpers/devnet.ts";
import { jwtFor } from "../helpers/peers.ts";

// A 30 KB indexation payload at minPoWScore 5000 needs 18 trailing zero trits, 3^18 ≈ 387 M hashes:
// about two minutes for one worker, so jobs end by cancellation, not by a nonce (at score 300 and 20 KB
// it was 3^15 ≈ 14 M, a few seconds: a job then now and then finished before the test cancelled it). A
// milestone (a few hundred bytes) needs 13-14 zeros, a second or two for the coordinator.
const MIN_POW_SCORE = 5000;
const BIG = JSON.stringify({ payload: { type: 2, index: "aa", data: "ab".repeat(30_000) } });

interface Job {
  done: Promise<{ status: number; headers: Record<string, unknown>; body: string }>;
  abort: () => void;
  /** the HTTP status, once answered */
  status?: number;
}

/** Every submit of this file, so a scenario can tell whether one of its jobs found a nonce. */
const posted: Job[] = [];

/**
 * The PoW here is long, not impossible: a job may still find its nonce by luck before the test has
 * cancelled it (about 1 in 100 at the odds above), and then the scenario proves nothing. Runs it once
 * more when that happened, at most 3 times in all; any other failure fails the test at once.
 */
async function unlessANonceIsFound(scenario: () => Promise<void>, idle: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const since = posted.length;
    let failure: unknown;
    try {
      await scenario();
    } catch (err) {
      failure = err;
    }
    const jobs = posted.slice(since);
    for (const j of jobs) j.abort();
    await Promise.all(jobs.map((j) => j.done.catch(() => {})));
    if (!jobs.some((j) => j.status === 201)) {
      if (failure) throw failure;
      return;
    }
    assert.ok(attempt < 3, "a PoW job found its nonce in 3 runs out of 3: this test's PoW is too easy");
    console.error(
      `remote-pow: a job found its nonce before it was cancelled; running again (${attempt + 1}/3)`,
    );
    await idle();
  }
}

function post(
  url: string,
  body: string,
  localAddress = "127.0.0.1",
  headers: Record<string, string> = {},
): Job {
  const u = new URL(`${url}/api/v1/messages`);
  let req: ReturnType<typeof request>;
  const done = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: "POST",
          localAddress,
          headers: { "content-type": "application/json", ...headers },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
  const job: Job = { done, abort: () => req.destroy() };
  // An aborted request rejects by design; mark it handled so the runner does not flag it.
  done.then((r) => (job.status = r.status)).catch(() => {});
  posted.push(job);
  return job;
}

/** A node with remote PoW on one worker, its coordinator's key made with `stinger keys`. */
async function startPowNode(
  dir: string,
  restAPI: Record<string, unknown>,
): Promise<{ node: RunningNode; metricsUrl: string }> {
  const out = spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" });
  const { keys: pairs } = JSON.parse(out.stdout) as { keys: { publicKey: string; privateKey: string }[] };
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      protocol: {
        networkID: "private_tangle1",
        minPoWScore: MIN_POW_SCORE,
        milestonePublicKeyCount: 1,
        publicKeyRanges: [{ key: pairs[0]!.publicKey }],
      },
      restAPI: { bindAddress: "127.0.0.1:0", powEnabled: true, powWorkerCount: 1, ...restAPI },
      coordinator: { enabled: true, interval: "1h" },
      prometheus: { bindAddress: "127.0.0.1:0" },
      p2p: { enabled: false },
    }),
  );
  const node = await startNode(join(dir, "config.json"), { COO_PRV_KEYS: pairs[0]!.privateKey });
  // The metrics address is in the node's "node started" log line.
  const metricsUrl = await waitFor(
    async () => /"metrics":"(http:[^"]+)"/.exec(node.stderr())?.[1],
    10_000,
    "the metrics address in the start log line",
  );
  return { node, metricsUrl };
}

describe("remote PoW bounds over HTTP", () => {
  const dir = tempDir();
  let node: RunningNode;
  let url = "";
  let metricsUrl = "";
  let token = "";

  before(async () => {
    ({ node, metricsUrl } = await startPowNode(dir, { pow: { maxQueue: 1, maxJobsPerClient: 2 } }));
    url = node.url;
    token = jwtFor(dir);
  });

  after(async () => {
    assert.equal(await node.stop(), 0);
    removeDir(dir);
  });

  const load = async () =>
    (
      (await (
        await fetch(`${url}/api/plugins/stinger/load`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as {
        data: { pow: { busyWorkers: number; queueDepth: number } };
      }
    ).data.pow;
  const aborted = async () =>
    Number(
      /stinger_node_pow_jobs_total\{outcome="aborted"\} (\d+)/.exec(
        await (await fetch(metricsUrl)).text(),
      )?.[1] ?? 0,
    );

  const idle = async () => {
    await waitFor(
      async () => {
        const l = await load();
        return l.busyWorkers === 0 && l.queueDepth === 0;
      },
      30_000,
      "the PoW pool idle",
    );
  };

  it("runs one job, queues one, refuses a third client's job with 503, a client's third with 429, and cancels on disconnect", () =>
    unlessANonceIsFound(async () => {
      const first = post(url, BIG);
      await waitFor(async () => (await load()).busyWorkers === 1, 10_000, "first job running");
      const second = post(url, BIG);
      await waitFor(async () => (await load()).queueDepth === 1, 10_000, "second job queued");

      const full = await post(url, BIG, "127.0.0.2").done;
      assert.equal(full.status, 503);
      assert.equal(full.headers["retry-after"], "5");
      assert.deepEqual(JSON.parse(full.body), {
        error: { code: "503", message: "proof of work queue is full" },
      });

      const third = await post(url, BIG).done;
      assert.equal(third.status, 429);
      assert.equal(third.headers["retry-after"], "5");
      assert.match(JSON.parse(third.body).error.message, /too many proof of work jobs from this client/);

      const before = await aborted();
      first.abort();
      second.abort();
      await first.done.catch(() => {});
      await second.done.catch(() => {});
      await waitFor(async () => (await aborted()) >= before + 2, 10_000, "both jobs cancelled");
      assert.deepEqual(await load(), { workers: 1, busyWorkers: 0, queueDepth: 0, maxQueue: 1 });
    }, idle));

  it("reads stay served while the pool is busy", async () => {
    const job = post(url, BIG);
    await waitFor(async () => (await load()).busyWorkers === 1, 10_000, "job running");
    for (let i = 0; i < 20; i++) assert.equal((await fetch(`${url}/api/v1/info`)).status, 200);
    job.abort();
    await job.done.catch(() => {});
  });
});

describe("remote PoW per-client limit behind a trusted proxy", () => {
  const dir = tempDir();
  let node: RunningNode;

  before(async () => {
    ({ node } = await startPowNode(dir, {
      trustedProxies: ["127.0.0.1"],
      pow: { maxQueue: 4, maxJobsPerClient: 1 },
    }));
  });

  after(async () => {
    assert.equal(await node.stop(), 0);
    removeDir(dir);
  });

  let token = "";
  const pow = async () =>
    (
      (await (
        await fetch(`${node.url}/api/plugins/stinger/load`, {
          headers: { authorization: `Bearer ${(token ||= jwtFor(dir))}` },
        })
      ).json()) as { data: { pow: { busyWorkers: number; queueDepth: number } } }
    ).data.pow;

  it("counts jobs per forwarded client from the trusted hop, and per socket address from anyone else", () =>
    unlessANonceIsFound(
      async () => {
        const viaGateway = (client: string) =>
          post(node.url, BIG, "127.0.0.1", { "x-forwarded-for": client });
        const a1 = viaGateway("198.51.100.1");
        const b1 = viaGateway("198.51.100.2");
        // Two clients behind the same proxy each get their own job: one runs, the other waits in the queue.
        await waitFor(
          async () => {
            const p = await pow();
            return p.busyWorkers === 1 && p.queueDepth === 1;
          },
          10_000,
          "one job per forwarded client accepted",
        );
        const a2 = await viaGateway("198.51.100.1").done;
        assert.equal(a2.status, 429, "the same forwarded client's second job is over its limit");
        // ... and an untrusted sender cannot pick its own identity: it is its socket address.
        const spoof1 = post(node.url, BIG, "127.0.0.2", { "x-forwarded-for": "198.51.100.9" });
        const spoof2 = await post(node.url, BIG, "127.0.0.2", { "x-forwarded-for": "198.51.100.10" }).done;
        assert.equal(spoof2.status, 429, "X-Forwarded-For from an untrusted hop is ignored");
        for (const j of [a1, b1, spoof1]) j.abort();
        for (const j of [a1, b1, spoof1]) await j.done.catch(() => {});
      },
      async () => {
        await waitFor(
          async () => {
            const p = await pow();
            return p.busyWorkers === 0 && p.queueDepth === 0;
          },
          30_000,
          "the PoW pool idle",
        );
      },
    ));
});
