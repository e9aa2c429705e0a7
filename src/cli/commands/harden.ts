import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { runAudit } from "../../audit/audit.ts";
import { DeploymentConfigError } from "../../audit/deployment.ts";
import {
  buildHardenFiles,
  type HardenFile,
  HardenInputError,
  hardenInputFrom,
} from "../../audit/harden/index.ts";
import { validateHardenFiles } from "../../audit/harden/validate.ts";
import { fail, UsageError } from "../errors.ts";
import { addHostOptions, hostFrom } from "./audit.ts";

interface HardenOptions {
  root?: string;
  nodeConfig?: string;
  gatewayConfig?: string;
  sshAllowFrom?: string[];
  gatewayAccessLog?: string;
  out?: string;
  force?: boolean;
  apply?: boolean;
  yes?: boolean;
}

function sameContent(path: string, content: string): boolean {
  try {
    return readFileSync(path, "utf8") === content;
  } catch {
    return false;
  }
}

/** Writes through a temporary file in the same folder, so a reader never sees half a config. */
function writeFileAtomic(path: string, content: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.stinger-tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode); // the umask must not widen or narrow the intended mode
  renameSync(tmp, path);
}

/** `<file>.stinger-bak`, or the next free `.stinger-bak.N`: an earlier backup (the original) is never lost. */
function backupPath(path: string): string {
  let candidate = `${path}.stinger-bak`;
  for (let n = 1; existsSync(candidate); n++) candidate = `${path}.stinger-bak.${n}`;
  return candidate;
}

function writeOut(dir: string, files: HardenFile[], force: boolean): void {
  const targets = files.map((f) => ({ f, path: join(dir, f.name) }));
  // Check every target first, so a refusal leaves nothing half-written.
  for (const { f, path } of targets)
    if (!force && existsSync(path) && !sameContent(path, f.content))
      throw new UsageError(`${path} exists and differs from the generated file (use --force to overwrite)`);
  for (const { f, path } of targets) {
    writeFileAtomic(path, f.content, f.mode);
    process.stdout.write(
      `wrote ${path} (${f.mode.toString(8)}) -> install as ${f.installPath}; check: ${f.validateWith}\n`,
    );
  }
}

async function confirmed(files: HardenFile[], root: string | null): Promise<boolean> {
  const where = root === null ? "this host" : root;
  process.stderr.write(
    `stinger harden will write to ${where}:\n${files.map((f) => `  ${f.installPath}\n`).join("")}`,
  );
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question('type "yes" to continue: ')).trim() === "yes";
  } finally {
    rl.close();
  }
}

function applyFiles(files: HardenFile[], root: string | null): void {
  for (const f of files) {
    const path = root === null ? f.installPath : join(root, f.installPath);
    if (sameContent(path, f.content)) {
      process.stdout.write(`unchanged ${path}\n`);
      continue;
    }
    let backup = "";
    if (existsSync(path)) {
      backup = backupPath(path);
      copyFileSync(path, backup);
      chmodSync(backup, statSync(path).mode & 0o7777);
    }
    writeFileAtomic(path, f.content, f.mode);
    process.stdout.write(`wrote ${path}${backup ? ` (previous file kept as ${backup})` : ""}\n`);
  }
  if (root !== null) {
    process.stdout.write(`Files written under ${root}; nothing on this host was loaded or reloaded.\n`);
    return;
  }
  // Loading a default-drop firewall or a stricter sshd from a script can lock the operator out: the
  // operator runs these, with a second session open.
  process.stdout.write(
    [
      "Nothing was loaded or reloaded yet. Keep an SSH session open, then run:",
      `  nft -f ${files.find((f) => f.kind === "nftables")!.installPath}   (roll back: nft delete table inet stinger)`,
      "  sshd -t && systemctl reload ssh",
      "  fail2ban-client -t && fail2ban-client reload",
      "",
    ].join("\n"),
  );
}

function collectCidrs(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function registerHarden(program: Command): void {
  addHostOptions(
    program
      .command("harden")
      .description(
        "write an nftables ruleset, an sshd drop-in and fail2ban jails that fix this host's audit findings " +
          "(printed unless --out; installed only with --apply after confirmation; with --root, applied under DIR)",
      ),
  )
    .option(
      "--ssh-allow-from <cidr...>",
      "allow SSH only from these IPv4/IPv6 addresses or CIDRs",
      collectCidrs,
    )
    .option(
      "--gateway-access-log <path>",
      "the gateway's access log for the fail2ban jail (default /var/log/stinger/gateway.log)",
    )
    .option("--out <dir>", "write the files under DIR instead of printing them")
    .option("--force", "with --out: overwrite existing files that differ")
    .option("--apply", "validate each file with its tool, then install it (backing up what was there)")
    .option("--yes", "with --apply: do not ask for confirmation")
    .action(async (opts: HardenOptions) => {
      try {
        if (opts.apply && opts.out) throw new UsageError("--apply and --out exclude each other");
        if (opts.yes && !opts.apply) throw new UsageError("--yes only makes sense with --apply");
        if (opts.force && !opts.out) throw new UsageError("--force only makes sense with --out");
        // Refused before any work, so a non-interactive run without --yes cannot half-apply anything.
        if (opts.apply && !opts.yes && !process.stdin.isTTY)
          throw new UsageError("--apply needs confirmation: run it on a terminal, or add --yes");
        const host = await hostFrom(opts);
        const root = host.root;
        const report = await runAudit({
          host,
          nodeConfig: opts.nodeConfig,
          gatewayConfig: opts.gatewayConfig,
        });
        const input = await hardenInputFrom(report, host, {
          sshAllowFrom: opts.sshAllowFrom,
          gatewayAccessLog: opts.gatewayAccessLog,
        });
        const files = buildHardenFiles(input);

        if (opts.out) writeOut(resolve(opts.out), files, opts.force === true);
        else if (!opts.apply)
          for (const f of files) process.stdout.write(`# ==> ${f.installPath} <==\n${f.content}\n`);
        else {
          if (!opts.yes && !(await confirmed(files, root)))
            throw new UsageError("not confirmed; nothing was written");
          await validateHardenFiles(input, root);
          applyFiles(files, root);
        }
        if (!report.facts.sshd.ok)
          process.stderr.write(
            `stinger: note: sshd settings unseen (${report.facts.sshd.reason}); SSH assumed on port ${input.sshPorts.join(",")}\n`,
          );
      } catch (err) {
        if (err instanceof DeploymentConfigError || err instanceof HardenInputError)
          fail(new UsageError(err.message));
        fail(err);
      }
    });
}
