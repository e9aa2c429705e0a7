import { styleText } from "node:util";
import type { AuditReport } from "../audit.ts";
import type { Severity } from "../types.ts";
import { summarize } from "./json.ts";

type Style = Parameters<typeof styleText>[0];
const COLOR: Record<Severity, Style> = {
  critical: ["bold", "magenta"],
  high: ["bold", "red"],
  medium: "yellow",
  low: "cyan",
  info: "gray",
};

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l)).join("\n");
}

/** The human report: one block per finding (severity, id, title, what was seen, the fix), then a summary. */
export function toTable(report: AuditReport, opts: { color: boolean; width?: number }): string {
  const paint = (style: Style, s: string) => (opts.color ? styleText(style, s) : s);
  const width = Math.max(60, Math.min(opts.width ?? 100, 140));
  const out: string[] = [];
  const where = report.host.root ? `fixture root ${report.host.root}` : "this host";
  out.push(
    paint("bold", `stinger audit of ${where}`) +
      (report.host.isRoot ? "" : paint("yellow", " (not root: some facts could not be read)")),
  );
  if (report.deploymentSources.length) out.push(`deployment: ${report.deploymentSources.join(", ")}`);
  else out.push("deployment: stinger defaults (pass --node-config / --gateway-config for this host's ports)");
  out.push("");
  const pad = 10;
  for (const f of report.findings) {
    const sev = f.severity.toUpperCase().padEnd(pad - 1);
    out.push(`${paint(COLOR[f.severity], sev)} ${paint("bold", f.id.padEnd(8))} ${f.title}`);
    const indent = " ".repeat(pad + 6);
    out.push(`${" ".repeat(pad)}seen: ${wrap(f.evidence, width - indent.length, indent)}`);
    out.push(`${" ".repeat(pad)}fix:  ${wrap(f.fix, width - indent.length, indent)}`);
  }
  if (report.findings.length === 0) out.push(paint("green", "no findings"));
  if (report.blindSpots.length || report.skipped.length) {
    out.push("");
    out.push(paint("yellow", "not judged:"));
    for (const b of report.blindSpots) out.push(`  - ${wrap(b, width - 4, "    ")}`);
    for (const s of report.skipped) out.push(`  - ${s.id} ${s.title}: ${wrap(s.reason, width - 20, "    ")}`);
  }
  const counts = summarize(report);
  const parts = (Object.keys(counts) as Severity[])
    .reverse()
    .filter((s) => counts[s] > 0)
    .map((s) => paint(COLOR[s], `${counts[s]} ${s}`));
  out.push("");
  out.push(
    `${paint("bold", `score ${report.score}/100`)}  ${report.checksRun} checks run, ${report.skipped.length} skipped` +
      `${parts.length ? `; findings: ${parts.join(", ")}` : ""}  (${report.durationMs} ms)`,
  );
  return `${out.join("\n")}\n`;
}
