// `stinger status` against real processes: two nodes behind a gateway (exit 0, every part shown), the
// same with one node killed (exit 1, the problem named, the gateway taking it out of rotation), and
// bad flags (exit 2, one line).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureDevCertificate } from "../../src/gateway/dev-cert.ts";
import type { Status } from "../../src/status/collect.ts";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import {
  BIN,
  type RunningGateway,
  removeDir,
  startGatewayWith,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { info } from "../helpers/ledger.ts";

function status(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, "status", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("stinger status", () => {
  let cluster: Cluster;
  let gateway: RunningGateway;
  let dir: string;
  let ca: string;
  const args = () => [
    ...cluster.nodes.flatMap((n) => ["--node", n.url, "--token", n.token]),
    "--gateway",
    gateway.url,
    "--gateway-metrics",
    gateway.metricsUrl,
    "--ca",
    ca,
    "--timeout",
    "3000",
  ];

  before(async () => {
    cluster = await startCluster(2, { genesis: true });
    dir = tempDir();
    const cert = ensureDevCertificate(join(dir, "tls"));
    ca = cert.caFile;
    gateway = await startGatewayWith(
      join(dir, "gateway.json"),
      {
        bindAddress: "127.0.0.1:0",
        adminBindAddress: "127.0.0.1:0",
        upstreams: cluster.nodes.map((n) => n.url),
        tls: { certFile: cert.certFile, keyFile: cert.keyFile },
        health: { intervalMs: 500 },
        logger: { level: "warn" },
      },
      { ca: readFileSync(ca) },
    );
    for (const n of cluster.nodes)
      await waitFor(async () => (await info(n)).isHealthy, 60_000, `node ${n.url} healthy`);
  });

  after(async () => {
    await gateway?.stop();
    await cluster?.stop();
    if (dir) removeDir(dir);
  });

  it("exits 0 on a healthy set and shows every part", async () => {
    const r = await waitFor(
      async () => {
        const x = await status(args());
        return x.code === 0 ? x : undefined;
      },
      20_000,
      "status 0",
    );
    assert.match(r.stdout, /status: healthy/);
    for (const n of cluster.nodes) assert.match(r.stdout, new RegExp(`\\[ok\\] node ${n.url}: healthy`));
    assert.match(r.stdout, /peers: 1 of 1 connected/);
    assert.match(r.stdout, /remote PoW: 0\/1 workers busy/);
    assert.match(r.stdout, /ledger: at milestone \d+, state [0-9a-f]{16}/);
    assert.match(r.stdout, /\[ok\] gateway https:\/\/127\.0\.0\.1:\d+: serving/);
    assert.equal((r.stdout.match(/in rotation/g) ?? []).length, 2);

    const j = await status([...args(), "--json"]);
    assert.equal(j.code, 0);
    const s = JSON.parse(j.stdout) as Status;
    assert.equal(s.healthy, true);
    assert.deepEqual(s.problems, []);
    assert.equal(s.nodes.length, 2);
    assert.ok(
      s.nodes.every((n) => n.healthy && n.peers?.connected === 1 && n.ledger?.stateHash.length === 64),
    );
  });

  it("without tokens, says what it could not read", async () => {
    const r = await status(["--node", cluster.nodes[0]!.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no valid --token for this node: .*peers/);
  });

  it("exits 1 with one node killed, naming it", async () => {
    await cluster.nodes[1]!.running!.stop("SIGKILL");
    const r = await waitFor(
      async () => {
        const x = await status(args());
        // Until the gateway has noticed too.
        return x.code === 1 && /OUT of rotation/.test(x.stdout) ? x : undefined;
      },
      20_000,
      "status 1 with the gateway's view",
    );
    assert.match(r.stdout, /status: DEGRADED/);
    assert.match(r.stdout, new RegExp(`node ${cluster.nodes[1]!.url}: unreachable`));
    // Node 0 answers (it lost its only peer, so it may call itself unhealthy too).
    assert.match(r.stdout, new RegExp(`node ${cluster.nodes[0]!.url}: (healthy|NOT healthy)`));
    const j = JSON.parse((await status([...args(), "--json"])).stdout) as Status;
    assert.equal(j.healthy, false);
    assert.ok(j.problems.some((p) => p.includes(cluster.nodes[1]!.url)));
  });

  it("exits 2 with one line on bad flags", async () => {
    const bad: [string[], RegExp][] = [
      [["--node", "ftp://x"], /--node: must be an http/],
      [["--node", "not a url"], /--node: not a URL/],
      [["--timeout", "abc"], /--timeout: must be an integer/],
      [
        ["--node", "http://a", "--node", "http://b", "--token", "t1", "--token", "t2", "--token", "t3"],
        /--token: give one token, or one per --node \(2\), not 3/,
      ],
      [["--gateway-metrics", "http://127.0.0.1:1/metrics"], /needs --gateway/],
      [["--ca", "/nonexistent/ca.pem", "--gateway", "https://127.0.0.1:1"], /--ca: cannot read/],
      [["--bogus"], /unknown option/],
    ];
    for (const [flags, why] of bad) {
      const r = await status(flags);
      assert.equal(r.code, 2, `${flags.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });
});
