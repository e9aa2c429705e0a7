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
  /** For SSH host keys: algorithm and size, read from the matching .pub file. */
  publicKey?: { type: string; bits: number | null };
}

export interface FileFacts {
  files: InspectedFile[];
}

/**
 * Algorithm and size of an OpenSSH public key line. The blob is the SSH wire format: string type,
 * then for RSA mpint e and mpint n, whose length gives the key size.
 */
export function parsePublicKey(line: string): { type: string; bits: number | null } | null {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64) return null;
  if (type !== "ssh-rsa") return { type, bits: type === "ssh-dss" ? 1024 : null };
  const blob = Buffer.from(b64, "base64");
  let at = 0;
  const field = (): Buffer | null => {
    if (at + 4 > blob.length) return null;
    const len = blob.readUInt32BE(at);
    at += 4;
    if (at + len > blob.length) return null;
    const out = blob.subarray(at, at + len);
    at += len;
    return out;
  };
  field(); // "ssh-rsa"
  field(); // e
  const n = field();
  if (!n) return { type, bits: null };
  let i = 0;
  while (i < n.length && n[i] === 0) i++; // mpint sign byte
  return { type, bits: i < n.length ? (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!)) : 0 };
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
    if (/^ssh_host_.*_key$/.test(name)) {
      const key = await inspect(host, `/etc/ssh/${name}`, "host-key", "SSH private host key");
      const pub = await host.readText(`/etc/ssh/${name}.pub`);
      if (pub.ok) {
        const parsed = parsePublicKey(pub.text);
        if (parsed) key.publicKey = parsed;
      }
      files.push(key);
    }

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
