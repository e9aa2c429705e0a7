// Firewall state: nft / iptables (nf_tables and legacy back ends) / ufw / firewalld, judged per IP family.
//
// Every back end is turned into one small rule model (conditions + verdict), then a concrete packet — "a new
// connection from some internet address to port P" — is walked through every input base chain of a family.
// Netfilter semantics: all base chains on the input hook see the packet; accept ends one chain only, drop
// (and reject) is final. So the family's verdict is drop if any input chain drops it, accept otherwise.
import { SERVICE_PORTS } from "../data/services.ts";
import type { Host } from "../host.ts";
import { type Collected, seen, unseen } from "../types.ts";
import type { Protocol } from "./sockets.ts";

export type Family = 4 | 6;
export type Backend = "nftables" | "iptables-nft" | "iptables-legacy";

/** Where a policy or rule was seen: the command or file, and the rule as a reader would write it. */
export interface Evidence {
  source: string;
  /** The rule or policy line, e.g. `-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT` or `tcp dport 22 accept`. */
  text: string;
  /** How to address it: `inet filter input handle 7` (nft) or `filter INPUT` (iptables). */
  ref: string;
  backend: Backend;
}

/** One condition of a rule, reduced to what matters for "can a new connection from outside get in". */
export type Cond =
  | { kind: "proto"; values: string[]; neg: boolean }
  | { kind: "dport"; proto: "tcp" | "udp" | "th"; ranges: [number, number][]; neg: boolean }
  /** A source / interface / destination restriction: the rule only matches some senders. */
  | { kind: "restrict"; label: string; neg: boolean }
  | { kind: "loopback"; neg: boolean }
  | { kind: "ct"; states: string[]; neg: boolean }
  /** A rate limit: `over` means the rule matches only above the rate (a drop-the-excess rule). */
  | { kind: "limit"; over: boolean; text: string }
  | { kind: "family"; family: Family }
  /** A match this model cannot see through (nft `xt` of iptables-nft, marks, fib...): never matches. */
  | { kind: "opaque"; text: string };

export type Verdict =
  | { kind: "accept" | "drop" | "reject" | "return" }
  | { kind: "jump" | "goto"; target: string };

export interface FwRule {
  conds: Cond[];
  verdict: Verdict | null;
  evidence: Evidence;
}

export interface FwChain {
  backend: Backend;
  /** nft table family; iptables tables are `ip` (iptables-save) or `ip6` (ip6tables-save). */
  tableFamily: "ip" | "ip6" | "inet";
  table: string;
  name: string;
  /** Set on base chains attached to the input hook. */
  input: boolean;
  prio: number;
  policy?: "accept" | "drop";
  policyEvidence?: Evidence;
  rules: FwRule[];
}

export type Access = "anyone" | "restricted" | "blocked";

/** A run of ports of one protocol that a new connection from outside meets the same way. */
export interface PortRange {
  protocol: Protocol;
  from: number;
  to: number;
  access: Access;
  /** For `restricted`: the sources / interfaces the accepting rules name. */
  sources: string[];
  rateLimited: boolean;
  /** The rules and policies that decided, one per input chain that had a say. */
  evidence: Evidence[];
}

export interface FamilyView {
  family: Family;
  /** "drop" when a new connection to a port no rule names is dropped (policy drop or final drop rule). */
  defaultVerdict: "accept" | "drop";
  defaultEvidence: Evidence[];
  /** Covers 1..65535 for tcp and udp each, in order. */
  ports: PortRange[];
  /** Input base chains of this family, e.g. `nftables inet filter input`. */
  inputChains: string[];
  /** Whether any input chain can drop/reject anything at all (policy drop or a drop/reject rule). */
  dropsAnything: boolean;
}

export type SourceStatus =
  | { status: "seen"; source: string }
  | { status: "absent"; reason: string }
  | { status: "failed"; reason: string };

export interface FirewallFacts {
  /** null when the rules of that family could not be read; `unseenReason` says why. */
  v4: FamilyView | null;
  v6: FamilyView | null;
  unseenReason: { v4?: string; v6?: string };
  chains: FwChain[];
  sources: Record<
    | "nft"
    | "iptables-save"
    | "ip6tables-save"
    | "iptables-legacy-save"
    | "ip6tables-legacy-save"
    | "firewall-cmd",
    SourceStatus
  >;
  ufw: { installed: boolean; enabled: boolean | null; defaultInputPolicy: string | null; evidence: string[] };
  firewalld: { installed: boolean; running: boolean | null; evidence: string[] };
  /** Back ends / managers holding input rules right now, with one evidence line each. */
  managers: { name: string; evidence: string }[];
  /** Whether the input rules of each back end are non-trivial (rules, or a drop policy). */
  backendInUse: Record<Backend, boolean>;
  persistence: { persistent: boolean | null; evidence: string[] };
  /** Everything that could not be seen or understood, in plain words. */
  problems: string[];
}

// ---------------------------------------------------------------------------------------------------------
// nft -j list ruleset

type Json = unknown;
type Obj = Record<string, Json>;

function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function portOf(v: Json): number | null {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string") return /^\d+$/.test(v) ? Number(v) : (SERVICE_PORTS[v] ?? null);
  return null;
}

/** Renders an nft JSON value the way `nft list` would print it, for evidence lines. */
function renderValue(v: Json): string {
  if (v === null || v === undefined) return "";
  if (typeof v !== "object") return String(v);
  if (Array.isArray(v)) return v.map(renderValue).join(",");
  const o = v as Obj;
  if (isObj(o.set) || Array.isArray(o.set))
    return `{ ${(Array.isArray(o.set) ? o.set : [o.set]).map(renderValue).join(", ")} }`;
  if (Array.isArray(o.range)) return `${renderValue(o.range[0])}-${renderValue(o.range[1])}`;
  if (isObj(o.prefix)) return `${renderValue(o.prefix.addr)}/${renderValue(o.prefix.len)}`;
  if (isObj(o.payload)) return `${renderValue(o.payload.protocol)} ${renderValue(o.payload.field)}`;
  if (isObj(o.meta)) return `meta ${renderValue(o.meta.key)}`;
  if (isObj(o.ct)) return `ct ${renderValue(o.ct.key)}`;
  if (isObj(o.elem)) return renderValue(o.elem.val);
  return JSON.stringify(o);
}

function renderLimit(l: Obj): string {
  return `limit rate ${l.inv ? "over " : ""}${renderValue(l.rate)}/${renderValue(l.per)}`;
}

