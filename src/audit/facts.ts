import type { Fail2banFacts } from "./collectors/fail2ban.ts";
import type { FileFacts } from "./collectors/files.ts";
import type { FirewallFacts } from "./collectors/firewall.ts";
import type { PowFacts } from "./collectors/pow.ts";
import type { SocketFacts } from "./collectors/sockets.ts";
import type { SshdFacts } from "./collectors/sshd.ts";
import type { SystemFacts } from "./collectors/system.ts";
import type { StingerUnit } from "./collectors/units.ts";
import type { Deployment } from "./deployment.ts";
import type { Host } from "./host.ts";
import type { Collected } from "./types.ts";

/** Everything the collectors saw; checks are pure functions of this. */
export interface Facts {
  host: { root: string | null; isRoot: boolean };
  deployment: Deployment;
  sshd: Collected<SshdFacts>;
  sockets: Collected<SocketFacts>;
  firewall: Collected<FirewallFacts>;
  fail2ban: Collected<Fail2banFacts>;
  files: Collected<FileFacts>;
  system: Collected<SystemFacts>;
  pow: Collected<PowFacts>;
  units: Collected<StingerUnit[]>;
}

export type { Host };

export const DEFAULT_SSH_PORT = 22;

/** sshd's ports when its settings were seen, else the default (what an unseen sshd most likely uses). */
export function sshPortsOf(f: Facts): number[] {
  return f.sshd.ok && f.sshd.value.ports.length > 0 ? f.sshd.value.ports : [DEFAULT_SSH_PORT];
}
