// Owned by the firewall work in progress: collects nft / iptables / ufw / firewalld state.
import type { Host } from "../host.ts";
import { type Collected, unseen } from "../types.ts";

export interface FirewallFacts {
  placeholder: true;
}

export async function collectFirewall(_host: Host): Promise<Collected<FirewallFacts>> {
  return unseen("firewall collector not written yet");
}