function renderStmt(s: Json): string {
  if (!isObj(s)) return JSON.stringify(s);
  const [key, val] = Object.entries(s)[0] ?? ["?", null];
  switch (key) {
    case "match": {
      const m = val as Obj;
      const op = m.op === "==" || m.op === "in" ? "" : ` ${String(m.op)}`;
      return `${renderValue(m.left)}${op} ${renderValue(m.right)}`;
    }
    case "accept":
    case "drop":
    case "return":
    case "continue":
      return key;
    case "reject":
      return isObj(val) && val.type ? `reject with ${renderValue(val.type)}` : "reject";
    case "jump":
    case "goto":
      return `${key} ${renderValue((val as Obj).target)}`;
    case "counter":
      return "counter";
    case "limit":
      return renderLimit(val as Obj);
    case "meter": {
      const m = val as Obj;
      const inner = isObj(m.stmt) && isObj(m.stmt.limit) ? renderLimit(m.stmt.limit) : renderStmt(m.stmt);
      return `meter ${renderValue(m.name)} { ${renderValue(m.key)} ${inner} }`;
    }
    case "set": {
      const m = val as Obj;
      const inner = Array.isArray(m.stmt) ? m.stmt.map(renderStmt).join(" ") : "";
      return `${renderValue(m.op)} ${renderValue(m.set)} { ${renderValue(m.elem)} ${inner} }`;
    }
    case "ct count":
      return `ct count ${(val as Obj).inv ? "over " : ""}${renderValue((val as Obj).val)}`;
    case "log":
      return "log";
    case "xt":
      return `xt ${renderValue((val as Obj).type)} ${renderValue((val as Obj).name)}`;
    default:
      return key;
  }
}

/** Expands an nft set/range/prefix value (with named sets looked up) into a flat list of atoms. */
function atoms(v: Json, sets: Map<string, Json[]>): Json[] {
  if (typeof v === "string" && v.startsWith("@")) return sets.get(v.slice(1)) ?? [v];
  if (Array.isArray(v)) return v.flatMap((x) => atoms(x, sets));
  if (isObj(v) && "set" in v) return atoms(v.set, sets);
  if (isObj(v) && isObj(v.elem)) return atoms(v.elem.val, sets);
  return [v];
}

function portRanges(v: Json, op: string, sets: Map<string, Json[]>): [number, number][] | null {
  if (op === "<" || op === "<=" || op === ">" || op === ">=") {
    const p = portOf(v);
    if (p === null) return null;
    if (op === "<") return [[0, p - 1]];
    if (op === "<=") return [[0, p]];
    if (op === ">") return [[p + 1, 65535]];
    return [[p, 65535]];
  }
  const out: [number, number][] = [];
  for (const a of atoms(v, sets)) {
    if (isObj(a) && Array.isArray(a.range)) {
      const lo = portOf(a.range[0]);
      const hi = portOf(a.range[1]);
      if (lo === null || hi === null) return null;
      out.push([lo, hi]);
      continue;
    }
    const p = portOf(a);
    if (p === null) return null;
    out.push([p, p]);
  }
  return out;
}

function strings(v: Json, sets: Map<string, Json[]>): string[] {
  return atoms(v, sets).map((a) => (typeof a === "string" ? a : renderValue(a)));
}

const L4_ALIASES: Record<string, string> = { "ipv6-icmp": "icmpv6", "6": "tcp", "17": "udp", "58": "icmpv6" };
const normProto = (p: string) => L4_ALIASES[p] ?? p;

function matchCond(m: Obj, sets: Map<string, Json[]>): Cond[] {
  const op = String(m.op ?? "==");
  const neg = op === "!=";
  const positive = op === "==" || op === "in";
  const left = m.left;
  const text = renderStmt({ match: m });
  const opaque: Cond[] = [{ kind: "opaque", text }];
  if (!isObj(left)) return opaque;
  if (isObj(left.payload)) {
    const proto = String(left.payload.protocol);
    const field = String(left.payload.field);
    const familyOf: Record<string, Family> = { ip: 4, ip6: 6, icmp: 4, icmpv6: 6 };
    const fam: Cond[] = familyOf[proto] ? [{ kind: "family", family: familyOf[proto] }] : [];
    if ((proto === "tcp" || proto === "udp" || proto === "th") && field === "dport") {
      const ranges = portRanges(m.right, op, sets);
      if (!ranges) return opaque;
      // A range comparison (`tcp dport < 1024`) is a positive match of the computed range.
      return [{ kind: "dport", proto, ranges, neg }];
    }
    if (!positive && !neg) return opaque;
    if ((proto === "ip" || proto === "ip6") && (field === "saddr" || field === "daddr"))
      return [
        ...fam,
        {
          kind: "restrict",
          label: `${proto} ${field} ${renderValue(m.right)}`,
          neg,
        },
      ];
    if ((proto === "ip" && field === "protocol") || (proto === "ip6" && field === "nexthdr"))
      return [...fam, { kind: "proto", values: strings(m.right, sets).map(normProto), neg }];
    // icmp type, tcp flags, ...: they imply their protocol; anything finer stays opaque.
    if (proto === "icmp" || proto === "icmpv6")
      return [...fam, { kind: "proto", values: [proto], neg: false }];
    return [...fam, { kind: "proto", values: [proto], neg: false }, ...opaque];
  }
  if (!positive && !neg) return opaque;
  if (isObj(left.meta)) {
    const key = String(left.meta.key);
    if (key === "iif" || key === "iifname") {
      const names = strings(m.right, sets);
      if (names.length === 1 && names[0] === "lo") return [{ kind: "loopback", neg }];
      return [{ kind: "restrict", label: `${key} ${renderValue(m.right)}`, neg }];
    }
    if (key === "l4proto") return [{ kind: "proto", values: strings(m.right, sets).map(normProto), neg }];
    if (key === "nfproto") {
      const vals = strings(m.right, sets);
      if (vals.length === 1 && (vals[0] === "ipv4" || vals[0] === "ipv6")) {
        const f: Family = vals[0] === "ipv4" ? 4 : 6;
        return [{ kind: "family", family: neg ? (f === 4 ? 6 : 4) : f }];
      }
    }
    return opaque;
  }
  if (isObj(left.ct) && left.ct.key === "state") return [{ kind: "ct", states: strings(m.right, sets), neg }];
  return opaque;
}

