import type { Host } from "../host.ts";
import { type Collected, unseen } from "../types.ts";

export interface SystemFacts {
  uid0Accounts: string[];
}

export async function collectSystem(_host: Host): Promise<Collected<SystemFacts>> {
  return unseen("system collector not written yet");
}
