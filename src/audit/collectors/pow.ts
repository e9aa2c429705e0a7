import type { Deployment } from "../deployment.ts";
import type { Host } from "../host.ts";
import { type Collected, seen } from "../types.ts";

export interface PowFacts {
  /** CPUs the host shows in /proc/cpuinfo (null: unreadable) */
  cores: number | null;
  /** one PoW worker's hashes/s from `stinger pow --benchmark --quick` (null: not measured) */
  perWorkerHashesPerSecond: number | null;
  /** why the rate is unknown, when it is */
  rateUnknown?: string;
}

// Same depth under src/ and dist/: audit/collectors → the package's bin/stinger.
const BIN = new URL("../../../bin/stinger", import.meta.url).pathname;

/**
 * The host's PoW capacity for the remote-PoW checks: its cores, and, only when the node config turns
 * remote PoW on, a short measurement of one worker (on a fixture root: the saved command output).
 */
export async function collectPow(host: Host, deployment: Deployment): Promise<Collected<PowFacts>> {
  const cpuinfo = await host.readText("/proc/cpuinfo");
  const count = cpuinfo.ok ? (cpuinfo.text.match(/^processor\s*:/gm) ?? []).length : 0;
  const cores = count > 0 ? count : null;
  if (!deployment.node?.config.restAPI.powEnabled)
    return seen({ cores, perWorkerHashesPerSecond: null, rateUnknown: "remote PoW is off" }, "/proc/cpuinfo");
  const r = await host.run(
    process.execPath,
    [BIN, "pow", "--benchmark", "--quick", "--json"],
    "stinger-pow-benchmark",
  );
  let rate: number | null = null;
  let rateUnknown: string | undefined;
  if (r.ok) {
    try {
      const n = Number(
        (JSON.parse(r.stdout) as { perWorkerHashesPerSecond?: unknown }).perWorkerHashesPerSecond,
      );
      rate = Number.isFinite(n) && n > 0 ? n : null;
    } catch {
      rateUnknown = "the PoW measurement printed no JSON";
    }
  } else rateUnknown = `the PoW measurement failed: ${r.reason}`;
  return seen(
    { cores, perWorkerHashesPerSecond: rate, ...(rateUnknown ? { rateUnknown } : {}) },
    "/proc/cpuinfo, stinger pow --benchmark --quick",
  );
}