function nftRule(expr: Json[], sets: Map<string, Json[]>, evidence: Evidence): FwRule {
  const conds: Cond[] = [];
  let verdict: Verdict | null = null;
  for (const s of expr) {
    if (!isObj(s)) continue;
    const [key, val] = Object.entries(s)[0] ?? ["", null];
    if (key === "match" && isObj(val)) conds.push(...matchCond(val, sets));
    else if (key === "accept" || key === "drop" || key === "reject" || key === "return")
      verdict = { kind: key };
    else if ((key === "jump" || key === "goto") && isObj(val))
      verdict = { kind: key, target: String(val.target) };
    else if (key === "limit" && isObj(val))
      conds.push({ kind: "limit", over: val.inv === true, text: renderStmt(s) });
    else if (key === "meter" && isObj(val) && isObj(val.stmt) && isObj(val.stmt.limit))
      conds.push({ kind: "limit", over: val.stmt.limit.inv === true, text: renderStmt(s) });
    else if (key === "set" && isObj(val) && Array.isArray(val.stmt)) {
      const lim = val.stmt.find((x) => isObj(x) && isObj(x.limit)) as Obj | undefined;
      if (lim && isObj(lim.limit))
        conds.push({ kind: "limit", over: lim.limit.inv === true, text: renderStmt(s) });
    } else if (key === "ct count" && isObj(val))
      conds.push({ kind: "limit", over: val.inv === true, text: renderStmt(s) });
    else if (key === "xt") conds.push({ kind: "opaque", text: renderStmt(s) });
    // counter, log, comment, notrack, ...: no effect on whether a packet gets in.
  }
  return { conds, verdict, evidence };
}

export interface ParsedNft {
  chains: FwChain[];
  /** `family name` of every table, e.g. `inet filter`. */
  tables: string[];
  /** Rules whose matches were iptables `xt` extensions nft cannot show. */
  xtRules: number;
}

/** Parses `nft -j list ruleset`. Throws only SyntaxError-like errors with a clear message. */
export function parseNftJson(text: string, source: string): ParsedNft {
  let doc: Json;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `not valid JSON (${err instanceof Error ? err.message : String(err)}); truncated output?`,
    );
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables))
    throw new Error('not an nft ruleset: expected {"nftables": [...]}');
  const tables: string[] = [];
  const chains = new Map<string, FwChain>();
  const sets = new Map<string, Map<string, Json[]>>();
  const rules: Obj[] = [];
  let xtRules = 0;
  const key = (f: Json, t: Json, c?: Json) =>
    `${String(f)}\0${String(t)}${c === undefined ? "" : `\0${String(c)}`}`;
  for (const item of doc.nftables) {
    if (!isObj(item)) continue;
    if (isObj(item.table)) tables.push(`${String(item.table.family)} ${String(item.table.name)}`);
    else if (isObj(item.set) || isObj(item.map)) {
      const s = (item.set ?? item.map) as Obj;
      const k = key(s.family, s.table);
      if (!sets.has(k)) sets.set(k, new Map());
      sets.get(k)!.set(String(s.name), Array.isArray(s.elem) ? s.elem : []);
    } else if (isObj(item.chain)) {
      const c = item.chain;
      const fam = String(c.family);
      if (fam !== "ip" && fam !== "ip6" && fam !== "inet") continue; // arp/bridge/netdev: not IP input
      const input = c.hook === "input" && (c.type === undefined || c.type === "filter");
      const chain: FwChain = {
        backend: "nftables",
        tableFamily: fam,
        table: String(c.table),
        name: String(c.name),
        input,
        prio: typeof c.prio === "number" ? c.prio : 0,
        rules: [],
      };
      if (input) {
        chain.policy = c.policy === "drop" ? "drop" : "accept";
        chain.policyEvidence = {
          source,
          text: `chain ${chain.name} { type filter hook input priority ${chain.prio}; policy ${chain.policy}; }`,
          ref: `${fam} ${chain.table} ${chain.name}`,
          backend: "nftables",
        };
      }
      chains.set(key(fam, c.table, c.name), chain);
    } else if (isObj(item.rule)) rules.push(item.rule);
  }
  for (const r of rules) {
    const chain = chains.get(key(r.family, r.table, r.chain));
    if (!chain || !Array.isArray(r.expr)) continue;
    const evidence: Evidence = {
      source,
      text: r.expr.map(renderStmt).join(" "),
      ref: `${chain.tableFamily} ${chain.table} ${chain.name} handle ${String(r.handle)}`,
      backend: "nftables",
    };
    const rule = nftRule(r.expr, sets.get(key(r.family, r.table)) ?? new Map(), evidence);
    if (r.expr.some((s) => isObj(s) && "xt" in s)) xtRules++;
    chain.rules.push(rule);
  }
  return { chains: [...chains.values()], tables, xtRules };
}

// ---------------------------------------------------------------------------------------------------------
// iptables-save

/** Splits an iptables-save rule line into words, keeping quoted strings (comments) whole. */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1] : m[2]!);
  return out;
}

function ipPortRanges(spec: string): [number, number][] | null {
  const out: [number, number][] = [];
  for (const part of spec.split(",")) {
    const [a, b] = part.split(":");
    const lo = a === "" ? 0 : portOf(a);
    const hi = b === undefined ? lo : b === "" ? 65535 : portOf(b);
    if (lo === null || hi === null) return null;
    out.push([lo, hi]);
  }
  return out;
}

/** Options that take no value in iptables-save output (everything else after a known module takes one). */
const FLAG_OPTIONS = new Set([
  "--set",
  "--update",
  "--rcheck",
  "--remove",
  "--rsource",
  "--rdest",
  "--reap",
  "--syn", // a new connection's first packet: what the probe is
  "--connlimit-saddr",
]);

/** Options with one value that tune a match without narrowing who gets in (names, masks, windows). */
const TUNING_OPTIONS = new Set([
  "--name",
  "--mask",
  "--seconds",
  "--hitcount",
  "--limit-burst",
  "--hashlimit-name",
  "--hashlimit-mode",
  "--hashlimit-burst",
  "--hashlimit-htable-expire",
  "--hashlimit-htable-size",
  "--hashlimit-htable-max",
  "--hashlimit-srcmask",
  "--connlimit-mask",
]);

/** Targets that do something to the packet and let it go on to the next rule. */
const NON_TERMINAL_TARGETS = new Set([
  "LOG",
  "NFLOG",
  "ULOG",
  "MARK",
  "CONNMARK",
  "CT",
  "TRACE",
  "NOTRACK",
  "AUDIT",
  "SET",
  "TCPMSS",
  "CLASSIFY",
  "DSCP",
  "TOS",
  "TTL",
  "HL",
]);

