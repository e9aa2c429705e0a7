import { posix } from "node:path";
import { type Deployment, nodePath } from "../deployment.ts";
import type { FileStat, Host } from "../host.ts";
import { type Collected, seen } from "../types.ts";

export type FileKind = "secret" | "config" | "data-dir" | "sshd-config" | "host-key";

export interface InspectedFile {
  path: string;
  kind: FileKind;
  /** What the file is, in the operator's words ("node p2p identity key"). */
  role: string;
  /** null: the file does not exist (or could not be stat'ed). */
  stat: FileStat | null;
}

export interface FileFacts {
  files: InspectedFile[];
}

async function inspect(host: Host, path: string, kind: FileKind, role: string): Promise<InspectedFile> {
  return { path, kind, role, stat: await host.stat(path) };
}

/** Modes and owners of the files whose exposure matters: sshd's config and keys, stinger's secrets. */
export async function collectFiles(host: Host, d: Deployment): Promise<Collected<FileFacts>> {
  const files: InspectedFile[] = [];
  files.push(await inspect(host, "/etc/ssh/sshd_config", "sshd-config", "sshd configuration"));
  for (const name of (await host.list("/etc/ssh/sshd_config.d")) ?? [])
    if (name.endsWith(".conf"))
      files.push(await inspect(host, `/etc/ssh/sshd_config.d/${name}`, "sshd-config", "sshd drop-in"));
  for (const name of (await host.list("/etc/ssh")) ?? [])
    if (/^ssh_host_.*_key$/.test(name))
      files.push(await inspect(host, `/etc/ssh/${name}`, "host-key", "SSH private host key"));

  if (d.node) {
    const { config, file } = d.node;
    files.push(await inspect(host, file, "config", "node config"));
    const dbDir = nodePath(d, config.db.path);
    files.push(await inspect(host, dbDir, "data-dir", "node database directory"));
    const identity = posix.join(posix.dirname(dbDir), "p2pstore", "identity.key");
    const besideConfig = nodePath(d, posix.join("p2pstore", "identity.key"));
    for (const p of new Set([besideConfig, identity])) {
      const f = await inspect(host, p, "secret", "node p2p identity key");
      if (f.stat || p === besideConfig) files.push(f);
    }
    if (config.coordinator.enabled) {
      files.push(
        await inspect(
          host,
          nodePath(d, config.coordinator.keyFilePath),
          "secret",
          "coordinator signing keys",
        ),
      );
    }
  }
  if (d.gateway) {
    const { config, file } = d.gateway;
    const holdsSecret = Boolean(config.auth.jwt?.hs256Secret);
    files.push(await inspect(host, file, holdsSecret ? "secret" : "config", "gateway config"));
    if (config.tls) files.push(await inspect(host, config.tls.keyFile, "secret", "gateway TLS private key"));
  }
  return seen({ files }, "stat of sshd and stinger files");
}
