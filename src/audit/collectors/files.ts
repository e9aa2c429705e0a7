import type { Deployment } from "../deployment.ts";
import type { FileStat, Host } from "../host.ts";
import { type Collected, unseen } from "../types.ts";

export interface InspectedFile {
  path: string;
  kind: "secret" | "config" | "data-dir" | "sshd-config" | "host-key";
  stat: FileStat | null;
}

export interface FileFacts {
  files: InspectedFile[];
}

export async function collectFiles(_host: Host, _d: Deployment): Promise<Collected<FileFacts>> {
  return unseen("file collector not written yet");
}