function iptablesRule(
  args: string[],
  family: Family,
  evidence: Evidence,
  isChain: (name: string) => boolean,
): FwRule | string {
  const conds: Cond[] = [];
  let verdict: Verdict | null = null;
  let proto: string | null = null;
  let neg = false;
  let recent: "set" | "check" | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "!") {
      neg = true;
      continue;
    }
    const v = args[i + 1];
    const take = () => {
      i++;
      return v ?? "";
    };
    const was = neg;
    neg = false;
    switch (a) {
      case "-p":
      case "--protocol":
        proto = normProto(take());
        conds.push({ kind: "proto", values: [proto], neg: was });
        break;
      case "-s":
      case "--source":
      case "-d":
      case "--destination": {
        const val = take();
        conds.push({
          kind: "restrict",
          label: `${a.startsWith("-s") || a === "--source" ? "-s" : "-d"} ${val}`,
          neg: was,
        });
        break;
      }
      case "-i":
      case "--in-interface": {
        const val = take();
        conds.push(
          val === "lo" ? { kind: "loopback", neg: was } : { kind: "restrict", label: `-i ${val}`, neg: was },
        );
        break;
      }
      case "--dport":
      case "--destination-port":
      case "--dports":
      case "--destination-ports": {
        const ranges = ipPortRanges(take());
        if (!ranges || (proto !== "tcp" && proto !== "udp")) return `bad port match in: ${evidence.text}`;
        conds.push({ kind: "dport", proto, ranges, neg: was });
        break;
      }
      case "--ctstate":
      case "--state":
        conds.push({ kind: "ct", states: take().toLowerCase().split(","), neg: was });
        break;
      case "--limit":
        conds.push({ kind: "limit", over: false, text: `-m limit --limit ${take()}` });
        break;
      case "--hashlimit-upto":
      case "--hashlimit-above":
        conds.push({ kind: "limit", over: a === "--hashlimit-above", text: `-m hashlimit ${a} ${take()}` });
        break;
      case "--connlimit-above":
        conds.push({ kind: "limit", over: true, text: `-m connlimit --connlimit-above ${take()}` });
        break;
      case "--set":
        recent = recent ?? "set";
        break;
      case "--update":
      case "--rcheck":
        recent = "check";
        break;
      case "--match-set": {
        const name = take();
        const dir = take();
        conds.push({ kind: "restrict", label: `-m set --match-set ${name} ${dir}`, neg: was });
        break;
      }
      case "--dst-type": {
        const t = take();
        if (t !== "LOCAL") conds.push({ kind: "opaque", text: `--dst-type ${t}` });
        break;
      }
      case "-j":
      case "--jump":
      case "-g":
      case "--goto": {
        const t = take();
        const goto = a === "-g" || a === "--goto";
        if (t === "ACCEPT") verdict = { kind: "accept" };
        else if (t === "DROP") verdict = { kind: "drop" };
        else if (t === "REJECT") verdict = { kind: "reject" };
        else if (t === "RETURN") verdict = { kind: "return" };
        else if (isChain(t)) verdict = { kind: goto ? "goto" : "jump", target: t };
        else if (NON_TERMINAL_TARGETS.has(t)) verdict = null;
        else conds.push({ kind: "opaque", text: `-j ${t}` }); // QUEUE, TPROXY, ...: cannot judge

        // Target options (--reject-with, --log-prefix "...") follow; they do not change the verdict.
        i = args.length;
        break;
      }
      case "-m":
      case "--match":
        take(); // the module's options are handled one by one above
        break;
      case "--comment":
        take();
        break;
      case "--icmp-type":
      case "--icmpv6-type":
        take();
        break;
      default:
        if (FLAG_OPTIONS.has(a)) break;
        if (TUNING_OPTIONS.has(a)) {
          take();
          break;
        }
        if (a.startsWith("-")) {
          // An option this model does not know: it narrows the rule in a way we cannot judge.
          const next = args[i + 1];
          if (next !== undefined && !next.startsWith("-") && next !== "!") i++;
          conds.push({ kind: "opaque", text: was ? `! ${a}` : a });
        }
    }
  }
  // `-m recent --update/--rcheck` matches only senders over the limit (ufw's LIMIT, DIY brute-force rules).
  if (recent === "check") conds.push({ kind: "limit", over: true, text: "-m recent --update" });
  conds.push({ kind: "family", family });
  return { conds, verdict, evidence };
}

export interface ParsedIptables {
  chains: FwChain[];
  /** `nf_tables` / `legacy` from the "Generated by" header, when it is there. */
  variant: "nf_tables" | "legacy" | null;
  /** Lines the parser could not use, and tables without COMMIT (a truncated save). */
  problems: string[];
  /** Whether iptables-nft warned that legacy tables exist too. */
  legacyWarning: boolean;
  tables: string[];
  /** Set when a table has no COMMIT: the save was cut short, so its rules cannot be trusted. */
  truncated: string | null;
}

const INPUT_TABLES = new Set(["filter", "mangle", "security"]);

/** Parses `iptables-save` / `ip6tables-save` output (either back end). */
export function parseIptablesSave(
  text: string,
  family: Family,
  source: string,
  backend: Backend,
): ParsedIptables {
  const chains = new Map<string, FwChain>();
  const problems: string[] = [];
  const tables: string[] = [];
  let variant: ParsedIptables["variant"] = null;
  let legacyWarning = false;
  let table: string | null = null;
  const tableFamily = family === 4 ? "ip" : "ip6";
  const lines = text.split("\n");
  for (const [n, raw] of lines.entries()) {
    const line = raw.trim();
    const at = `${source}:${n + 1}`;
    if (line === "") continue;
    if (line.startsWith("#")) {
      if (/Generated by ip6?tables-save .*\(nf_tables\)/.test(line)) variant = "nf_tables";
      else if (/Generated by ip6?tables-save .*\(legacy\)/.test(line)) variant = "legacy";
      if (/legacy tables present/.test(line)) legacyWarning = true;
      continue;
    }
    if (line.startsWith("*")) {
      if (table !== null) problems.push(`${at}: table *${table} has no COMMIT before *${line.slice(1)}`);
      table = line.slice(1);
      tables.push(table);
      continue;
    }
    if (line === "COMMIT") {
      if (table === null) problems.push(`${at}: COMMIT outside a table`);
      table = null;
      continue;
    }
    if (table === null) {
      problems.push(`${at}: line outside a table: ${line}`);
      continue;
    }
    if (line.startsWith(":")) {
      const m = /^:(\S+)\s+(\S+)/.exec(line);
      if (!m) {
        problems.push(`${at}: malformed chain line: ${line}`);
        continue;
      }
      const name = m[1]!;
      const input = name === "INPUT" && INPUT_TABLES.has(table);
      const chain: FwChain = { backend, tableFamily, table, name, input, prio: 0, rules: [] };
      if (input) {
        chain.policy = m[2] === "DROP" ? "drop" : "accept";
        chain.policyEvidence = { source, text: line, ref: `${table} ${name}`, backend };
      }
      chains.set(`${table}\0${name}`, chain);
      continue;
    }
    if (line.startsWith("-A ")) {
      const args = words(line);
      const chain = chains.get(`${table}\0${args[1]}`);
      if (!chain) {
        problems.push(`${at}: rule for undeclared chain ${args[1]}`);
        continue;
      }
      const evidence: Evidence = { source, text: line, ref: `${table} ${chain.name}`, backend };
      const t = table;
      const rule = iptablesRule(args.slice(2), family, evidence, (name) => chains.has(`${t}\0${name}`));
      if (typeof rule === "string") problems.push(`${at}: ${rule}`);
      else chain.rules.push(rule);
      continue;
    }
    problems.push(`${at}: not an iptables-save line: ${line.slice(0, 80)}`);
  }
  const truncated = table !== null ? `table *${table} has no COMMIT (truncated output?)` : null;
  return { chains: [...chains.values()], variant, problems, legacyWarning, tables, truncated };
}

