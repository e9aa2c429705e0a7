import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Host } from "../host.ts";
import { type Collected, seen, unseen } from "../types.ts";
import { effectiveConfig, type ParsedSshdConfig, parseSshdConfig, tokenize } from "./sshd-parser.ts";

/** Effective sshd settings: lower-case keyword → values in order, as `sshd -T` prints them. */
export type SshdConfig = Map<string, string[]>;

export interface SshdFacts {
  config: SshdConfig;
  /** How the settings were read: the daemon's own view, or stinger's parser of the files. */
  method: "sshd -T" | "parser";
  /** The command or file the settings came from, for evidence lines. */
  source: string;
  /** The effective settings under each Match condition named in the files. */
  matches: { criteria: string; config: SshdConfig }[];
  ports: number[];
  /** Config files involved, main file first (host paths). */
  files: string[];
  /** Where a keyword's winning value was set, when the parser read the files. */
  provenance: Map<string, { file: string; line: number }>;
  /** Every place a keyword was set, to tell when a drop-in shadows the main file. */
  assignments: Map<string, { file: string; line: number; value: string }[]>;
  /** sshd refused the configuration (the message it gave). */
  configError?: string;
  /** Things worth saying that are not findings of their own (include loops, unreadable drop-ins). */
  problems: string[];
}

const MAIN_CONFIG = "/etc/ssh/sshd_config";
const SSHD = "/usr/sbin/sshd";
/** Lynis's trick: a user that matches no "Match User" line, so -C resolves Match blocks for everyone else. */
const BASELINE_CONTEXT = "user=stinger-audit-nobody,host=none,addr=none";

export function first(config: SshdConfig, keyword: string): string | undefined {
  return config.get(keyword)?.[0];
}

/** Parses `sshd -T` output: one "keyword value" per line, keywords repeated for multi-valued settings. */
export function parseSshdT(text: string): SshdConfig {
  const config: SshdConfig = new Map();
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const values = config.get(m[1]!.toLowerCase()) ?? [];
    values.push(m[2]!);
    config.set(m[1]!.toLowerCase(), values);
  }
  return config;
}

function portsOf(config: SshdConfig): number[] {
  const ports = (config.get("port") ?? ["22"]).map(Number).filter((p) => Number.isInteger(p) && p > 0);
  return [...new Set(ports)];
}

/** Turns a Match line into an -C connection spec and the matching parser context. */
export function contextFor(
  criteria: string,
): { spec: string; ctx: { user?: string; addr?: string; host?: string } } | null {
  const words = tokenize(`Match ${criteria}`)?.slice(1) ?? [];
  const ctx: { user?: string; addr?: string; host?: string } = {
    user: "stinger-audit-nobody",
    host: "none",
    addr: "none",
  };
  for (let i = 0; i + 1 < words.length; i += 2) {
    const kind = words[i]!.toLowerCase();
    const pick = words[i + 1]!.split(",").find((p) => !p.startsWith("!")) ?? "";
    const literal = pick.replace(/[*?]/g, "x");
    if (kind === "user") ctx.user = literal;
    else if (kind === "host") ctx.host = literal;
    else if (kind === "address") ctx.addr = literal.split("/")[0]!.replace(/x/g, "1");
    else return null; // Group, LocalAddress, LocalPort, RDomain: not simulated
  }
  return { spec: `user=${ctx.user},host=${ctx.host},addr=${ctx.addr}`, ctx };
}

function assignmentsOf(parsed: ParsedSshdConfig): SshdFacts["assignments"] {
  const map: SshdFacts["assignments"] = new Map();
  for (const e of parsed.entries) {
    if (e.match !== null) continue;
    const list = map.get(e.keyword) ?? [];
    list.push({ file: e.file, line: e.line, value: e.args.join(" ") });
    map.set(e.keyword, list);
  }
  return map;
}

/**
 * Effective sshd configuration: asks `sshd -T` (the daemon's own resolution of Include, defaults and
 * Match), once for everyone and once per Match condition; falls back to stinger's parser of the files when
 * sshd cannot be asked, and always parses the files for provenance.
 */
