import { VERSION } from "../../version.ts";
import type { AuditReport } from "../audit.ts";
import type { Check } from "../check.ts";
import type { Severity } from "../types.ts";

// SARIF 2.1.0 (OASIS): one run, one rule per check id, one result per finding. Written by hand: the
// format is a plain JSON object, and the builder libraries add nothing but a dependency.
const LEVEL: Record<Severity, "none" | "note" | "warning" | "error"> = {
  info: "note",
  low: "note",
  medium: "warning",
  high: "error",
  critical: "error",
};

/** GitHub code scanning reads this number (0–10) to rank results. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  info: "0.0",
  low: "3.0",
  medium: "5.5",
  high: "8.0",
  critical: "9.5",
};

/** Where a finding points: the file named first in its evidence, else the host itself. */
function locationOf(evidence: string): string {
  const m = /(\/[\w./@+-]+?)(?::(\d+))?(?=[\s),;:]|$)/.exec(evidence);
  return m ? m[1]! : "/";
}

function lineOf(evidence: string): number | undefined {
  const m = /(\/[\w./@+-]+):(\d+)/.exec(evidence);
  return m ? Number(m[2]) : undefined;
}

export function toSarif(report: AuditReport, checks: readonly Check[]) {
  const ruleIds = [...new Set(report.findings.map((f) => f.id))];
  const byId = new Map(checks.map((c) => [c.id, c]));
  const rules = ruleIds.map((id) => {
    const check = byId.get(id);
    const sample = report.findings.find((f) => f.id === id)!;
    return {
      id,
      name: id.replace(/-/g, ""),
      shortDescription: { text: check?.title ?? sample.title },
      help: { text: sample.fix },
      properties: {
        tags: ["security", sample.area, ...(check?.refs ?? [])],
        "security-severity": SECURITY_SEVERITY[check?.severity ?? sample.severity],
      },
    };
  });
  const results = report.findings.map((f) => {
    const line = lineOf(f.evidence);
    return {
      ruleId: f.id,
      ruleIndex: ruleIds.indexOf(f.id),
      level: LEVEL[f.severity],
      message: { text: `${f.title}: ${f.evidence}. Fix: ${f.fix}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: `file://${encodeURI(locationOf(f.evidence))}` },
            ...(line ? { region: { startLine: line } } : {}),
          },
        },
      ],
      properties: { severity: f.severity, evidence: f.evidence, fix: f.fix },
    };
  });
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0" as const,
    runs: [
      {
        tool: {
          driver: {
            name: "stinger-audit",
            version: VERSION,
            rules,
          },
        },
        results,
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: [
              ...report.blindSpots.map((b) => ({
                level: "warning" as const,
                message: { text: `not seen: ${b}` },
              })),
              ...report.skipped.map((s) => ({
                level: "note" as const,
                message: { text: `${s.id} skipped: ${s.reason}` },
              })),
            ],
          },
        ],
        properties: { score: report.score },
      },
    ],
  };
}