// ---------------------------------------------------------------------------------------------------------
// Judgement

interface Probe {
  family: Family;
  /** "other" stands for a protocol no rule names: only unconditional rules and policies decide it. */
  proto: Protocol | "other";
  port?: number;
  /** "anyone": some internet address no rule names; "listed": a sender the rules name (an admin address). */
  who: "anyone" | "listed";
}

interface Outcome {
  verdict: "accept" | "drop";
  rateLimited: boolean;
  sources: string[];
  evidence: Evidence[];
}

function condMatches(c: Cond, p: Probe, dropping: boolean): boolean {
  switch (c.kind) {
    case "family":
      return c.family === p.family;
    case "proto":
      return c.values.includes(p.proto) !== c.neg;
    case "dport": {
      if (p.proto === "other" || p.port === undefined) return false;
      if (c.proto !== "th" && c.proto !== p.proto) return false;
      const port = p.port;
      return c.ranges.some(([lo, hi]) => port >= lo && port <= hi) !== c.neg;
    }
    case "restrict":
      // A listed sender is assumed not to be on a block list: positive restrictions only admit it.
      if (p.who === "anyone") return c.neg;
      return c.neg ? false : !dropping;
    case "loopback":
      return c.neg;
    case "ct":
      return c.states.includes("new") !== c.neg;
    case "limit":
      return true; // decided by the caller
    case "opaque":
      return false;
  }
}

interface Walk {
  result: "accept" | "drop" | "fallthrough" | "return";
  rateLimited: boolean;
  sources: string[];
  evidence?: Evidence;
}

const MAX_DEPTH = 16;

function walkChain(
  chain: FwChain,
  byName: Map<string, FwChain>,
  p: Probe,
  depth: number,
  state: { rateLimited: boolean; sources: string[] },
): Walk {
  if (depth > MAX_DEPTH) return { result: "fallthrough", ...state };
  for (const rule of chain.rules) {
    const dropping = rule.verdict?.kind === "drop" || rule.verdict?.kind === "reject";
    let ok = true;
    for (const c of rule.conds) if (c.kind !== "limit" && !condMatches(c, p, dropping)) ok = false;
    if (!ok) continue;
    const limits = rule.conds.filter((c) => c.kind === "limit");
    if (limits.length > 0) {
      state.rateLimited = true;
      // Over-the-rate rules only hit senders who exceed it; an ordinary client passes them.
      if (limits.some((c) => c.kind === "limit" && c.over)) continue;
      if (dropping) continue;
    }
    const labels = rule.conds.flatMap((c) => (c.kind === "restrict" && !c.neg ? [c.label] : []));
    const v = rule.verdict;
    if (!v) continue;
    if (v.kind === "accept")
      return {
        result: "accept",
        rateLimited: state.rateLimited,
        sources: [...state.sources, ...labels],
        evidence: rule.evidence,
      };
    if (dropping) return { result: "drop", ...state, evidence: rule.evidence };
    if (v.kind === "return") return { result: "return", ...state };
    if (v.kind === "jump" || v.kind === "goto") {
      const target = byName.get(v.target);
      if (!target) continue;
      const inner = walkChain(target, byName, p, depth + 1, {
        rateLimited: state.rateLimited,
        sources: [...state.sources, ...labels],
      });
      state.rateLimited = inner.rateLimited;
      if (inner.result === "accept" || inner.result === "drop") return inner;
      // goto: falling off the target ends the calling chain too.
      if (v.kind === "goto") return { result: "return", ...state };
    }
  }
  return { result: "fallthrough", ...state };
}

function chainLabel(c: FwChain): string {
  return `${c.backend} ${c.tableFamily} ${c.table} ${c.name}`;
}

export function familyChains(chains: FwChain[], family: Family): FwChain[] {
  const fam = family === 4 ? "ip" : "ip6";
  return chains
    .filter((c) => c.input && (c.tableFamily === fam || c.tableFamily === "inet"))
    .sort((a, b) => a.prio - b.prio);
}

function evaluate(chains: FwChain[], p: Probe): Outcome {
  const inputs = familyChains(chains, p.family);
  const evidence: Evidence[] = [];
  let rateLimited = false;
  const sources: string[] = [];
  for (const base of inputs) {
    const byName = new Map(
      chains
        .filter(
          (c) => c.backend === base.backend && c.tableFamily === base.tableFamily && c.table === base.table,
        )
        .map((c) => [c.name, c]),
    );
    const w = walkChain(base, byName, p, 0, { rateLimited: false, sources: [] });
    rateLimited ||= w.rateLimited;
    const verdict =
      w.result === "accept" || w.result === "drop" ? w.result : base.policy === "drop" ? "drop" : "accept";
    const ev = w.result === "accept" || w.result === "drop" ? w.evidence : base.policyEvidence;
    if (verdict === "drop") return { verdict: "drop", rateLimited, sources: [], evidence: ev ? [ev] : [] };
    sources.push(...w.sources);
    // A bare accept policy of a chain with no rule for the packet says nothing worth showing, unless nothing else does.
    if (ev) evidence.push(ev);
  }
  return { verdict: "accept", rateLimited, sources: [...new Set(sources)], evidence };
}

