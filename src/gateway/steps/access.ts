import { compileRoutePattern, createRoutePolicy } from "../../node/api/route-policy.ts";
import { type AuthConfig, createAuthenticator } from "../auth.ts";
import { clientRateKey } from "../client-ip.ts";
import { Refusal } from "../refusal.ts";
import type { Step } from "./step.ts";

export interface AccessConfig {
  routes: { public: string[]; protected: string[]; scopes: { routes: string[]; scope: string }[] };
  auth: AuthConfig;
  /** anonymous IPv6 clients count per prefix of this length */
  ipv6PrefixLength: number;
}

/**
 * Route policy and credentials: unknown routes 404 here (never reach a node), protected ones need a
 * valid API key or JWT (401) carrying the scope of their route group, if any (403). Names the client:
 * the credential's principal, else the IP (IPv6 per prefix).
 */
export function accessStep(cfg: AccessConfig): Step {
  const policy = createRoutePolicy(cfg.routes.public, cfg.routes.protected);
  const authenticate = createAuthenticator(cfg.auth);
  const scopes = cfg.routes.scopes.map((g) => ({
    patterns: g.routes.map(compileRoutePattern),
    scope: g.scope,
  }));
  return async (ctx) => {
    const access = policy(ctx.path);
    if (access === "forbidden") throw new Refusal(404, "unknown_route", "route not found");
    let scope: string | undefined;
    if (access === "protected" && scopes.length > 0) {
      const q = ctx.path.indexOf("?");
      const p = (q === -1 ? ctx.path : ctx.path.slice(0, q)).toLowerCase();
      scope = scopes.find((g) => g.patterns.some((re) => re.test(p)))?.scope;
    }
    const { headers } = ctx.req;
    const auth = await authenticate(
      { authorization: headers.authorization, "x-api-key": headers["x-api-key"] as string | undefined },
      scope,
    );
    if (auth.kind === "denied")
      throw new Refusal(auth.status, auth.reason, auth.status === 401 ? "unauthorized" : "forbidden");
    if (access === "protected" && auth.kind !== "ok")
      throw new Refusal(401, "missing_credentials", "unauthorized");
    ctx.auth = auth;
    ctx.client = auth.kind === "ok" ? auth.principal : `ip:${clientRateKey(ctx.ip, cfg.ipv6PrefixLength)}`;
  };
}
