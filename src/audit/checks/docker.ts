import { type Check, finding } from "../check.ts";
import type { FwChain } from "../collectors/firewall.ts";
import { isLoopback } from "../collectors/sockets.ts";
import type { Finding } from "../types.ts";

/** A port Docker publishes by DNAT in its nat chain, and to which address it is bound. */
interface Published {
  port: number;
  protocol: string;
  loopbackOnly: boolean;
  text: string;
  source: string;
}

function publishedPorts(chains: FwChain[]): Published[] {
  const out: Published[] = [];
  for (const chain of chains) {
    if (chain.table !== "nat" || chain.name !== "DOCKER") continue;
    for (const rule of chain.rules) {
      const text = rule.evidence.text;
      if (!/\b(DNAT|dnat)\b/.test(text)) continue;
      const port = /--dport (\d+)|dport (\d+)/.exec(text);
      if (!port) continue;
      const dest = /(?:^|\s)-d (\S+)/.exec(text)?.[1] ?? /daddr (\S+)/.exec(text)?.[1];
      out.push({
        port: Number(port[1] ?? port[2]),
        protocol: /-p (udp|tcp)|\b(udp|tcp) dport/.exec(text)?.slice(1).find(Boolean) ?? "tcp",
        loopbackOnly: dest !== undefined && isLoopback(dest.split("/")[0]!),
        text,
        source: rule.evidence.source,
      });
    }
  }
  return out;
}

/** DOCKER-USER is where Docker lets operators filter published ports; only RETURN in it = no filter. */
function dockerUserFilters(chains: FwChain[]): boolean {
  return chains.some(
    (c) =>
      c.name === "DOCKER-USER" &&
      c.rules.some((r) => !/^-A DOCKER-USER -j RETURN$/.test(r.evidence.text.trim()) && r.verdict !== null),
  );
}

/**
 * Docker-published ports are DNATed before the INPUT chain is consulted, so a default-deny INPUT
 * policy (and ufw) does not protect them (moby #4737, #22054; docker/for-linux #690).
 */
const FW_005: Check = {
  id: "FW-005",
  title: "a Docker-published port bypasses the host firewall",
  area: "firewall",
  severity: "high",
  refs: ["moby #4737", "docker/for-linux #690"],
  run(f) {
    if (!f.firewall.ok) return { skipped: f.firewall.reason };
    const fw = f.firewall.value;
    const out: Finding[] = [];
    const filtered = dockerUserFilters(fw.chains);
    for (const p of publishedPorts(fw.chains)) {
      if (p.loopbackOnly) continue;
      out.push(
        finding(this, {
          severity: filtered ? "low" : "high",
          evidence: `${p.source}: ${p.text} publishes ${p.protocol}/${p.port} on every address; ${filtered ? "DOCKER-USER has rules (check they cover it)" : "DOCKER-USER has no filtering rule"}, and INPUT rules never see this traffic`,
          fix: `publish it on loopback only (docker run -p 127.0.0.1:${p.port}:${p.port} ..., or "127.0.0.1:${p.port}:${p.port}" in compose), or drop it in DOCKER-USER: iptables -I DOCKER-USER -p ${p.protocol} -m conntrack --ctorigdstport ${p.port} -j DROP`,
        }),
      );
    }
    if (f.sockets.ok)
      for (const s of f.sockets.value.sockets)
        if (
          s.process?.name === "docker-proxy" &&
          !isLoopback(s.address) &&
          !out.some((o) => o.evidence.includes(`/${s.port} `))
        )
          out.push(
            finding(this, {
              evidence: `docker-proxy (pid ${s.process.pid}) listens on ${s.address}:${s.port}: a published container port`,
              fix: `publish it on loopback only (-p 127.0.0.1:${s.port}:${s.port}) unless the deployment needs it public`,
            }),
          );
    return out;
  },
};

export const DOCKER_CHECKS: readonly Check[] = [FW_005];
