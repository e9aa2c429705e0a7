// The kernel ban for real: two network namespaces joined by veth. The server one holds a devnet node, the
// gateway, `stinger ban-helper` and the nftables table `stinger harden` writes; the client one holds an
// attacker, an honest client and an exempt (allow-listed) client, each on its own address. A flood gets
// the attacker into the ban set, its packets are then dropped by the kernel while the honest client is
// served, the exempt client is never banned, and the ban runs out by itself. Needs root, iproute2, nft.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
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
import {
  type BanClients,
  bannedNow,
  loadGatewayFirewall,
  startBanClients,
  startBanHelper,
} from "../helpers/kernel-ban.ts";
import { createNetnsPair, type NetnsPair } from "../helpers/netns.ts";
import { stopOwned } from "../helpers/owned.ts";

const PORT = 8080;
const BAN_SECONDS = 8;

interface Probe {
  ok: number;
  failed: Record<string, number>;
  p50: number;
  p99: number;
}

describe("kernel ban of repeat offenders (network namespaces, real nft)", () => {
  const dir = tempDir();
  let pair: NetnsPair;
  let devnet: RunningDevnet;
  let gateway: RunningGateway;
  let helper: ChildProcess;
  let clients: BanClients;
  let attacker: string;
  let honest: string;
  let exempt: string;
  let ask: (cmd: object) => Promise<Record<string, unknown>>;

  const banned = () => bannedNow(pair);
  const probe = async (n: number) => (await ask({ op: "probe", from: honest, n })) as unknown as Probe;
  const connects = async (from: string) =>
    (await ask({ op: "connect", from, timeoutMs: 1000 })).connected === true;

  before(async () => {
    pair = await createNetnsPair("kb", 3);
    [attacker, honest, exempt] = pair.clientAddresses as [string, string, string];
    await loadGatewayFirewall(pair, PORT);
    const socket = join(dir, "ban.sock");
    helper = await startBanHelper(pair, socket, [exempt]);
    devnet = await startDevnet({ minPoWScore: 1, wrap: pair.wrap(pair.server) });
    writeFileSync(
      join(dir, "gw.json"),
      JSON.stringify({
        bindAddress: `0.0.0.0:${PORT}`,
        adminBindAddress: "127.0.0.1:0",
        upstreams: [devnet.url],
        limits: { connectionExempt: [`${exempt}/32`] },
        // Room for the honest client's probes (100 in a burst); the floods go far past it.
        rateLimit: { capacity: 400, refillPerSecond: 200 },
        kernelBan: {
          enabled: true,
          helperSocket: socket,
          threshold: 50,
          windowSeconds: 5,
          banSeconds: BAN_SECONDS,
        },
        logger: { level: "warn" },
      }),
    );
    gateway = await startGateway(join(dir, "gw.json"), 30_000, undefined, pair.wrap(pair.server));
    clients = startBanClients(pair, `http://${pair.serverAddress}:${PORT}`);
    ask = clients.ask;
    await waitFor(async () => (await probe(1)).ok === 1, 20_000, "the gateway through the veth");
  });

  after(async () => {
    if (clients) await clients.stop();
    if (gateway) assert.equal(await gateway.stop(), 0);
    if (helper) assert.equal(await stopOwned(helper), 0);
    if (devnet) {
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
    }
    await pair?.remove();
    removeDir(dir);
  });

  it("bans a flooding client in the kernel, keeps serving the honest one, never bans the exempt one", async (t) => {
    const quiet = await probe(100);
    assert.equal(quiet.ok, 100, JSON.stringify(quiet));

    // The exempt client floods first, and is refused far more often than the threshold: never banned.
    await ask({ op: "flood", from: exempt, concurrency: 16 });
    const refusedExempt = async () =>
      Number(((await ask({ op: "stats", from: exempt })).status as Record<string, number>)["429"] ?? 0);
    await waitFor(async () => (await refusedExempt()) > 100, 10_000, "the exempt client rate-limited");
    const started = performance.now();
    await ask({ op: "flood", from: attacker, concurrency: 16 });
    await waitFor(async () => (await banned()).includes(attacker), 10_000, "the attacker in the ban set");
    const banMs = performance.now() - started;
    await ask({ op: "stop", from: exempt });
    assert.deepEqual(await banned(), [attacker]);
    assert.equal(await connects(exempt), true);

    // The attacker keeps flooding, but its packets stop at the kernel: no new connection gets through.
    assert.equal(await connects(attacker), false);
    const during = await probe(100);
    assert.equal(
      during.ok,
      100,
      `the honest client is served while the banned attacker floods: ${JSON.stringify(during)}`,
    );
    const flood = await ask({ op: "stop", from: attacker });
    assert.ok(Number(flood.errors) > 0, `the attacker saw its requests dropped: ${JSON.stringify(flood)}`);
    t.diagnostic(
      `banned after ${banMs.toFixed(0)} ms; honest p50/p99 quiet ${quiet.p50}/${quiet.p99} ms, ` +
        `while the banned attacker floods ${during.p50}/${during.p99} ms (${(during.p99 / quiet.p99).toFixed(2)}×)`,
    );

    // The kernel lifts the ban when its timeout runs out, and the attacker may connect again.
    await waitFor(
      async () => !(await banned()).includes(attacker),
      (BAN_SECONDS + 5) * 1000,
      "the ban to expire",
    );
    assert.equal(await connects(attacker), true);
  });

  it("counts the ban as applied in the gateway's metrics", async () => {
    const metricsUrl = gateway.metricsUrl;
    const text = await pair.run(pair.server, [
      process.execPath,
      "-e",
      `fetch(${JSON.stringify(metricsUrl)}).then((r) => r.text()).then((t) => process.stdout.write(t))`,
    ]);
    // Once at least; again if the flood outlived a ban.
    assert.match(text, /stinger_gateway_kernel_bans_total\{result="applied"\} [1-9]\d*\n/);
    assert.doesNotMatch(text, /stinger_gateway_kernel_bans_total\{result="(refused|unavailable)"\}/);
    assert.match(text, /stinger_gateway_refusals_total\{reason="rate_limited"\} \d+/);
  });
});
