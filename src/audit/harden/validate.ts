// Checks generated files with the tools that will read them, before anything is installed.
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFail2banJail, GATEWAY_FILTER } from "./fail2ban.ts";
import { DEFAULT_GATEWAY_ACCESS_LOG, type HardenInput } from "./input.ts";
import { buildNftables } from "./nftables.ts";
import { buildSshdDropin } from "./sshd.ts";

/** A generated file a tool rejected, or a tool that is missing: nothing was installed. */
export class HardenValidationError extends Error {}

const TIMEOUT_MS = 30_000;

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { timeout: TIMEOUT_MS, env: { ...process.env, LC_ALL: "C" } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e?.code === "ENOENT") return done({ code: -1, out: `${cmd}: not installed` });
        done({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, out: `${stderr}\n${stdout}`.trim() });
      },
    );
  });
}

/** The first line that says what went wrong (tools print warnings and timestamps around it). */
function firstError(out: string): string {
  const lines = out
    .split("\n")
    // fail2ban prefixes its messages with a timestamp, logger name and pid.
    .map((l) => l.replace(/^\d{4}-\d\d-\d\d [\d:,]+ \S+\s+\[\d+\]: [A-Z]+\s+/, "").trim())
    .filter(Boolean);
  const error = lines.find((l) => /error|bad|fatal|missing|not found|invalid|unsupported/i.test(l));
  return (error ?? lines[0] ?? "").slice(0, 300);
}

async function check(what: string, cmd: string, args: string[], hint = ""): Promise<void> {
  const r = await run(cmd, args);
  if (r.code !== 0)
    throw new HardenValidationError(
      `${what}: ${[cmd, ...args].join(" ")} failed: ${firstError(r.out)}${hint}`,
    );
}

/** Paths on the target host as this process sees them (under --root when given). */
function onTarget(root: string | null, p: string): string {
  return root === null ? p : join(root, p);
}

/**
 * Validates the files `buildHardenFiles(input)` makes, each with its own tool:
 * - nftables: `nft -c -f` in a throwaway network namespace (never the host's ruleset);
 * - sshd drop-in: `sshd -t` on a config that includes it, with a throwaway host key;
 * - fail2ban: `fail2ban-client -t` on a copy of the target's /etc/fail2ban plus the jail and filter, log
 *   paths resolved under `root` (fail2ban refuses jails whose log file does not exist).
 */
export async function validateHardenFiles(input: HardenInput, root: string | null): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "stinger-harden-"));
  try {
    const nft = join(tmp, "stinger.nft");
    writeFileSync(nft, buildNftables(input));
    const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
    // -r (a user namespace) lets a non-root operator check too; root needs only the network namespace.
    await check("nftables ruleset", "unshare", [asRoot ? "-n" : "-rn", "nft", "-c", "-f", nft]);

    const dropin = join(tmp, "00-stinger-hardening.conf");
    writeFileSync(dropin, buildSshdDropin(input));
    const main = join(tmp, "sshd_config");
    writeFileSync(main, `Include ${dropin}\n`);
    const key = join(tmp, "hostkey");
    await check("host key for sshd -t", "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    await check(
      "sshd drop-in",
      "/usr/sbin/sshd",
      ["-t", "-f", main, "-h", key],
      existsSync("/run/sshd") ? "" : " (sshd -t as root needs /run/sshd: mkdir -p /run/sshd)",
    );

    const base = [onTarget(root, "/etc/fail2ban"), "/etc/fail2ban"].find((d) =>
      existsSync(join(d, "jail.conf")),
    );
    if (!base)
      throw new HardenValidationError(
        "fail2ban is not installed (no /etc/fail2ban/jail.conf): apt-get install fail2ban",
      );
    const conf = join(tmp, "fail2ban");
    cpSync(base, conf, { recursive: true });
    mkdirSync(join(conf, "jail.d"), { recursive: true });
    mkdirSync(join(conf, "filter.d"), { recursive: true });
    writeFileSync(join(conf, "filter.d", "stinger-gateway.conf"), GATEWAY_FILTER);
    const mapped: HardenInput = {
      ...input,
      gatewayAccessLog: onTarget(root, input.gatewayAccessLog ?? DEFAULT_GATEWAY_ACCESS_LOG),
    };
    if (input.sshLogPath) mapped.sshLogPath = onTarget(root, input.sshLogPath);
    writeFileSync(join(conf, "jail.d", "stinger.local"), buildFail2banJail(mapped));
    await check("fail2ban jail", "fail2ban-client", ["-c", conf, "-t"]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
