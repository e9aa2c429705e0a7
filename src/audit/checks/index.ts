import type { Check } from "../check.ts";
import { DOCKER_CHECKS } from "./docker.ts";
import { FAIL2BAN_CHECKS } from "./fail2ban.ts";
import { FILE_CHECKS } from "./files.ts";
import { FIREWALL_CHECKS } from "./firewall.ts";
import { NETWORK_CHECKS } from "./network.ts";
import { POW_CHECKS } from "./pow.ts";
import { SSH_CHECKS } from "./ssh.ts";
import { STINGER_CHECKS } from "./stinger.ts";
import { SYSTEM_CHECKS } from "./system.ts";
import { UNIT_CHECKS } from "./units.ts";

/** Every check, in report order. Ids are stable: a retired id is never reused. */
export const ALL_CHECKS: readonly Check[] = [
  ...SSH_CHECKS,
  ...NETWORK_CHECKS,
  ...FIREWALL_CHECKS,
  ...DOCKER_CHECKS,
  ...FAIL2BAN_CHECKS,
  ...SYSTEM_CHECKS,
  ...FILE_CHECKS,
  ...STINGER_CHECKS,
  ...POW_CHECKS,
  ...UNIT_CHECKS,
];