export async function collectSshd(
  host: Host,
  opts: { configPath?: string; sshdPath?: string } = {},
): Promise<Collected<SshdFacts>> {
  const mainConfig = opts.configPath ?? MAIN_CONFIG;
  const sshd = opts.sshdPath ?? SSHD;
  const parsedOrError = await parseSshdConfig(host, mainConfig);
  const parsed = "error" in parsedOrError ? null : parsedOrError;
  const problems = parsed ? [...parsed.problems] : [];

  const asked = await askSshd(host, parsed, mainConfig, sshd);
  if (!parsed && !asked.ok) {
    if (!(await host.exists(sshd)) && !(await host.exists(mainConfig)))
      return unseen(`no SSH server: ${host.display(mainConfig)} and ${host.display(sshd)} not found`);
    return unseen(
      `sshd configuration unreadable: ${(parsedOrError as { error: string }).error}; ${asked.reason}`,
    );
  }
  const base = parsed
    ? effectiveConfig(parsed, { user: "stinger-audit-nobody", host: "none", addr: "none" })
    : null;
  const facts: SshdFacts = {
    config: new Map(),
    method: "parser",
    source: host.display(mainConfig),
    matches: [],
    ports: [],
    files: parsed?.files ?? [],
    provenance: base?.provenance ?? new Map(),
    assignments: parsed ? assignmentsOf(parsed) : new Map(),
    problems,
  };
  if (asked.ok) {
    facts.config = asked.config;
    facts.method = "sshd -T";
    facts.source = asked.source;
    facts.matches = asked.matches;
    problems.push(...asked.problems);
  } else {
    if (asked.configError) facts.configError = asked.configError;
    problems.push(`${asked.reason}; settings below come from stinger's reading of the files`);
    facts.config = base!.config;
    for (const criteria of parsed!.matchCriteria) {
      const c = contextFor(criteria);
      if (!c) {
        problems.push(`Match ${criteria}: condition not evaluated (only User, Host and Address are)`);
        continue;
      }
      facts.matches.push({ criteria, config: effectiveConfig(parsed!, c.ctx).config });
    }
  }
  facts.ports = portsOf(facts.config);
  return seen(facts, facts.source);
}

type Asked =
  | { ok: true; config: SshdConfig; source: string; matches: SshdFacts["matches"]; problems: string[] }
  | { ok: false; reason: string; configError?: string };

async function askSshd(
  host: Host,
  parsed: ParsedSshdConfig | null,
  mainConfig: string,
  sshd: string,
): Promise<Asked> {
  if (host.root !== null) {
    // Fixture roots may carry a saved `sshd -T` output; sshd itself would read the live host's files.
    const saved = await host.run(sshd, ["-T"], "sshd-T.txt");
    if (!saved.ok) return { ok: false, reason: "sshd -T: no saved output in the fixture" };
    return { ok: true, config: parseSshdT(saved.stdout), source: saved.source, matches: [], problems: [] };
  }
  if (!(await host.exists(sshd))) return { ok: false, reason: `${sshd} not installed` };
  if (host.isRoot && !(await host.exists("/run/sshd")))
    return {
      ok: false,
      reason:
        "sshd -T as root needs /run/sshd (created when the ssh service starts; not created by the audit)",
    };
  let keyDir: string | undefined;
  try {
    const base = ["-T", "-f", mainConfig];
    if (!host.isRoot) {
      // Host keys are root-only; sshd -T accepts any readable key for the check and still reads the real config.
      keyDir = await mkdtemp(join(tmpdir(), "stinger-audit-"));
      const gen = await host.run(
        "ssh-keygen",
        ["-q", "-t", "ed25519", "-N", "", "-f", join(keyDir, "key")],
        "",
      );
      if (!gen.ok) return { ok: false, reason: `sshd -T without root needs a throwaway key: ${gen.reason}` };
      base.push("-h", join(keyDir, "key"));
    }
    const main = await host.run(sshd, [...base, "-C", BASELINE_CONTEXT], "");
    if (!main.ok) {
      const bad = /line \d+: .*/.exec(main.stderr ?? "");
      return {
        ok: false,
        reason: main.reason,
        ...(bad || main.exitCode === 255
          ? { configError: (main.stderr ?? main.reason).trim().split("\n")[0] }
          : {}),
      };
    }
    const matches: SshdFacts["matches"] = [];
    const problems: string[] = [];
    for (const criteria of parsed?.matchCriteria ?? []) {
      const c = contextFor(criteria);
      if (!c) {
        problems.push(`Match ${criteria}: condition not evaluated (only User, Host and Address are)`);
        continue;
      }
      const r = await host.run(sshd, [...base, "-C", c.spec], "");
      if (r.ok) matches.push({ criteria, config: parseSshdT(r.stdout) });
      else problems.push(`Match ${criteria}: ${r.reason}`);
    }
    return {
      ok: true,
      config: parseSshdT(main.stdout),
      source: `${sshd} -T -f ${mainConfig}`,
      matches,
      problems,
    };
  } finally {
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  }
}
