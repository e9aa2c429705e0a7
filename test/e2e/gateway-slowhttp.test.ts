// slowhttptest (Debian's 1.8.2) against the gateway: slow headers (slowloris, -H), slow body (R.U.D.Y.,
// -B) and slow read (-X), each from 127.0.0.1 while an honest client on 127.0.0.2 keeps asking. The
// attacker never holds more sockets than limits.maxConnectionsPerClient, its sockets are closed, and
// every honest request is answered. (Range attacks, -R, target Apache's byte-range handling: the gateway
// passes Range to the node, which ignores it, so there is nothing to amplify.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { percentile } from "../../bench/_lib.ts";
import {
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGatewayWith,
  tempDir,
} from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";
import { exited, spawnOwned } from "../helpers/owned.ts";

const CAP = 40;
const SECONDS = 8;

interface Sample {
  second: number;
  closed: number;
  pending: number;
  connected: number;
}

/** slowhttptest's -g CSV: Seconds,Closed,Pending,Connected,Service Available */
function readCsv(file: string): Sample[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(",").map(Number))
    .map(([second, closed, pending, connected]) => ({
      second: second!,
      closed: closed!,
      pending: pending!,
      connected: connected!,
    }));
}

describe("slow HTTP attacks (slowhttptest) against the gateway", () => {
  const dir = tempDir();
  let devnet: RunningDevnet;
  let gateway: RunningGateway;

  /** Honest GETs from 127.0.0.2 until `done` resolves; latencies in ms and the failures. */
  async function honestWhile(done: Promise<unknown>, atLeast = 20) {
    let over = false;
    void done.then(() => (over = true));
    const ms: number[] = [];
    const failures: string[] = [];
    while (!over || ms.length + failures.length < atLeast) {
      const t = performance.now();
      try {
        const r = await getFrom(gateway.url, "/api/v1/info", { localAddress: "127.0.0.2" });
        if (r.status === 200) ms.push(performance.now() - t);
        else failures.push(String(r.status));
      } catch (err) {
        failures.push((err as NodeJS.ErrnoException).code ?? String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return { ms, failures };
  }

  async function attack(mode: string, args: string[]) {
    const out = join(dir, `slow-${mode.replace(/\W/g, "")}`);
    const quiet = await honestWhile(Promise.resolve(), 100);
    const proc = spawnOwned(
      "slowhttptest",
      [mode, "-c", "600", "-r", "150", "-l", String(SECONDS), "-p", "2", "-g", "-o", out, ...args],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    const during = await honestWhile(exited(proc));
    assert.equal(proc.exitCode, 0, `slowhttptest ${mode} failed`);
    return { samples: readCsv(`${out}.csv`), quiet, during };
  }

  function judge(t: { diagnostic(s: string): void }, mode: string, r: Awaited<ReturnType<typeof attack>>) {
    const maxConnected = Math.max(...r.samples.map((s) => s.connected));
    const closed = r.samples.at(-1)!.closed;
    // slowhttptest counts a socket as connected until it notices the close the gateway sends right after
    // accepting one over the cap: one or two such sockets can be in its once-a-second sample.
    assert.ok(maxConnected <= CAP + 2, `${mode}: the attacker held ${maxConnected} sockets (cap ${CAP})`);
    assert.ok(closed > CAP, `${mode}: only ${closed} of the attacker's sockets were closed`);
    assert.deepEqual(r.during.failures, [], `${mode}: honest requests failed during the attack`);
    assert.deepEqual(r.quiet.failures, []);
    t.diagnostic(
      `${mode}: attacker at most ${maxConnected} sockets, ${closed} closed; honest p50/p99 quiet ` +
        `${percentile(r.quiet.ms, 50).toFixed(1)}/${percentile(r.quiet.ms, 99).toFixed(1)} ms, during ` +
        `${percentile(r.during.ms, 50).toFixed(1)}/${percentile(r.during.ms, 99).toFixed(1)} ms over ${r.during.ms.length} requests`,
    );
  }

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    gateway = await startGatewayWith(
      join(dir, "gw.json"),
      {
        bindAddress: "127.0.0.1:0",
        adminBindAddress: "127.0.0.1:0",
        upstreams: [devnet.url],
        limits: { maxConnectionsPerClient: CAP, headersTimeoutMs: 2000, requestTimeoutMs: 3000 },
        logger: { level: "warn" },
      },
      { localAddress: "127.0.0.2" },
    );
  });

  after(async () => {
    if (gateway) assert.equal(await gateway.stop(), 0);
    if (devnet) {
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
    }
    removeDir(dir);
  });

  it("slow headers (-H, slowloris)", async (t) => {
    judge(t, "-H", await attack("-H", ["-i", "1", "-x", "10", "-u", `${gateway.url}/api/v1/info`]));
  });

  it("slow body (-B, R.U.D.Y.)", async (t) => {
    judge(
      t,
      "-B",
      await attack("-B", [
        "-i",
        "1",
        "-x",
        "10",
        "-s",
        "8192",
        "-t",
        "POST",
        "-u",
        `${gateway.url}/api/v1/messages`,
      ]),
    );
  });

  it("slow read (-X)", async (t) => {
    judge(
      t,
      "-X",
      await attack("-X", [
        "-k",
        "4",
        "-n",
        "5",
        "-w",
        "8",
        "-y",
        "16",
        "-z",
        "8",
        "-u",
        `${gateway.url}/api/v1/info`,
      ]),
    );
  });
});
