import { VERSION } from "../../version.ts";
import type { AuditReport } from "../audit.ts";
import { SEVERITIES, type Severity } from "../types.ts";

/** The stable machine-readable report; its JSON Schema is docs/audit-report.schema.json. */
export interface JsonReport {
  tool: { name: "stinger audit"; version: string };
  host: { root: string | null; root_privileges: boolean };
  deploymentConfigs: string[];
  score: number;
  summary: Record<Severity, number>;
  checksRun: number;
  findings: {
    id: string;
    title: string;
    severity: Severity;
    evidence: string;
    fix: string;
    area: string;
    refs: string[];
  }[];
  skipped: { id: string; title: string; reason: string }[];
  blindSpots: string[];
  durationMs: number;
}

export function summarize(report: AuditReport): Record<Severity, number> {
  const summary = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of report.findings) summary[f.severity]++;
  return summary;
}

export function toJsonReport(report: AuditReport): JsonReport {
  return {
    tool: { name: "stinger audit", version: VERSION },
    host: { root: report.host.root, root_privileges: report.host.isRoot },
    deploymentConfigs: report.deploymentSources,
    score: report.score,
    summary: summarize(report),
    checksRun: report.checksRun,
    findings: report.findings.map((f) => ({
      id: f.id,
      title: f.title,
      severity: f.severity,
      evidence: f.evidence,
      fix: f.fix,
      area: f.area,
      refs: f.refs ?? [],
    })),
    skipped: report.skipped,
    blindSpots: report.blindSpots,
    durationMs: report.durationMs,
  };
}
