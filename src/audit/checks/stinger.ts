import { splitHostPort } from "../../config/common.ts";
import { type Check, finding } from "../check.ts";
import { isLoopback } from "../collectors/sockets.ts";
import type { Deployment } from "../deployment.ts";
import type { Facts } from "../facts.ts";
import type { Finding } from "../types.ts";

const HORNET_DEFAULT_SALT = "HORNET";

function isLoopbackBind(bind: string): boolean {
  const { host } = splitHostPort(bind);
  return host === "localhost" || isLoopback(host);
}

function nodeOf(f: Facts): NonNullable<Deployment["node"]> | { skipped: string } {
  return f.deployment.node ?? { skipped: "no node config given (--node-config)" };
}

function gatewayOf(f: Facts): NonNullable<Deployment["gateway"]> | { skipped: string } {
  return f.deployment.gateway ?? { skipped: "no gateway config given (--gateway-config)" };
}

const STG_005: Check = {
  id: "STG-005",
  title: "the node's JWT salt is the published default",
  area: "stinger",
  severity: "high",
  run(f) {
    const n = nodeOf(f);
    if ("skipped" in n) return n;
    if (n.config.restAPI.jwtAuth.salt !== HORNET_DEFAULT_SALT) return [];
    return [
      finding(this, {
        evidence: `${n.file}: restAPI.jwtAuth.salt is "${HORNET_DEFAULT_SALT}" (the default everyone knows), so API tokens are only as secret as the node identity`,
        fix: `set restAPI.jwtAuth.salt to a random value (openssl rand -hex 32), restart the node, then issue new tokens with \`stinger jwt\``,
      }),
    ];
  },
};

const STG_006: Check = {
  id: "STG-006",
  title: "the node config binds the REST API or metrics to a non-loopback address",
  area: "stinger",
  severity: "medium",
  run(f) {
    const n = nodeOf(f);
    if ("skipped" in n) return n;
    const binds = [
      { key: "restAPI.bindAddress", value: n.config.restAPI.bindAddress },
      ...(n.config.prometheus.enabled
        ? [{ key: "prometheus.bindAddress", value: n.config.prometheus.bindAddress }]
        : []),
    ];
    return binds
      .filter((b) => !isLoopbackBind(b.value))
      .map((b) =>
        finding(this, {
          evidence: `${n.file}: ${b.key} is "${b.value}"`,
          fix: `set ${b.key} to "127.0.0.1:${splitHostPort(b.value).port}" and put stinger gateway in front`,
        }),
      );
  },
};

const STG_007: Check = {
  id: "STG-007",
  title: "the gateway serves plain HTTP on a non-loopback address",
  area: "stinger",
  severity: "high",
  run(f) {
    const g = gatewayOf(f);
    if ("skipped" in g) return g;
    if (g.config.tls || isLoopbackBind(g.config.bindAddress)) return [];
    return [
      finding(this, {
        evidence: `${g.file}: bindAddress "${g.config.bindAddress}" without a tls section: API keys and JWTs cross the network in clear`,
        fix: 'add "tls": {"certFile": ..., "keyFile": ...} (TLS 1.2+) or bind to 127.0.0.1 behind another TLS terminator',
      }),
    ];
  },
};

const OPEN_TRUST = /^(0\.0\.0\.0\/0|::\/0|::0\/0)$/;

const STG_008: Check = {
  id: "STG-008",
  title: "X-Forwarded-For is believed from anyone",
  area: "stinger",
  severity: "high",
  run(f) {
    const { gateway, node } = f.deployment;
    if (!gateway && !node) return { skipped: "no stinger config given (--node-config / --gateway-config)" };
    const out: Finding[] = [];
    const lists = [
      ...(gateway
        ? [{ file: gateway.file, key: "trustedProxies", list: gateway.config.trustedProxies }]
        : []),
      ...(node
        ? [{ file: node.file, key: "restAPI.trustedProxies", list: node.config.restAPI.trustedProxies }]
        : []),
    ];
    for (const { file, key, list } of lists) {
      const open = list.filter((c) => OPEN_TRUST.test(c.trim()));
      if (open.length === 0) continue;
      out.push(
        finding(this, {
          evidence: `${file}: ${key} contains ${open.join(", ")}: any client can pick its own IP and dodge bans, allow/deny lists and rate limits`,
          fix: `list only the addresses of your own proxies in ${key} (for the node: the gateway's address)`,
        }),
      );
    }
    return out;
  },
};

const STG_009: Check = {
  id: "STG-009",
  title: "the gateway admin/metrics port is bound to a non-loopback address",
  area: "stinger",
  severity: "medium",
  run(f) {
    const g = gatewayOf(f);
    if ("skipped" in g) return g;
    if (isLoopbackBind(g.config.adminBindAddress)) return [];
    return [
      finding(this, {
        evidence: `${g.file}: adminBindAddress is "${g.config.adminBindAddress}"`,
        fix: `set adminBindAddress to "127.0.0.1:${splitHostPort(g.config.adminBindAddress).port}" and scrape it locally or over a private network`,
      }),
    ];
  },
};

export const STINGER_CHECKS: readonly Check[] = [STG_005, STG_006, STG_007, STG_008, STG_009];
