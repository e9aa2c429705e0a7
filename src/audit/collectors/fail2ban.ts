import type { Host } from "../host.ts";
import { type Collected, seen, unseen } from "../types.ts";

type PyValue = string | number | PyValue[];

export interface Fail2banJail {
  name: string;
  backend: string;
  /** `set <jail> <key> <value>` lines, last value per key (fail2ban applies them in order). */
  settings: Map<string, string>;
  logPaths: string[];
  journalMatches: string[];
  actions: string[];
  /** The `port` argument of the jail's actions ("ssh", "22", "http,https", ...). */
  actionPorts: string[];
}

export interface Fail2banFacts {
  installed: boolean;
  /** null when the server could not be asked (no root, no socket in a fixture). */
  running: boolean | null;
  jails: Fail2banJail[];
  /** Jails the running server reports active (from `fail2ban-client status`), when it runs. */
  activeJails: string[] | null;
  /** fail2ban's own warnings while reading its config, e.g. "Have not found any log file for sshd jail". */
  warnings: string[];
  source: string;
}

/**
 * Reads one Python literal as fail2ban-client -d prints it: lists, quoted strings with backslash escapes,
 * integers. Hand-written because the dump is Python repr output, not JSON, and it is a dozen lines.
 */
export function parsePyLiteral(text: string): PyValue | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): PyValue | null => {
    ws();
    const c = text[i];
    if (c === "[") {
      i++;
      const items: PyValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return items;
      }
      for (;;) {
        const v = value();
        if (v === null) return null;
        items.push(v);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return items;
        }
        return null;
      }
    }
    if (c === "'" || c === '"') {
      i++;
      let s = "";
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const n = text[i + 1]!;
          s += n === "n" ? "\n" : n === "t" ? "\t" : n;
          i += 2;
        } else s += text[i++];
      }
      if (i >= text.length) return null;
      i++;
      return s;
    }
    const m = /^-?\d+(\.\d+)?/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    const word = /^(True|False|None)/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      return word[0];
    }
    return null;
  };
  const v = value();
  ws();
  return v !== null && i === text.length ? v : null;
}

export function parseFail2banDump(text: string): {
  jails: Fail2banJail[];
  warnings: string[];
  badLines: number;
} {
  const jails = new Map<string, Fail2banJail>();
  const warnings: string[] = [];
  let badLines = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (!line.startsWith("[")) {
      const w = /(WARNING|ERROR)\s+(.*)$/.exec(line);
      if (w) warnings.push(w[2]!);
      continue;
    }
    const cmd = parsePyLiteral(line);
    if (!Array.isArray(cmd) || typeof cmd[0] !== "string") {
      badLines++;
      continue;
    }
    const [verb, name, key, ...rest] = cmd as [string, PyValue, PyValue, ...PyValue[]];
    if (verb === "add" && typeof name === "string") {
      jails.set(name, {
        name,
        backend: String(key ?? "auto"),
        settings: new Map(),
        logPaths: [],
        journalMatches: [],
        actions: [],
        actionPorts: [],
      });
      continue;
    }
    const jail = typeof name === "string" ? jails.get(name) : undefined;
    if (!jail || typeof key !== "string") continue;
    if (verb === "set") {
      if (key === "addlogpath") jail.logPaths.push(String(rest[0]));
      else if (key === "addjournalmatch") jail.journalMatches.push(rest.map(String).join(" "));
      else if (key === "addaction") jail.actions.push(String(rest[0]));
      else jail.settings.set(key, String(rest[0] ?? ""));
    } else if (verb === "multi-set" && key === "action" && Array.isArray(rest[1])) {
      for (const pair of rest[1])
        if (Array.isArray(pair) && pair[0] === "port") jail.actionPorts.push(String(pair[1]));
    }
  }
  return { jails: [...jails.values()], warnings, badLines };
}

/** fail2ban's resolved configuration (`fail2ban-client -d`: no server, no root needed) and, when up, status. */
export async function collectFail2ban(host: Host): Promise<Collected<Fail2banFacts>> {
  const installed =
    (await host.exists("/usr/bin/fail2ban-client")) || (await host.exists("/etc/fail2ban/jail.conf"));
  if (!installed)
    return seen(
      {
        installed: false,
        running: false,
        jails: [],
        activeJails: null,
        warnings: [],
        source: host.display("/etc/fail2ban"),
      },
      host.display("/usr/bin/fail2ban-client"),
    );
  // Warnings go to stderr; keep them, they name jails that cannot work.
  const dump = await host.run("fail2ban-client", ["-d"], "fail2ban-client-d.txt");
  if (!dump.ok) return unseen(`fail2ban configuration: ${dump.reason}`);
  const parsed = parseFail2banDump(`${dump.stderr}\n${dump.stdout}`);
  if (parsed.jails.length === 0 && parsed.badLines > 0)
    return unseen(`fail2ban configuration: ${dump.source}: ${parsed.badLines} line(s) not understood`);
  let running: boolean | null = null;
  let activeJails: string[] | null = null;
  if (host.root === null && !host.isRoot) running = null;
  else {
    const status = await host.run("fail2ban-client", ["status"], "fail2ban-client-status.txt");
    if (status.ok) {
      running = true;
      const m = /Jail list:\s*(.*)/.exec(status.stdout);
      activeJails = m
        ? m[1]!
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : [];
    } else running = host.root === null ? false : await host.exists("/run/fail2ban/fail2ban.sock");
  }
  return seen(
    { installed, running, jails: parsed.jails, activeJails, warnings: parsed.warnings, source: dump.source },
    dump.source,
  );
}
