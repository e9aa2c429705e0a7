import type { Host } from "../host.ts";
import { type Collected, unseen } from "../types.ts";

/** Effective sshd settings: lower-case keyword → values in order, as `sshd -T` prints them. */
export type SshdConfig = Map<string, string[]>;

export interface SshdFacts {
  config: SshdConfig;
  /** How the settings were read: the daemon's own view, or stinger's parser of the files. */
  method: "sshd -T" | "parser";
  /** The effective settings under each Match condition named in the files. */
  matches: { criteria: string; config: SshdConfig }[];
  ports: number[];
  /** Config files involved, main file first. */
  files: string[];
  /** Where a keyword's winning value was set, when the parser read the files. */
  provenance: Map<string, { file: string; line: number }>;
  /** Things worth saying that are not findings of their own (include loops, unreadable drop-ins). */
  problems: string[];
}

export async function collectSshd(_host: Host): Promise<Collected<SshdFacts>> {
  return unseen("sshd collector not written yet");
}