/** Port boundaries where the rules may change their mind, for one protocol. */
function cutPoints(chains: FwChain[], family: Family, proto: Protocol): number[] {
  const cuts = new Set<number>([1, 65536]);
  const fam = family === 4 ? "ip" : "ip6";
  for (const c of chains) {
    if (c.tableFamily !== fam && c.tableFamily !== "inet") continue;
    for (const r of c.rules)
      for (const k of r.conds)
        if (k.kind === "dport" && (k.proto === proto || k.proto === "th"))
          for (const [lo, hi] of k.ranges) {
            if (lo >= 1 && lo <= 65535) cuts.add(lo);
            if (hi + 1 >= 1 && hi + 1 <= 65535) cuts.add(hi + 1);
          }
  }
  return [...cuts].sort((a, b) => a - b);
}

const evKey = (e: Evidence[]) => e.map((x) => `${x.source}|${x.ref}|${x.text}`).join("\n");

function judgeFamily(chains: FwChain[], family: Family): FamilyView {
  const inputs = familyChains(chains, family);
  const ports: PortRange[] = [];
  for (const protocol of ["tcp", "udp"] as const) {
    const cuts = cutPoints(chains, family, protocol);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const from = cuts[i]!;
      const to = cuts[i + 1]! - 1;
      const any = evaluate(chains, { family, proto: protocol, port: from, who: "anyone" });
      let range: PortRange;
      if (any.verdict === "accept")
        range = {
          protocol,
          from,
          to,
          access: "anyone",
          sources: [],
          rateLimited: any.rateLimited,
          evidence: any.evidence,
        };
      else {
        const listed = evaluate(chains, { family, proto: protocol, port: from, who: "listed" });
        range =
          listed.verdict === "accept"
            ? {
                protocol,
                from,
                to,
                access: "restricted",
                sources: listed.sources,
                rateLimited: listed.rateLimited,
                evidence: listed.evidence,
              }
            : {
                protocol,
                from,
                to,
                access: "blocked",
                sources: [],
                rateLimited: any.rateLimited,
                evidence: any.evidence,
              };
      }
      const prev = ports[ports.length - 1];
      if (
        prev &&
        prev.protocol === protocol &&
        prev.to + 1 === from &&
        prev.access === range.access &&
        prev.rateLimited === range.rateLimited &&
        evKey(prev.evidence) === evKey(range.evidence)
      )
        prev.to = to;
      else ports.push(range);
    }
  }
  const other = evaluate(chains, { family, proto: "other", who: "anyone" });
  let defaultVerdict = other.verdict;
  let defaultEvidence = other.evidence;
  // `tcp dport 1-65535 accept` before the drop is an accept-all for that protocol in all but name.
  const wide = ports.find((r) => r.access === "anyone" && r.to - r.from >= 32768);
  if (defaultVerdict === "drop" && wide) {
    defaultVerdict = "accept";
    defaultEvidence = wide.evidence;
  }
  if (inputs.length === 0)
    defaultEvidence = [
      {
        source: "(no rule set)",
        text: `no input chain for IPv${family} in any back end`,
        ref: "",
        backend: "nftables",
      },
    ];
  const dropsAnything = inputs.some(
    (c) =>
      c.policy === "drop" ||
      chains.some(
        (x) =>
          x.backend === c.backend &&
          x.tableFamily === c.tableFamily &&
          x.table === c.table &&
          x.rules.some((r) => r.verdict?.kind === "drop" || r.verdict?.kind === "reject"),
      ),
  );
  return {
    family,
    defaultVerdict,
    defaultEvidence,
    ports,
    inputChains: inputs.map(chainLabel),
    dropsAnything,
  };
}

/** How a new connection from outside to `port` fares in a family's view. */
export function portAccess(view: FamilyView, protocol: Protocol, port: number): PortRange | undefined {
  return view.ports.find((r) => r.protocol === protocol && port >= r.from && port <= r.to);
}

/** Judges a set of already-parsed chains (all back ends together) per family. Exported for tests. */
export function judge(chains: FwChain[]): { v4: FamilyView; v6: FamilyView } {
  return { v4: judgeFamily(chains, 4), v6: judgeFamily(chains, 6) };
}

// ---------------------------------------------------------------------------------------------------------
// ufw / firewalld / persistence files

function shellVar(text: string, name: string): string | null {
  const m = new RegExp(`^\\s*${name}\\s*=\\s*"?([^"\\n#]*)"?`, "m").exec(text);
  return m ? m[1]!.trim() : null;
}

/**
 * True when an nftables.conf loads nothing that filters: Debian ships one with only `flush ruleset` and empty
 * accept-policy chains. `include` lines count as content (we cannot follow them without the tool).
 */
