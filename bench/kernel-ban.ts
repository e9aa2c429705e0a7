// One-client flood against the gateway with and without the kernel ban, over a real veth between two
// network namespaces (the gateway, a devnet node, `stinger ban-helper` and the `stinger harden` table in
// one; the flooder and an honest client on their own addresses in the other). Prints the flood's
// answered and refused req/s, the honest client's p50/p99 (quiet, under the flood, under the banned
// flood) and how long the ban took. Needs root, iproute2 and nft (npm test's pretest installs them).
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevnet, startGateway, waitFor } from "../test/helpers/devnet.ts";
import {
  bannedNow,
  loadGatewayFirewall,
  startBanClients,
  startBanHelper,
} from "../test/helpers/kernel-ban.ts";
import { createNetnsPair } from "../test/helpers/netns.ts";
import { stopOwned } from "../test/helpers/owned.ts";
import { fmt, printHeader, report } from "./_lib.ts";

if (process.getuid?.() !== 0) {
  console.error("bench kernel-ban: needs root (network namespaces and nft)");
  process.exit(2);
}
printHeader("kernel-ban");

const PORT = 8080;
const FLOOD_CONCURRENCY = 32;
const PROBES = 300;
const dir = mkdtempSync(join(tmpdir(), "stinger-bench-ban-"));
const pair = await createNetnsPair("bench", 2);
const [attacker, honest] = pair.clientAddresses as [string, string];
const owned: ChildProcess[] = [];

try {
  await loadGatewayFirewall(pair, PORT);
  const socket = join(dir, "ban.sock");
  owned.push(await startBanHelper(pair, socket));
  const devnet = await startDevnet({ minPoWScore: 1, wrap: pair.wrap(pair.server) });
  owned.push(devnet.proc);
  const clients = startBanClients(pair, `http://${pair.serverAddress}:${PORT}`);
  const ask = clients.ask;
  const probe = async () =>
    (await ask({ op: "probe", from: honest, n: PROBES })) as {
      ok: number;
      failed: Record<string, number>;
      p50: number;
      p99: number;
    };

  const results: Record<string, unknown> = {};
  for (const kernelBan of [false, true]) {
    writeFileSync(
      join(dir, "gw.json"),
      JSON.stringify({
        bindAddress: `0.0.0.0:${PORT}`,
        adminBindAddress: "127.0.0.1:0",
        upstreams: [devnet.url],
        // Room for the honest client's back-to-back probes; the flood is far past it.
        rateLimit: { capacity: 1000, refillPerSecond: 1000 },
        kernelBan: {
          enabled: kernelBan,
          helperSocket: socket,
          threshold: 100,
          windowSeconds: 10,
          banSeconds: 120,
        },
        logger: { level: "error" },
      }),
    );
    const gateway = await startGateway(join(dir, "gw.json"), 30_000, undefined, pair.wrap(pair.server));
    await waitFor(async () => (await ask({ op: "probe", from: honest, n: 1 })).ok === 1, 20_000, "gateway");
    const quiet = await probe();
    const t0 = performance.now();
    await ask({ op: "flood", from: attacker, concurrency: FLOOD_CONCURRENCY });
    let banMs: number | null = null;
    if (kernelBan) {
      await waitFor(async () => (await bannedNow(pair)).includes(attacker), 20_000, "the ban");
      banMs = performance.now() - t0;
    } else await new Promise((r) => setTimeout(r, 500));
    const before = (await ask({ op: "stats", from: attacker })) as { status: Record<string, number> };
    const t1 = performance.now();
    const during = await probe();
    const seconds = (performance.now() - t1) / 1000;
    const flood = (await ask({ op: "stop", from: attacker })) as {
      status: Record<string, number>;
      errors: number;
    };
    const delta = (code: string) => (flood.status[code] ?? 0) - (before.status[code] ?? 0);
    const row = {
      banMs,
      floodAnsweredPerSecond: (delta("200") + delta("429")) / seconds,
      floodRefusedPerSecond: delta("429") / seconds,
      quiet,
      during,
    };
    results[kernelBan ? "withKernelBan" : "withoutKernelBan"] = row;
    console.log(
      `${kernelBan ? "kernel ban on " : "kernel ban off"}: ${banMs === null ? "" : `banned after ${fmt(banMs)} ms; `}` +
        `flood answered by the gateway ${fmt(row.floodAnsweredPerSecond)} req/s (429: ${fmt(row.floodRefusedPerSecond)}/s); ` +
        `honest p50/p99 quiet ${quiet.p50}/${quiet.p99} ms, during the flood ${during.p50}/${during.p99} ms ` +
        `(${fmt(during.p99 / quiet.p99, 2)}× p99), ${during.ok}/${PROBES} answered` +
        (during.ok < PROBES ? ` (failed: ${JSON.stringify(during.failed)})` : ""),
    );
    await gateway.stop();
    if (kernelBan) await pair.run(pair.server, ["nft", "flush", "set", "inet", "stinger", "gateway_ban_v4"]);
  }
  report(results);
  await clients.stop();
} finally {
  for (const p of owned.reverse()) await stopOwned(p);
  await pair.remove();
  rmSync(dir, { recursive: true, force: true });
}
