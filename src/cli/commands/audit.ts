import { stat } from "node:fs/promises";
import type { Command } from "commander";
import { exceeds, runAudit } from "../../audit/audit.ts";
import { ALL_CHECKS } from "../../audit/checks/index.ts";
import { DeploymentConfigError } from "../../audit/deployment.ts";
import { FixtureHost, type Host, LiveHost } from "../../audit/host.ts";
import { toJsonReport } from "../../audit/report/json.ts";
import { toSarif } from "../../audit/report/sarif.ts";
import { toTable } from "../../audit/report/table.ts";
import { SEVERITIES, type Severity } from "../../audit/types.ts";
import { fail, UsageError } from "../errors.ts";

export interface HostOptions {
  root?: string;
  nodeConfig?: string;
  gatewayConfig?: string;
}

/** The host to audit: the live machine, or a folder standing in for its filesystem (--root). */
export async function hostFrom(opts: HostOptions): Promise<Host> {
  if (opts.root === undefined) return new LiveHost();
  const s = await stat(opts.root).catch(() => null);
  if (!s?.isDirectory()) throw new UsageError(`--root: ${opts.root} is not a directory`);
  return new FixtureHost(opts.root);
}

/** Options shared with `stinger harden`, which audits first. */
export function addHostOptions(cmd: Command): Command {
  return cmd
    .option(
      "--root <dir>",
      "audit a saved host: DIR stands for / (files, /proc/net, DIR/commands/<saved output>)",
    )
    .option("--node-config <file>", "the stinger node's config on that host: its ports and secrets")
    .option("--gateway-config <file>", "the stinger gateway's config on that host");
}

function parseSeverity(value: string): Severity {
  if (!(SEVERITIES as readonly string[]).includes(value))
    throw new UsageError(`--fail-on: must be one of ${SEVERITIES.join(", ")}, got "${value}"`);
  return value as Severity;
}

export function registerAudit(program: Command): void {
  addHostOptions(
    program
      .command("audit")
      .description(
        "inspect this host (sshd, listening ports, firewall, fail2ban, file modes) for a stinger node",
      )
      .addHelpText(
        "after",
        `
Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage or config error.
Without root some facts cannot be read (firewall rules, other users' sockets): the report says which.
Under --root DIR, saved command outputs are read from DIR/commands/: nft-list-ruleset.json,
iptables-save.txt, ip6tables-save.txt, iptables-legacy-save.txt, ip6tables-legacy-save.txt,
firewall-cmd-state.txt, sshd-T.txt, fail2ban-client-d.txt, fail2ban-client-status.txt,
apt-config-dump.txt; /proc/net/{tcp,tcp6,udp,udp6} and /etc files from DIR itself.`,
      ),
  )
    .option("--json", "print the report as JSON (an object with a findings array)")
    .option("--sarif", "print the report as SARIF 2.1.0")
    .option(
      "--fail-on <severity>",
      `exit 1 when a finding is at least this severe (${SEVERITIES.join("|")})`,
      parseSeverity,
      "high",
    )
    .option("--no-color", "no colours even on a terminal")
    .action(
      async (opts: HostOptions & { json?: boolean; sarif?: boolean; failOn: Severity; color: boolean }) => {
        try {
          if (opts.json && opts.sarif) throw new UsageError("--json and --sarif: pick one");
          const host = await hostFrom(opts);
          const report = await runAudit({ host, ...opts });
          if (opts.json) process.stdout.write(`${JSON.stringify(toJsonReport(report), null, 2)}\n`);
          else if (opts.sarif)
            process.stdout.write(`${JSON.stringify(toSarif(report, ALL_CHECKS), null, 2)}\n`);
          else
            process.stdout.write(
              toTable(report, {
                color: opts.color && process.stdout.isTTY === true && !process.env.NO_COLOR,
                width: process.stdout.columns,
              }),
            );
          process.exitCode = exceeds(report, opts.failOn) ? 1 : 0;
        } catch (err) {
          fail(err instanceof DeploymentConfigError ? new UsageError(err.message) : err);
        }
      },
    );
}
