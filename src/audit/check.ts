import type { Facts } from "./facts.ts";
import type { Area, Finding, Severity } from "./types.ts";

/** A check that could not run because the facts it needs were not visible; counted, never a pass. */
export interface Skipped {
  skipped: string;
}

/**
 * One rule with a stable id. `run` returns the findings (empty = pass) or why it could not judge.
 * `severity` is the most a finding of this check can be; single findings may be lower.
 */
export interface Check {
  id: string;
  title: string;
  area: Area;
  severity: Severity;
  refs?: string[];
  run(facts: Facts): Finding[] | Skipped;
}

export function isSkipped(r: Finding[] | Skipped): r is Skipped {
  return !Array.isArray(r);
}

/** Builds a finding of `check`, at the check's severity unless the case calls for another. */
export function finding(
  check: Pick<Check, "id" | "title" | "area" | "severity" | "refs">,
  detail: { evidence: string; fix: string; severity?: Severity; title?: string; sshdDirectives?: string[] },
): Finding {
  const f: Finding = {
    id: check.id,
    title: detail.title ?? check.title,
    severity: detail.severity ?? check.severity,
    evidence: detail.evidence,
    fix: detail.fix,
    area: check.area,
  };
  if (check.refs) f.refs = check.refs;
  if (detail.sshdDirectives) f.sshdDirectives = detail.sshdDirectives;
  return f;
}
