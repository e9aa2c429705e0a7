import { type Check, finding } from "../check.ts";
import type { FileFacts, InspectedFile } from "../collectors/files.ts";
import type { Facts } from "../facts.ts";

function filesOf(f: Facts): FileFacts | { skipped: string } {
  return f.files.ok ? f.files.value : { skipped: f.files.reason };
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

function existing(f: FileFacts, kind: InspectedFile["kind"]) {
  return f.files.filter((x) => x.kind === kind && x.stat !== null && !x.stat.isSymlink);
}

const SSH_023: Check = {
  id: "SSH-023",
  title: "sshd configuration files are writable by others or not root-owned",
  area: "ssh",
  severity: "high",
  refs: ["CIS 5.1.1", "dev-sec sshd-05"],
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return existing(v, "sshd-config").flatMap((x) => {
      const s = x.stat!;
      if (s.uid !== 0 || (s.mode & 0o022) !== 0)
        return [
          finding(this, {
            evidence: `${x.path}: mode ${octal(s.mode)}, owner uid ${s.uid} (anyone who can write it controls who logs in)`,
            fix: `chown root:root ${x.path} && chmod 600 ${x.path}`,
          }),
        ];
      if ((s.mode & 0o077) !== 0)
        return [
          finding(this, {
            severity: "low",
            title: "sshd configuration files are readable by others",
            evidence: `${x.path}: mode ${octal(s.mode)} (CIS asks for 0600)`,
            fix: `chmod 600 ${x.path}`,
          }),
        ];
      return [];
    });
  },
};

const SSH_024: Check = {
  id: "SSH-024",
  title: "SSH private host keys are readable by others",
  area: "ssh",
  severity: "high",
  refs: ["CIS 5.1.2"],
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return existing(v, "host-key")
      .filter(
        (x) =>
          (x.stat!.mode & 0o077) !== 0 && !((x.stat!.mode & 0o037) === 0 && (x.stat!.mode & 0o040) !== 0),
      )
      .map((x) =>
        finding(this, {
          evidence: `${x.path}: mode ${octal(x.stat!.mode)} (a copied host key lets others impersonate this server)`,
          fix: `chmod 600 ${x.path} && chown root:root ${x.path}`,
        }),
      );
  },
};

const SSH_020: Check = {
  id: "SSH-020",
  title: "weak SSH host key",
  area: "ssh",
  severity: "medium",
  refs: ["ssh-audit", "NIST SP 800-57 (RSA >= 3072)"],
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return existing(v, "host-key").flatMap((x) => {
      const k = x.publicKey;
      if (!k) return [];
      const weak =
        k.type === "ssh-dss"
          ? "DSA (1024-bit, removed from OpenSSH)"
          : k.type === "ssh-rsa" && k.bits !== null && k.bits < 3072
            ? `RSA ${k.bits}-bit (< 3072)`
            : null;
      if (!weak) return [];
      return [
        finding(this, {
          evidence: `${x.path}.pub: ${weak}`,
          fix: `remove it from HostKey (and the files), keep ed25519, or make a new one: ssh-keygen -t ${k.type === "ssh-rsa" ? "rsa -b 4096" : "ed25519"} -N "" -f ${x.path}`,
        }),
      ];
    });
  },
};

const STG_001: Check = {
  id: "STG-001",
  title: "a stinger secret is readable by other users",
  area: "stinger",
  severity: "high",
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return existing(v, "secret")
      .filter((x) => (x.stat!.mode & 0o077) !== 0)
      .map((x) =>
        finding(this, {
          severity: (x.stat!.mode & 0o004) !== 0 ? "high" : "medium",
          evidence: `${x.path} (${x.role}): mode ${octal(x.stat!.mode)}, owner uid ${x.stat!.uid}`,
          fix: `chmod 600 ${x.path} (owned by the user the service runs as)`,
        }),
      );
  },
};

const STG_002: Check = {
  id: "STG-002",
  title: "a stinger config or data directory is writable by other users",
  area: "stinger",
  severity: "high",
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return v.files
      .filter(
        (x) =>
          (x.kind === "config" || x.kind === "data-dir" || x.kind === "secret") &&
          x.stat &&
          (x.stat.mode & 0o022) !== 0,
      )
      .map((x) =>
        finding(this, {
          evidence: `${x.path} (${x.role}): mode ${octal(x.stat!.mode)}: others can change what the node trusts`,
          fix: `chmod go-w ${x.path}${x.kind === "data-dir" ? ` (and chmod 700 ${x.path})` : ""}`,
        }),
      );
  },
};

const STG_003: Check = {
  id: "STG-003",
  title: "the node database directory is open to other users",
  area: "stinger",
  severity: "medium",
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    if (!f.deployment.node) return { skipped: "no node config given (--node-config)" };
    return existing(v, "data-dir")
      .filter((x) => (x.stat!.mode & 0o007) !== 0)
      .map((x) =>
        finding(this, {
          evidence: `${x.path}: mode ${octal(x.stat!.mode)}`,
          fix: `chmod 700 ${x.path}`,
        }),
      );
  },
};

const STG_004: Check = {
  id: "STG-004",
  title: "a stinger key file named in the config is missing",
  area: "stinger",
  severity: "info",
  run(f) {
    const v = filesOf(f);
    if ("skipped" in v) return v;
    return v.files
      .filter((x) => x.kind === "secret" && x.stat === null && x.role !== "node p2p identity key")
      .map((x) =>
        finding(this, {
          evidence: `${x.path} (${x.role}) does not exist`,
          fix: "check the path in the config (relative paths are relative to the config file's folder)",
        }),
      );
  },
};

export const FILE_CHECKS: readonly Check[] = [SSH_020, SSH_023, SSH_024, STG_001, STG_002, STG_003, STG_004];
