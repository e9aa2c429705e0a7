import { performance } from "node:perf_hooks";
import { type Check, isSkipped } from "./check.ts";
import { ALL_CHECKS } from "./checks/index.ts";
import { collectFail2ban } from "./collectors/fail2ban.ts";
import { collectFiles } from "./collectors/files.ts";
import { collectFirewall } from "./collectors/firewall.ts";
import { collectPow } from "./collectors/pow.ts";
import { collectSockets } from "./collectors/sockets.ts";
import { collectSshd } from "./collectors/sshd.ts";
import { collectSystem } from "./collectors/system.ts";
import { collectUnits } from "./collectors/units.ts";
import { loadDeployment } from "./deployment.ts";
import type { Facts } from "./facts.ts";
import type { Host } from "./host.ts";
import { type Finding, type Severity, severityRank } from "./types.ts";

export interface AuditOptions {
  host: Host;
  nodeConfig?: string;
  gatewayConfig?: string;
  checks?: readonly Check[];
}

/** A check that could not judge, and why: reported, so a blind spot never reads as "all clear". */
export interface SkippedCheck {
  id: string;
  title: string;
  reason: string;
}

export interface AuditReport {
  findings: Finding[];
  skipped: SkippedCheck[];
  checksRun: number;
  /** 0–100: share of the severity weight of the checks that ran which passed. */
  score: number;
  /** What could not be seen, area by area (collectors that failed), in plain words. */
  blindSpots: string[];
  host: { root: string | null; isRoot: boolean };
  deploymentSources: string[];
  durationMs: number;
  facts: Facts;
}

const WEIGHT: Record<Severity, number> = { info: 0, low: 1, medium: 3, high: 6, critical: 10 };

export async function runAudit(opts: AuditOptions): Promise<AuditReport> {
  const started = performance.now();
  const { host } = opts;
  const deployment = await loadDeployment(host, opts);
  // Collectors are independent; run them together so the slow commands overlap.
  const [sshd, sockets, firewall, fail2ban, files, system, pow, units] = await Promise.all([
    collectSshd(host),
    collectSockets(host),
    collectFirewall(host),
    collectFail2ban(host),
    collectFiles(host, deployment),
    collectSystem(host),
    collectPow(host, deployment),
    collectUnits(host),
  ]);
  const facts: Facts = {
    host: { root: host.root, isRoot: host.isRoot },
    deployment,
    sshd,
    sockets,
    firewall,
    fail2ban,
    files,
    system,
    pow,
    units,
  };
  const blindSpots = Object.entries({ sshd, sockets, firewall, fail2ban, files, system, pow, units })
    .filter(([, c]) => !c.ok)
    .map(([area, c]) => `${area}: ${(c as { reason: string }).reason}`);
  // The firewall can be half seen (one family readable, the other not): say which half is missing.
  if (firewall.ok)
    for (const family of ["v4", "v6"] as const)
      if (firewall.value[family] === null)
        blindSpots.push(
          `firewall (IP${family}): ${firewall.value.unseenReason[family]?.split(";")[0] ?? "rules could not be read"}`,
        );

  const findings: Finding[] = [];
  const skipped: SkippedCheck[] = [];
  let total = 0;
  let failed = 0;
  let checksRun = 0;
  for (const check of opts.checks ?? ALL_CHECKS) {
    let result: ReturnType<Check["run"]>;
    try {
      result = check.run(facts);
    } catch (err) {
      // A bug in one check must not hide the others' results.
      result = { skipped: `check failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (isSkipped(result)) {
      skipped.push({ id: check.id, title: check.title, reason: result.skipped });
      continue;
    }
    checksRun++;
    total += WEIGHT[check.severity];
    if (result.length > 0) failed += Math.max(...result.map((f) => WEIGHT[f.severity]));
    findings.push(...result);
  }
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
  return {
    findings,
    skipped,
    checksRun,
    score: total === 0 ? 0 : Math.round((100 * (total - Math.min(failed, total))) / total),
    blindSpots,
    host: facts.host,
    deploymentSources: deployment.sources,
    durationMs: Math.round(performance.now() - started),
    facts,
  };
}

/** Exit status policy: 1 when any finding is at or above `failOn`. */
export function exceeds(report: AuditReport, failOn: Severity): boolean {
  return report.findings.some((f) => severityRank(f.severity) >= severityRank(failOn));
}