export function isSkeletonNftablesConf(text: string): boolean {
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim().replace(/;$/, "").trim();
    if (line === "" || line === "}" || line === "flush ruleset") continue;
    if (/^table\s+\S+(\s+\S+)?\s*\{$/.test(line) || /^chain\s+\S+\s*\{$/.test(line)) continue;
    if (/^type\s+filter\s+hook\s+\S+\s+priority\s+\S+(\s*;\s*policy\s+accept)?$/.test(line)) continue;
    if (line === "policy accept") continue;
    return false;
  }
  return true;
}

const IPTABLES_SOURCES = [
  { key: "iptables-save", cmd: "iptables-save", family: 4, backend: "iptables-nft" },
  { key: "ip6tables-save", cmd: "ip6tables-save", family: 6, backend: "iptables-nft" },
  { key: "iptables-legacy-save", cmd: "iptables-legacy-save", family: 4, backend: "iptables-legacy" },
  { key: "ip6tables-legacy-save", cmd: "ip6tables-legacy-save", family: 6, backend: "iptables-legacy" },
] as const;

/** Whether the input path of a back end holds anything: rules reachable from INPUT or a drop policy. */
function inUse(chains: FwChain[], backend: Backend): boolean {
  return chains.some(
    (c) => c.backend === backend && ((c.input && c.policy === "drop") || c.rules.length > 0),
  );
}

function why(host: Host, reason: string): string {
  if (host.root === null && !host.isRoot && !/not installed/.test(reason))
    return `${reason} — reading netfilter rules needs root (or CAP_NET_ADMIN); this audit is not running as root`;
  return reason;
}

export async function collectFirewall(host: Host): Promise<Collected<FirewallFacts>> {
  const problems: string[] = [];
  const chains: FwChain[] = [];
  const sources = {} as FirewallFacts["sources"];
  const absent = (reason: string) => /not installed|no saved output/.test(reason);

  // nft: the whole nf_tables picture (native tables, iptables-nft's tables with opaque xt matches).
  let nft: ParsedNft | null = null;
  const nftRun = await host.run("nft", ["-j", "list", "ruleset"], "nft-list-ruleset.json");
  if (nftRun.ok) {
    try {
      nft = parseNftJson(nftRun.stdout, nftRun.source);
      sources.nft = { status: "seen", source: nftRun.source };
    } catch (err) {
      const reason = `${nftRun.source}: ${err instanceof Error ? err.message : String(err)}`;
      sources.nft = { status: "failed", reason };
      problems.push(reason);
    }
  } else {
    const reason = absent(nftRun.reason)
      ? `nft not available on that host (${nftRun.reason})`
      : why(host, nftRun.reason);
    sources.nft = absent(nftRun.reason) ? { status: "absent", reason } : { status: "failed", reason };
    problems.push(reason);
  }

  // iptables: the readable form of iptables-nft rules, and the legacy back end nft cannot see.
  const parsedIpt = new Map<string, ParsedIptables>();
  for (const s of IPTABLES_SOURCES) {
    const run = await host.run(s.cmd, [], `${s.cmd}.txt`);
    if (!run.ok) {
      const reason = absent(run.reason)
        ? `${s.cmd} not available on that host (${run.reason})`
        : why(host, run.reason);
      sources[s.key] = absent(run.reason) ? { status: "absent", reason } : { status: "failed", reason };
      if (!absent(run.reason)) problems.push(reason);
      continue;
    }
    const parsed = parseIptablesSave(run.stdout, s.family, run.source, s.backend);
    if (parsed.truncated) {
      // Half a rule set would read as "everything blocked" or "everything open": use none of it.
      const reason = `${run.source}: ${parsed.truncated}; its rules were not used`;
      sources[s.key] = { status: "failed", reason };
      problems.push(reason);
      continue;
    }
    // On hosts where `iptables` points at the legacy back end, iptables-save is the legacy view.
    if (s.backend === "iptables-nft" && parsed.variant === "legacy")
      for (const c of parsed.chains) {
        c.backend = "iptables-legacy";
        for (const r of c.rules) r.evidence.backend = "iptables-legacy";
        if (c.policyEvidence) c.policyEvidence.backend = "iptables-legacy";
      }
    problems.push(...parsed.problems);
    parsedIpt.set(s.key, parsed);
    sources[s.key] = { status: "seen", source: run.source };
  }

  // Native nft chains, minus the iptables-nft tables when iptables-save shows them in readable form.
  if (nft) {
    const shown = new Set<string>();
    for (const [key, p] of parsedIpt)
      if (!key.includes("legacy") && p.variant !== "legacy")
        for (const t of p.tables) shown.add(`${key.startsWith("ip6") ? "ip6" : "ip"} ${t}`);
    for (const c of nft.chains) if (!shown.has(`${c.tableFamily} ${c.table}`)) chains.push(c);
    const hiddenXt = nft.chains.some(
      (c) =>
        !shown.has(`${c.tableFamily} ${c.table}`) &&
        c.rules.some((r) => r.conds.some((k) => k.kind === "opaque" && k.text.startsWith("xt "))),
    );
    if (hiddenXt)
      problems.push(
        "nft shows iptables-nft rules with xt matches it cannot print, and iptables-save was not readable: those rules are treated as never matching",
      );
  }
  const legacySeen = new Set<string>();
  for (const [key, p] of parsedIpt) {
    const legacy = key.includes("legacy") || p.variant === "legacy";
    // iptables-save on a legacy-default host and iptables-legacy-save print the same tables: keep one copy.
    const fam = key.startsWith("ip6") ? "6" : "4";
    if (legacy && legacySeen.has(fam)) continue;
    if (legacy) legacySeen.add(fam);
    chains.push(...p.chains);
  }

  // Per-family views, only where some source of that family's rules was read.
  const unseenReason: FirewallFacts["unseenReason"] = {};
  // A family counts as seen only when no back end that may hold its rules failed to answer: nft
  // unreadable while iptables-legacy-save answered must not read as "no firewall".
  const familySeen = (f: Family) => {
    const keys =
      f === 4 ? ["iptables-save", "iptables-legacy-save"] : ["ip6tables-save", "ip6tables-legacy-save"];
    const failed = ["nft", ...keys].some(
      (k) => sources[k as keyof FirewallFacts["sources"]]?.status === "failed",
    );
    return !failed && (nft !== null || keys.some((k) => parsedIpt.has(k)));
  };
  const judged = judge(chains);
  const v4 = familySeen(4) ? judged.v4 : null;
  const v6 = familySeen(6) ? judged.v6 : null;
  const reasonFor = (f: Family) => {
    const keys =
      f === 4
        ? ["nft", "iptables-save", "iptables-legacy-save"]
        : ["nft", "ip6tables-save", "ip6tables-legacy-save"];
    return `IPv${f} rules could not be read: ${keys
      .map((k) => sources[k as keyof FirewallFacts["sources"]])
      .map((s) => (s && s.status !== "seen" ? s.reason : ""))
      .filter(Boolean)
      .join("; ")}`;
  };
  if (!v4) unseenReason.v4 = reasonFor(4);
  if (!v6) unseenReason.v6 = reasonFor(6);

  // ufw: its own files say whether it is switched on, readable without root (user.rules is not).
  const ufw: FirewallFacts["ufw"] = {
    installed: false,
    enabled: null,
    defaultInputPolicy: null,
    evidence: [],
  };
  const ufwConf = await host.readText("/etc/ufw/ufw.conf");
  if (ufwConf.ok) {
    ufw.installed = true;
    const enabled = shellVar(ufwConf.text, "ENABLED");
    ufw.enabled = enabled === null ? null : enabled.toLowerCase() === "yes";
    ufw.evidence.push(`${host.display("/etc/ufw/ufw.conf")}: ENABLED=${enabled ?? "(not set)"}`);
  } else if (ufwConf.reason !== "not found")
    problems.push(`${host.display("/etc/ufw/ufw.conf")}: ${ufwConf.reason}`);
  const ufwDefault = await host.readText("/etc/default/ufw");
  if (ufwDefault.ok) {
    ufw.installed = true;
    ufw.defaultInputPolicy = shellVar(ufwDefault.text, "DEFAULT_INPUT_POLICY");
    ufw.evidence.push(
      `${host.display("/etc/default/ufw")}: DEFAULT_INPUT_POLICY=${ufw.defaultInputPolicy ?? "(not set)"}`,
    );
  }

  // firewalld: `--state` answers without root; exit 252 means "not running".
  const firewalld: FirewallFacts["firewalld"] = { installed: false, running: null, evidence: [] };
  if (await host.exists("/etc/firewalld/firewalld.conf")) {
    firewalld.installed = true;
    firewalld.evidence.push(`${host.display("/etc/firewalld/firewalld.conf")} present`);
  }
  const fwState = await host.run("firewall-cmd", ["--state"], "firewall-cmd-state.txt", {
    okCodes: [0, 252],
  });
  if (fwState.ok) {
    const state = fwState.stdout.trim() || fwState.stderr.trim();
    firewalld.installed = true;
    firewalld.running = state === "running";
    firewalld.evidence.push(`${fwState.source}: ${state}`);
    sources["firewall-cmd"] = { status: "seen", source: fwState.source };
  } else
    sources["firewall-cmd"] = {
      status: absent(fwState.reason) ? "absent" : "failed",
      reason: fwState.reason,
    };
  if (nft?.tables.includes("inet firewalld")) {
    firewalld.running = true;
    firewalld.evidence.push("nft: table inet firewalld is loaded");
  }

  const backendInUse: Record<Backend, boolean> = {
    nftables: inUse(chains, "nftables"),
    "iptables-nft": inUse(chains, "iptables-nft"),
    "iptables-legacy": inUse(chains, "iptables-legacy"),
  };

  // Managers: who owns the input rules. ufw and firewalld are named instead of the back end they drive.
  const managers: FirewallFacts["managers"] = [];
  const ufwChains = chains.some((c) => c.name.startsWith("ufw-") || c.name.startsWith("ufw6-"));
  if (ufw.enabled || ufwChains)
    managers.push({
      name: "ufw",
      evidence: ufwChains ? "ufw-* chains loaded in iptables" : (ufw.evidence[0] ?? "ufw enabled"),
    });
  if (firewalld.running) managers.push({ name: "firewalld", evidence: firewalld.evidence.join("; ") });
  // fail2ban's and docker's own tables/chains belong to those tools, not to a firewall manager.
  const managed = /^(ufw6?-|f2b-|DOCKER)/;
  const nativeNft = chains.filter(
    (c) =>
      c.backend === "nftables" &&
      c.table !== "firewalld" &&
      !c.table.startsWith("f2b") &&
      (c.rules.length > 0 || (c.input && c.policy === "drop")),
  );
  if (nativeNft.length > 0)
    managers.push({
      name: "nftables",
      evidence: `nft: ${[...new Set(nativeNft.map((c) => `table ${c.tableFamily} ${c.table}`))].join(", ")}`,
    });
  for (const backend of ["iptables-nft", "iptables-legacy"] as const) {
    const jumpsToManaged = (r: FwRule) =>
      r.verdict !== null && "target" in r.verdict && managed.test(r.verdict.target);
    const own: Evidence[] = [];
    for (const c of chains) {
      if (c.backend !== backend || managed.test(c.name)) continue;
      const delegated = c.rules.some(jumpsToManaged);
      if (c.input && c.policy === "drop" && !delegated && c.policyEvidence) own.push(c.policyEvidence);
      own.push(...c.rules.filter((r) => !jumpsToManaged(r)).map((r) => r.evidence));
    }
    if (own.length > 0) managers.push({ name: backend, evidence: `${own[0]!.source}: ${own[0]!.text}` });
  }
  if (
    [...parsedIpt.values()].some((p) => p.legacyWarning) &&
    !managers.some((m) => m.name === "iptables-legacy")
  )
    problems.push(
      "iptables-save warns that iptables-legacy tables are present; iptables-legacy-save shows them",
    );

  // Persistence: will today's rules come back after a reboot?
  const persistence: FirewallFacts["persistence"] = { persistent: null, evidence: [] };
  const nftConf = await host.readText("/etc/nftables.conf");
  let anyPersistent = false;
  let anyAnswer = false;
  if (nftConf.ok) {
    anyAnswer = true;
    const skeleton = isSkeletonNftablesConf(nftConf.text);
    persistence.evidence.push(
      `${host.display("/etc/nftables.conf")}: ${skeleton ? "Debian's empty accept-all skeleton (loads no filtering)" : "holds a rule set"}`,
    );
    if (!skeleton) {
      // On a systemd host the unit must be enabled for the file to be loaded at boot.
      const wants = ["sysinit.target.wants", "multi-user.target.wants"].map(
        (w) => `/etc/systemd/system/${w}/nftables.service`,
      );
      const enabled = (await Promise.all(wants.map((w) => host.exists(w)))).some(Boolean);
      if (!enabled && (await host.exists("/etc/systemd/system")))
        persistence.evidence.push(
          `nftables.service is not enabled (no ${wants.join(" or ")}): the file is not loaded at boot`,
        );
      else anyPersistent = true;
    }
  } else if (nftConf.reason !== "not found")
    problems.push(`${host.display("/etc/nftables.conf")}: ${nftConf.reason}`);
  if (ufw.enabled !== null) {
    anyAnswer = true;
    if (ufw.enabled) anyPersistent = true;
    persistence.evidence.push(ufw.evidence[0]!);
  }
  for (const f of ["/etc/iptables/rules.v4", "/etc/iptables/rules.v6"]) {
    const r = await host.readText(f);
    if (r.ok) {
      anyAnswer = true;
      const has = /^-A |^:INPUT DROP/m.test(r.text);
      if (has) anyPersistent = true;
      persistence.evidence.push(
        `${host.display(f)}: ${has ? "saved rules (netfilter-persistent)" : "no rules"}`,
      );
    }
  }
  if (firewalld.running) {
    anyAnswer = true;
    anyPersistent = true;
    persistence.evidence.push("firewalld is running (it restores its permanent config at boot)");
  }
  // Nothing that reloads rules at boot is itself the answer "not persistent" (rules loaded by hand vanish).
  persistence.persistent = anyPersistent;
  if (!anyAnswer)
    persistence.evidence.push(
      "none of /etc/nftables.conf, /etc/ufw/ufw.conf, /etc/iptables/rules.v4, /etc/iptables/rules.v6 exists and firewalld is not running",
    );

  if (!v4 && !v6 && !ufwConf.ok && !ufwDefault.ok && !firewalld.installed && !nftConf.ok)
    return unseen(`firewall: ${problems.join("; ")}`);
  return seen(
    {
      v4,
      v6,
      unseenReason,
      chains,
      sources,
      ufw,
      firewalld,
      managers,
      backendInUse,
      persistence,
      problems,
    },
    Object.values(sources)
      .flatMap((s) => (s.status === "seen" ? [s.source] : []))
      .join(", ") || "firewall config files",
  );
}
