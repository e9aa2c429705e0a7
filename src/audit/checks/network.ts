import { type Check, finding, type Skipped } from "../check.ts";
import { isLoopback, type ListeningSocket, type SocketFacts } from "../collectors/sockets.ts";
import { isPublicPort, privatePort } from "../deployment.ts";
import { type Facts, sshPortsOf } from "../facts.ts";
import type { Finding } from "../types.ts";

function socketsOf(f: Facts): SocketFacts | Skipped {
  return f.sockets.ok ? f.sockets.value : { skipped: f.sockets.reason };
}

function describe(s: ListeningSocket): string {
  const addr = s.family === 6 && !s.address.startsWith("::ffff:") ? `[${s.address}]` : s.address;
  const owner = s.process ? ` by ${s.process.name} (pid ${s.process.pid})` : ` (uid ${s.uid})`;
  return `${s.protocol} ${addr}:${s.port}${owner}`;
}

/** Private (RFC 1918 / ULA / link-local) addresses are reachable only from the operator's own networks. */
function isPrivateAddress(a: string): boolean {
  return (
    /^10\./.test(a) ||
    /^192\.168\./.test(a) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(a) ||
    /^169\.254\./.test(a) ||
    /^f[cd]/i.test(a) ||
    /^fe80:/i.test(a)
  );
}

function exposed(s: ListeningSocket): boolean {
  return !isLoopback(s.address) && !isPrivateAddress(s.address);
}

function uniq(sockets: ListeningSocket[]): ListeningSocket[] {
  const seen = new Set<string>();
  return sockets.filter((s) => {
    const key = `${s.protocol}/${s.address}/${s.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const NET_001: Check = {
  id: "NET-001",
  title: "a service the deployment does not need listens on a public address",
  area: "network",
  severity: "medium",
  refs: ["Lynis NETW-3012", "CIS firewall: a rule for every open port"],
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    const ssh = sshPortsOf(f);
    const unexpected = uniq(s.sockets).filter(
      (x) =>
        exposed(x) &&
        !isPublicPort(f.deployment, x.port, x.protocol) &&
        !privatePort(f.deployment, x.port, x.protocol) &&
        !(x.protocol === "tcp" && ssh.includes(x.port)) &&
        // DHCP clients bind UDP 68 on every interface to get an address at all.
        !(x.protocol === "udp" && x.port === 68),
    );
    return unexpected.map((x) =>
      finding(this, {
        evidence: `${describe(x)} is listening (from /proc/net/${x.protocol}${x.family === 6 ? "6" : ""}); the deployment needs only ${f.deployment.publicPorts.map((p) => `${p.port}/${p.protocol}`).join(", ")} and SSH ${ssh.join(",")}/tcp in public`,
        fix: `stop the service if unused, or bind it to 127.0.0.1; if it must be public, allow it explicitly in the firewall (stinger harden lists the allowed ports)`,
      }),
    );
  },
};

const NET_002: Check = {
  id: "NET-002",
  title: "a port that must stay private listens on a public address",
  area: "network",
  severity: "high",
  refs: ["Hornet deployment guide: REST API behind the reverse proxy"],
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    const out: Finding[] = [];
    for (const x of uniq(s.sockets)) {
      const p = privatePort(f.deployment, x.port, x.protocol);
      if (!p || !exposed(x)) continue;
      const rest = p.service === "node REST API";
      out.push(
        finding(this, {
          title: `${p.service} (port ${p.port}) listens on a public address`,
          evidence: `${describe(x)}; ${p.service} must be reachable only on loopback or a private network${f.deployment.sources.length ? ` (per ${f.deployment.sources.join(", ")})` : ""}`,
          fix: rest
            ? `set restAPI.bindAddress to "127.0.0.1:${p.port}" in the node config and serve clients through stinger gateway (TLS, rate limits, auth)`
            : `bind ${p.service} to 127.0.0.1:${p.port} (or a private interface) and reach it through an SSH tunnel or the admin network`,
        }),
      );
    }
    return out;
  },
};

const NET_005: Check = {
  id: "NET-005",
  title: "Docker API exposed over TCP",
  area: "network",
  severity: "critical",
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    return uniq(s.sockets)
      .filter((x) => x.protocol === "tcp" && (x.port === 2375 || x.port === 2376) && !isLoopback(x.address))
      .map((x) =>
        finding(this, {
          severity: x.port === 2375 ? "critical" : "medium",
          evidence: `${describe(x)}${x.port === 2375 ? ": unauthenticated Docker API = root on this host" : ": TLS Docker API"}`,
          fix: `remove "-H tcp://..." from dockerd (or "hosts" in /etc/docker/daemon.json) and use the unix socket`,
        }),
      );
  },
};

const NET_006: Check = {
  id: "NET-006",
  title: "a public port of the deployment is not listening",
  area: "network",
  severity: "info",
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    if (f.deployment.sources.length === 0)
      return { skipped: "no stinger config given (--node-config / --gateway-config)" };
    return f.deployment.publicPorts
      .filter((p) => !s.sockets.some((x) => x.port === p.port && x.protocol === p.protocol))
      .map((p) =>
        finding(this, {
          evidence: `nothing listens on ${p.port}/${p.protocol} (${p.service}) although the config asks for it`,
          fix: `check that the ${p.service} is running (journalctl -u stinger-*), or remove the port from the config`,
        }),
      );
  },
};

const NET_007: Check = {
  id: "NET-007",
  title: "node API served without a reverse proxy in front",
  area: "network",
  severity: "medium",
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    const rest = f.deployment.privatePorts.find((p) => p.service === "node REST API");
    const api = rest && s.sockets.find((x) => x.protocol === "tcp" && x.port === rest.port);
    if (!api) return [];
    const gatewayPorts = f.deployment.publicPorts.filter((p) => p.service.startsWith("gateway"));
    const fronted = s.sockets.some(
      (x) =>
        x.protocol === "tcp" &&
        (x.port === 443 || x.port === 80 || gatewayPorts.some((p) => p.port === x.port)),
    );
    if (fronted) return [];
    return [
      finding(this, {
        evidence: `${describe(api)} serves the node API and nothing listens on 443, 80${gatewayPorts.length ? ` or ${gatewayPorts.map((p) => p.port).join(", ")}` : ""}`,
        fix: "run `stinger gateway` (TLS, IP filtering, rate limits, API keys/JWT) in front of the node and keep the node on 127.0.0.1",
      }),
    ];
  },
};

const NET_008: Check = {
  id: "NET-008",
  title: "listening sockets only partly visible",
  area: "network",
  severity: "low",
  run(f) {
    const s = socketsOf(f);
    if ("skipped" in s) return s;
    if (s.problems.length === 0) return [];
    return [
      finding(this, {
        evidence: s.problems.join("; "),
        fix: "rerun the audit as root on the host itself (a partial socket table may hide listeners)",
      }),
    ];
  },
};

export const NETWORK_CHECKS: readonly Check[] = [NET_001, NET_002, NET_005, NET_006, NET_007, NET_008];
