// The vocabulary shared by collectors, checks, reporters and the hardener.

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export type Area = "ssh" | "network" | "firewall" | "fail2ban" | "system" | "stinger" | "audit";

/** One thing the audit saw that an operator should act on (or know). */
export interface Finding {
  /** Stable id, e.g. SSH-002; never reused for a different meaning. */
  id: string;
  title: string;
  severity: Severity;
  /** What exactly was seen, and where (file:line, command, /proc path). */
  evidence: string;
  /** The exact change that removes the finding. */
  fix: string;
  area: Area;
  /** Baseline references (CIS, dev-sec, Lynis, SSG) for readers who want the rationale. */
  refs?: string[];
  /** sshd directives the hardener puts in its drop-in to fix this finding. */
  sshdDirectives?: string[];
}

/** What a collector gives back: the facts, or why they could not be seen. */
export type Collected<T> = { ok: true; value: T; source: string } | { ok: false; reason: string };

export function seen<T>(value: T, source: string): Collected<T> {
  return { ok: true, value, source };
}

export function unseen<T>(reason: string): Collected<T> {
  return { ok: false, reason };
}
