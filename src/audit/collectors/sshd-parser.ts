// stinger's own reader of sshd_config, used when `sshd -T` cannot be asked (no binary, fixture roots) and
// always for provenance (which file:line set a value) and for the list of Match conditions to re-ask
// sshd about. Written by hand because no npm package implements sshd's server-side semantics
// (Include expansion in place, first value wins, Match blocks).
import { BlockList, isIP } from "node:net";
import { posix } from "node:path";
import {
  SSHD_ALGORITHM_KEYWORDS,
  SSHD_DEFAULTS,
  SSHD_MULTI_KEYWORDS,
  SSHD_TIME_KEYWORDS,
} from "../data/sshd-defaults.ts";
import type { Host } from "../host.ts";

export interface SshdEntry {
  keyword: string;
  args: string[];
  file: string;
  line: number;
  /** The Match line this entry sits under (raw criteria text), or null for the global section. */
  match: string | null;
}

export interface ParsedSshdConfig {
  entries: SshdEntry[];
  files: string[];
  problems: string[];
  /** Distinct Match criteria in file order. */
  matchCriteria: string[];
}

const MAX_INCLUDE_DEPTH = 16;

/** Splits one config line into words the way sshd does: keyword, optional "=", then words; quotes group. */
export function tokenize(line: string): string[] | null {
  const head = /^\s*([^\s=#]+)\s*=?\s*/.exec(line);
  if (!head) return [];
  const words = [head[1]!];
  let i = head[0].length;
  while (i < line.length) {
    if (/\s/.test(line[i]!)) {
      i++;
      continue;
    }
    if (line[i] === "#") break;
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return null;
      words.push(line.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let word = "";
    while (i < line.length && !/\s/.test(line[i]!)) word += line[i++];
    words.push(word);
  }
  return words;
}

/**
 * sshd's wildcard patterns ("*" any run, "?" one character) as an anchored RegExp; other regex
 * metacharacters are taken literally.
 */
function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
}

/** Matches a path against a glob of "*", "?" and "[...]" in the last component only, as Include uses. */
async function expandGlob(host: Host, pattern: string): Promise<string[]> {
  const dir = posix.dirname(pattern);
  const base = posix.basename(pattern);
  if (!/[*?[]/.test(base)) return (await host.exists(pattern)) ? [pattern] : [];
  // A base name holds no "/", so the wildcard forms match exactly the names a path glob would.
  const re = wildcardRegExp(base);
  const names = (await host.list(dir)) ?? [];
  return names.filter((n) => re.test(n) && !n.startsWith(".")).map((n) => posix.join(dir, n));
}

/** Reads `mainPath` and every Include, in the order sshd does, into a flat list of entries. */
export async function parseSshdConfig(
  host: Host,
  mainPath = "/etc/ssh/sshd_config",
): Promise<ParsedSshdConfig | { error: string }> {
  const result: ParsedSshdConfig = { entries: [], files: [], problems: [], matchCriteria: [] };
  const main = await host.readText(mainPath);
  if (!main.ok) return { error: `${host.display(mainPath)}: ${main.reason}` };
  let match: string | null = null;

  const readFile = async (path: string, text: string, stack: string[]): Promise<void> => {
    result.files.push(path);
    const lines = text.split(/\r?\n/);
    for (const [index, raw] of lines.entries()) {
      const words = tokenize(raw);
      const where = `${host.display(path)}:${index + 1}`;
      if (words === null) {
        result.problems.push(`${where}: unbalanced quote`);
        continue;
      }
      if (words.length === 0) continue;
      const keyword = words[0]!.toLowerCase();
      const args = words.slice(1);
      if (keyword === "match") {
        match = args.join(" ");
        if (/^all$/i.test(match)) match = null;
        else if (!result.matchCriteria.includes(match)) result.matchCriteria.push(match);
        continue;
      }
      if (keyword === "include") {
        if (stack.length >= MAX_INCLUDE_DEPTH) {
          result.problems.push(
            `${where}: Include nested deeper than ${MAX_INCLUDE_DEPTH} levels (sshd refuses this)`,
          );
          continue;
        }
        for (const arg of args) {
          const pattern = posix.isAbsolute(arg) ? arg : posix.join("/etc/ssh", arg);
          for (const file of await expandGlob(host, pattern)) {
            if (stack.includes(file)) {
              result.problems.push(`${where}: Include loop back to ${host.display(file)} (ignored)`);
              continue;
            }
            const inc = await host.readText(file);
            if (!inc.ok) {
              result.problems.push(`${where}: Include ${host.display(file)}: ${inc.reason}`);
              continue;
            }
            await readFile(file, inc.text, [...stack, file]);
          }
        }
        continue;
      }
      if (args.length === 0) {
        result.problems.push(`${where}: "${words[0]}" has no value`);
        continue;
      }
      result.entries.push({ keyword, args, file: path, line: index + 1, match });
    }
  };
  await readFile(mainPath, main.text, [mainPath]);
  return result;
}

function toSeconds(value: string): string {
  const m = /^(?:\d+[smhdwSMHDW]?)+$/.test(value) ? value.match(/\d+[smhdwSMHDW]?/g) : null;
  if (!m) return value;
  const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  return String(
    m.reduce(
      (sum, part) => sum + Number.parseInt(part, 10) * unit[part.replace(/\d+/, "").toLowerCase()]!,
      0,
    ),
  );
}

function applyAlgorithmEdit(current: string, value: string): string {
  const list = current.split(",");
  const items = value.slice(1).split(",");
  if (value.startsWith("+")) return [...list, ...items.filter((i) => !list.includes(i))].join(",");
  if (value.startsWith("^")) return [...items, ...list.filter((i) => !items.includes(i))].join(",");
  if (value.startsWith("-")) {
    const res = items.map(wildcardRegExp);
    return list.filter((i) => !res.some((r) => r.test(i))).join(",");
  }
  return value;
}

/** Normalizes a value to the spelling `sshd -T` prints, so checks read one form. */
function normalize(keyword: string, args: string[]): string {
  const joined = args.join(" ");
  if (SSHD_TIME_KEYWORDS.has(keyword)) return toSeconds(joined);
  if (keyword === "permitrootlogin" && joined.toLowerCase() === "prohibit-password")
    return "without-password";
  if (keyword === "loglevel") return joined.toUpperCase();
  if (/^(yes|no)$/i.test(joined)) return joined.toLowerCase();
  return joined;
}

function inCidr(address: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/");
  const family = net!.includes(":") ? "ipv6" : "ipv4";
  if (isIP(address) === 0 || isIP(net!) === 0) return false;
  const list = new BlockList();
  try {
    list.addSubnet(net!, Number(bits), family);
  } catch {
    return false;
  }
  return list.check(address, address.includes(":") ? "ipv6" : "ipv4");
}

/** Does a Match criteria line apply to the connection described by `ctx` (user/addr/host)? */
export function matchApplies(
  criteria: string,
  ctx: { user?: string; addr?: string; host?: string },
): boolean {
  const words = tokenize(criteria) ?? [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    const kind = words[i]!.toLowerCase();
    const patterns = words[i + 1]!.split(",");
    const value =
      kind === "user" ? ctx.user : kind === "address" ? ctx.addr : kind === "host" ? ctx.host : undefined;
    if (value === undefined) return false;
    const test = (body: string) =>
      kind === "address" && body.includes("/") ? inCidr(value, body) : wildcardRegExp(body).test(value);
    // As in sshd: a matching negated pattern vetoes the whole list.
    if (patterns.some((p) => p.startsWith("!") && test(p.slice(1)))) return false;
    const hit = patterns.some((p) => !p.startsWith("!") && test(p));
    if (!hit) return false;
  }
  return words.length >= 2;
}

/**
 * The effective settings for a connection context: defaults, then the global entries and those under
 * Match blocks that apply, the first value of each keyword winning (every value for multi keywords).
 */
export function effectiveConfig(
  parsed: ParsedSshdConfig,
  ctx: { user?: string; addr?: string; host?: string } = {},
): { config: Map<string, string[]>; provenance: Map<string, { file: string; line: number }> } {
  const config = new Map<string, string[]>();
  const provenance = new Map<string, { file: string; line: number }>();
  for (const e of parsed.entries) {
    if (e.match !== null && !matchApplies(e.match, ctx)) continue;
    if (SSHD_MULTI_KEYWORDS.has(e.keyword)) {
      const values = config.get(e.keyword) ?? [];
      values.push(normalize(e.keyword, e.args));
      config.set(e.keyword, values);
      if (!provenance.has(e.keyword)) provenance.set(e.keyword, { file: e.file, line: e.line });
      continue;
    }
    if (config.has(e.keyword)) continue;
    let value = normalize(e.keyword, e.args);
    if (SSHD_ALGORITHM_KEYWORDS.has(e.keyword) && /^[+\-^]/.test(value))
      value = applyAlgorithmEdit(SSHD_DEFAULTS[e.keyword] ?? "", value);
    config.set(e.keyword, [value]);
    provenance.set(e.keyword, { file: e.file, line: e.line });
  }
  for (const [k, v] of Object.entries(SSHD_DEFAULTS)) if (!config.has(k)) config.set(k, [v]);
  return { config, provenance };
}
