// `stinger harden`: the fix files for an audit's findings, generated from a plain HardenInput.
import {
  buildFail2banJail,
  FAIL2BAN_FILTER_INSTALL_PATH,
  FAIL2BAN_JAIL_INSTALL_PATH,
  GATEWAY_FILTER,
} from "./fail2ban.ts";
import { type HardenInput, validateHardenInput } from "./input.ts";
import { buildNftables, NFT_INSTALL_PATH } from "./nftables.ts";
import { buildSshdDropin, SSHD_INSTALL_PATH } from "./sshd.ts";

export type HardenKind = "nftables" | "sshd" | "fail2ban-jail" | "fail2ban-filter";

export interface HardenFile {
  /** Relative path under --out, e.g. "nftables/stinger.nft". */
  name: string;
  /** Where the file belongs on the host. */
  installPath: string;
  mode: number;
  content: string;
  /** The exact command an operator runs to check the installed file. */
  validateWith: string;
  kind: HardenKind;
}

export function buildHardenFiles(input: HardenInput): HardenFile[] {
  validateHardenInput(input);
  return [
    {
      name: "nftables/stinger.nft",
      installPath: NFT_INSTALL_PATH,
      mode: 0o600,
      content: buildNftables(input),
      validateWith: `nft -c -f ${NFT_INSTALL_PATH}`,
      kind: "nftables",
    },
    {
      name: `ssh/sshd_config.d/${SSHD_INSTALL_PATH.split("/").pop()}`,
      installPath: SSHD_INSTALL_PATH,
      // CIS 5.1.1: sshd config files root-only.
      mode: 0o600,
      content: buildSshdDropin(input),
      validateWith: "sshd -t",
      kind: "sshd",
    },
    {
      name: "fail2ban/jail.d/stinger.local",
      installPath: FAIL2BAN_JAIL_INSTALL_PATH,
      mode: 0o644,
      content: buildFail2banJail(input),
      validateWith: "fail2ban-client -t",
      kind: "fail2ban-jail",
    },
    {
      name: "fail2ban/filter.d/stinger-gateway.conf",
      installPath: FAIL2BAN_FILTER_INSTALL_PATH,
      mode: 0o644,
      content: GATEWAY_FILTER,
      validateWith: "fail2ban-client -t",
      kind: "fail2ban-filter",
    },
  ];
}

export { buildFail2banJail, GATEWAY_FILTER } from "./fail2ban.ts";
export {
  DEFAULT_GATEWAY_ACCESS_LOG,
  firstWins,
  type HardenInput,
  HardenInputError,
  hardenInputFrom,
  parseCidr,
  validateHardenInput,
} from "./input.ts";
export { buildNftables } from "./nftables.ts";
export { buildSshdDropin, SSHD_BASELINE } from "./sshd.ts";
