import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { BanHelper, SocketPathError } from "../../gateway/kernel-ban/helper.ts";
import { BAN_SET_V4, BAN_SET_V6, BAN_TABLE, BAN_TABLE_FAMILY } from "../../gateway/kernel-ban/nft-set.ts";
import { createLogger } from "../../util/logger.ts";
import { fail, parseIntOption, UsageError } from "../errors.ts";

/** A numeric group, or a name looked up in /etc/group (the service unit names the group "stinger"). */
function groupId(value: string): number {
  if (/^\d+$/.test(value)) return parseIntOption("--group", 0, 4_294_967_294)(value);
  const line = readFileSync("/etc/group", "utf8")
    .split("\n")
    .find((l) => l.split(":")[0] === value);
  const gid = line?.split(":")[2];
  if (gid === undefined || !/^\d+$/.test(gid))
    throw new UsageError(`--group: no group "${value}" in /etc/group`);
  return Number(gid);
}

export function registerBanHelper(program: Command): void {
  program
    .command("ban-helper")
    .description(
      `run as root: put the addresses the gateway bans into the nftables sets ${BAN_TABLE_FAMILY} ${BAN_TABLE} ` +
        `${BAN_SET_V4}/${BAN_SET_V6} (written by \`stinger harden\`), with a timeout; the gateway stays unprivileged`,
    )
    .option(
      "-s, --socket <path>",
      "Unix socket the gateway's kernelBan.helperSocket names",
      "/run/stinger/ban.sock",
    )
    .option(
      "--group <group>",
      "group (name from /etc/group, or numeric) that may connect (socket mode 0660); default root only (0600)",
    )
    .option(
      "--never <cidr>",
      "never ban this address or CIDR, whatever the gateway asks (repeatable; loopback always)",
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option("--nft <path>", "the nft binary", "nft")
    .action(async (opts: { socket: string; group?: string; never: string[]; nft: string }) => {
      try {
        const group = opts.group === undefined ? undefined : groupId(opts.group);
        if (opts.socket.trim() === "") throw new UsageError("--socket must name a path");
        const log = createLogger();
        let helper: BanHelper;
        try {
          helper = new BanHelper({ socketPath: opts.socket, never: opts.never, group, nft: opts.nft }, log);
        } catch (err) {
          // A bad --never entry is the operator's mistake: one line, exit 2.
          throw new UsageError(err instanceof Error ? err.message : String(err));
        }
        await helper.start().catch((err) => {
          throw err instanceof SocketPathError ? new UsageError(err.message) : err;
        });
        process.stdout.write(`stinger ban-helper ready: ${opts.socket}\n`);
        const shutdown = () =>
          helper.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        process.on("SIGINT", shutdown);
        process.on("SIGTERM", shutdown);
      } catch (err) {
        fail(err);
      }
    });
}
