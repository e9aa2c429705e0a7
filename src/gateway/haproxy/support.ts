import type { GatewayConfig } from "../../config/gateway.ts";

/**
 * What the HAProxy engine cannot express from a gateway config, as the key that asks for it and why.
 * The engine refuses such a config at start rather than run a weaker policy than the file says.
 * The README's support matrix lists the same rows.
 */
export function haproxyUnsupported(config: GatewayConfig): { key: string; why: string } | undefined {
  const checks: [boolean, string, string][] = [
    [
      config.rateLimit.redis !== undefined,
      "rateLimit.redis",
      "HAProxy keeps the rate tables itself (several instances share them with peers, not Redis)",
    ],
    [
      config.kernelBan.enabled,
      "kernelBan.enabled",
      "the kernel ban is the node engine's; with HAProxy ban from its access log with the shipped fail2ban jail",
    ],
    [
      config.auth.jwt?.eddsaPublicKeyPem !== undefined,
      "auth.jwt.eddsaPublicKeyPem",
      "HAProxy 2.6's jwt_verify has no EdDSA (use hs256Secret, or the node engine)",
    ],
    [
      config.auth.jwt?.hs256Secret !== undefined &&
        !/^[A-Za-z0-9._~+/=-]+$/.test(config.auth.jwt.hs256Secret),
      "auth.jwt.hs256Secret",
      "HAProxy takes the secret inside a sample expression: use base64 or hex characters (openssl rand -base64 48)",
    ],
    [
      config.routes.scopes.some((g) => !/^[\x21-\x7e]+$/.test(g.scope) || /['"\\]/.test(g.scope)),
      "routes.scopes",
      "with --engine haproxy a scope is printable ASCII without spaces or quotes",
    ],
  ];
  // The stick table keeps an entry for two windows, and HAProxy's timers end at 2^31 ms (24.8 days).
  const windowS = Math.ceil(config.rateLimit.capacity / config.rateLimit.refillPerSecond);
  checks.push([
    2 * windowS * 1000 > 2 ** 31 - 1,
    "rateLimit.refillPerSecond",
    `capacity / refillPerSecond is a ${windowS} s window; HAProxy's rate counters reach 12 days at most`,
  ]);
  for (const [cost, key] of [
    [config.rateLimit.submitCost, "rateLimit.submitCost"],
    [config.rateLimit.powSubmitCost, "rateLimit.powSubmitCost"],
  ] as const)
    checks.push([!Number.isInteger(cost), key, "HAProxy multiplies request rates by whole numbers only"]);
  const urlLists: [string, string[], string][] = [
    ["upstreams", config.upstreams.map((u) => (typeof u === "string" ? u : u.url)), "nodes"],
    ["upgradeUpstreams", config.upgradeUpstreams ?? [], "WebSocket upstreams"],
  ];
  for (const [key, urls, what] of urlLists)
    urls.forEach((u, i) => {
      const url = new URL(u);
      checks.push([
        url.protocol !== "http:" || (url.pathname !== "/" && url.pathname !== ""),
        `${key}[${i}]`,
        `the HAProxy engine takes ${what} as http://host:port`,
      ]);
    });
  const patterns = [...config.routes.public, ...config.routes.protected];
  checks.push([
    patterns.some((p) => p.includes("'")),
    "routes",
    "a route pattern with a single quote cannot be written into HAProxy's configuration",
  ]);
  const found = checks.find(([bad]) => bad);
  return found ? { key: found[1], why: found[2] } : undefined;
}
