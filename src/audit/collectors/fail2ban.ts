import type { Host } from "../host.ts";
import { type Collected, unseen } from "../types.ts";

export interface Fail2banJail {
  name: string;
  backend: string;
  settings: Map<string, string[]>;
}

export interface Fail2banFacts {
  installed: boolean;
  running: boolean | null;
  jails: Fail2banJail[];
}

export async function collectFail2ban(_host: Host): Promise<Collected<Fail2banFacts>> {
  return unseen("fail2ban collector not written yet");
}
