import { join } from "node:path";
import { splitHostPort } from "../../config/common.ts";
import type { GatewayConfig } from "../../config/gateway.ts";
import { compileRoutePattern } from "../../node/api/route-policy.ts";
import { errorJson } from "../refusal.ts";
import { TLS12_AEAD_ECDHE, TLS13 } from "../tls-profile.ts";

/** The files the HAProxy engine runs on, by name inside the run folder. */
export interface RenderedHaproxy extends Record<string, string> {
  "haproxy.cfg": string;
  /** SHA-256 (hex) of each API key → its principal */
  "keys.map": string;
  /** principal → its rate limit (capacity × the key's rateMultiplier) */
  "limits.map": string;
}

/** The errors HAProxy answers itself: status, reason phrase, the message in the JSON error shape. */
const HAPROXY_ERRORS = [
  [400, "Bad Request", "bad request"],
  [403, "Forbidden", "forbidden"],
  [408, "Request Timeout", "request timeout"],
  [500, "Internal Server Error", "internal error"],
  [502, "Bad Gateway", "no node could answer the request"],
  [503, "Service Unavailable", "no node is available"],
  [504, "Gateway Timeout", "the node did not answer in time"],
] as const;

/** The combined certificate and key HAProxy loads (written by the supervisor from tls.certFile/keyFile). */
export const CERT_FILE = "cert.pem";

/** A double-quoted HAProxy string: backslash, quote and `$` (environment expansion) escaped. */
function q(s: string): string {
  return `"${s.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

function ms(n: number): string {
  return `${n}ms`;
}

/** A backend's server line for an http://host:port URL, named by its host:port (what the metrics show). */
function serverLine(url: string, options = ""): string {
  const u = new URL(url);
  const hostPort = `${u.hostname}:${u.port || "80"}`;
  return `  server ${hostPort.replace(/[[\]]/g, "")} ${hostPort}${options}`;
}

/**
 * One ACL (lines of the same name are ORed) matching Hornet route patterns as the node engine does
 * (compileRoutePattern: lower-cased, `*` = anything, `^…` = a regex). Literal paths and literal
 * prefixes ending in one `*` become exact and prefix matches, cheaper per request than regexes.
 */
function routeAcl(name: string, patterns: string[]): string[] {
  const exact: string[] = [];
  const prefix: string[] = [];
  const regex: string[] = [];
  for (const p of patterns) {
    const star = p.indexOf("*");
    if (p.startsWith("^")) regex.push(compileRoutePattern(p).source);
    else if (star === -1) exact.push(p.toLowerCase());
    else if (star === p.length - 1) prefix.push(p.slice(0, -1).toLowerCase());
    else regex.push(compileRoutePattern(p).source);
  }
  const lines: string[] = [];
  if (exact.length > 0) lines.push(`  acl ${name} path,lower -m str ${exact.map(q).join(" ")}`);
  if (prefix.length > 0) lines.push(`  acl ${name} path,lower -m beg ${prefix.map(q).join(" ")}`);
  if (regex.length > 0) lines.push(`  acl ${name} path,lower -m reg ${regex.map((r) => `'${r}'`).join(" ")}`);
  // An empty list matches nothing (and the name must still exist for the rules that use it).
  return lines.length > 0 ? lines : [`  acl ${name} always_false`];
}

/**
 * The gateway config as one HAProxy 2.6 configuration. The request rules keep the node engine's order
 * (client IP, IP filter, route policy, credentials, body, PoW/WebSocket caps, rate limit) and answer
 * every refusal in the node's JSON error shape with the same `reason` in the access log, so the same
 * fail2ban filter reads both engines. Rate limits: the node engine's token bucket (capacity C, refill
 * R/s) becomes a sliding-window rate of C per ceil(C/R) seconds per client in a stick table with one
 * counter per route class (plain, submit, PoW submit), the classes' rates weighted by their costs:
 * HAProxy 2.6 can add 1 to a counter, not a cost, so the cost multiplies the class's rate instead.
 */
export function renderHaproxy(config: GatewayConfig, runDir: string): RenderedHaproxy {
  const { limits, rateLimit } = config;
  const tls = config.tls;
  const lines: string[] = [];
  const add = (...l: string[]) => lines.push(...l);
  const refuse = (cond: string, status: number, reason: string, message: string, retryAfter?: string) =>
    add(
      `  http-request set-var(txn.reason) str(${reason}) if ${cond}`,
      `  http-request return status ${status} content-type application/json string ${q(errorJson(status, message))}${
        retryAfter ? ` hdr Retry-After ${retryAfter}` : ""
      } if ${cond}`,
    );
  const windowS = Math.max(1, Math.ceil(rateLimit.capacity / rateLimit.refillPerSecond));
  const peers = config.haproxy.peers;
  // With peers, the rate table is shared with the other gateways, so a client's quota is one across
  // them. Connection and in-flight caps stay per instance: they count this instance's own streams.
  const shared = peers ? " peers stinger" : "";
  const capacity = Math.floor(rateLimit.capacity);

  add(
    "# Rendered by stinger from its gateway config; edit that file, not this one.",
    "global",
    "  log stdout format raw local0",
    ...(peers ? [`  localpeer ${peers.local}`] : []),
    `  nbthread ${config.workers}`,
    `  maxconn ${limits.maxConnections}`,
    `  stats socket ${join(runDir, "admin.sock")} mode 600 level admin expose-fd listeners`,
    `  ssl-default-bind-ciphersuites ${TLS13.join(":")}`,
    `  ssl-default-bind-ciphers ${TLS12_AEAD_ECDHE.join(":")}`,
    "  ssl-default-bind-curves X25519:P-256:P-384",
    `  ssl-default-bind-options ssl-min-ver ${tls?.profile === "modern" ? "TLSv1.3" : "TLSv1.2"}`,
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option http-keep-alive",
    "  timeout connect 2s",
    `  timeout http-request ${ms(limits.headersTimeoutMs)}`,
    `  timeout client ${ms(limits.requestTimeoutMs)}`,
    `  timeout http-keep-alive ${ms(limits.keepAliveTimeoutMs)}`,
    `  timeout server ${ms(limits.upstreamTimeoutMs)}`,
    "  timeout tunnel 1h",
    "  timeout client-fin 5s",
    "",
    ...(peers ? ["peers stinger", ...peers.members.map((m) => `  peer ${m.name} ${m.address}`), ""] : []),
    // Each table lives in a backend of its own, as HAProxy wants.
    "backend st_rate",
    `  stick-table type string len 160 size 100k expire ${Math.max(10, 2 * windowS)}s${shared} store gpc(3),gpc_rate(3,${windowS}s)`,
    "backend st_conn",
    `  stick-table type ipv6 size 100k expire 10m store conn_cur`,
    "backend st_pow",
    `  stick-table type string len 160 size 100k expire 10m store gpc(1)`,
    "backend st_ws",
    `  stick-table type string len 160 size 100k expire 10m store gpc(1)`,
    "",
    "frontend api",
    `  bind ${config.bindAddress}${tls ? ` ssl crt ${join(runDir, CERT_FILE)} alpn http/1.1` : ""}`,
    `  maxconn ${limits.maxConnections}`,
    // HAProxy's own errors in the node's JSON shape too (parser errors, timeouts, no node, a failed node).
    ...HAPROXY_ERRORS.map(([status]) => `  errorfile ${status} ${join(runDir, `error-${status}.http`)}`),
    `  log-format ${q(
      '{"level":30,"time":"%[date,utime(%Y-%m-%dT%H:%M:%S)]Z","msg":"request","ip":"%ci","method":"%HM",' +
        '"path":"%[var(txn.path),json(utf8s)]","node":"%s","status":%ST,"ms":%Ta,"reason":"%[var(txn.reason)]"}',
    )}`,
  );

  // Connections: per client address (IPv6 per prefix) before TLS; proxies and exempt CIDRs uncapped.
  const exempt = [...config.trustedProxies, ...limits.connectionExempt];
  if (exempt.length > 0) add(`  acl conn_exempt src ${exempt.join(" ")}`);
  add(
    `  tcp-request connection track-sc1 src,ipmask(32,${rateLimit.ipv6PrefixLength}) table st_conn${
      exempt.length > 0 ? " unless conn_exempt" : ""
    }`,
    `  tcp-request connection reject if { sc1_conn_cur gt ${limits.maxConnectionsPerClient} }`,
  );

  // Client IP: X-Forwarded-For believed only from a trusted proxy, its last hop only.
  if (config.trustedProxies.length > 0)
    add(
      `  acl from_proxy src ${config.trustedProxies.join(" ")}`,
      "  http-request set-src hdr_ip(x-forwarded-for,-1) if from_proxy { hdr_ip(x-forwarded-for,-1) -m found }",
    );
  add("  http-request set-var(txn.path) path", "  acl is_ws hdr(upgrade) -i websocket");

  if (config.ipFilter.deny.length > 0) {
    add(`  acl ip_denied src ${config.ipFilter.deny.join(" ")}`);
    refuse("ip_denied", 403, "ip_denied", "forbidden");
  }
  if (config.ipFilter.allow.length > 0) {
    add(`  acl ip_allowed src ${config.ipFilter.allow.join(" ")}`);
    refuse("!ip_allowed", 403, "ip_denied", "forbidden");
  }

  // Route policy: Hornet's patterns, as the node engine compiles them.
  add(
    ...routeAcl("route_public", config.routes.public),
    ...routeAcl("route_protected", config.routes.protected),
  );
  refuse("!route_public !route_protected", 404, "unknown_route", "route not found");
  refuse("is_ws !{ path /mqtt }", 404, "unknown_route", "route not found");

  // Credentials: an API key (X-API-Key or "Authorization: ApiKey …") is looked up by its SHA-256. As in
  // the node engine, a key wins over a Bearer token, which then goes to the node as its own token.
  const keysMap = join(runDir, "keys.map");
  add(
    "  http-request set-var(txn.apikey) req.hdr(x-api-key)",
    "  http-request set-var(txn.apikey) req.hdr(authorization),regsub(^[Aa][Pp][Ii][Kk][Ee][Yy][[:space:]]+,) if !{ req.hdr(x-api-key) -m found } { req.hdr(authorization) -m reg -i ^apikey[[:space:]] }",
    `  http-request set-var(txn.principal) var(txn.apikey),sha2(256),hex,lower,map(${keysMap}) if { var(txn.apikey) -m found }`,
    "  acl has_key var(txn.apikey) -m found",
    "  acl key_ok var(txn.principal) -m found",
  );
  refuse("has_key !key_ok", 401, "invalid_api_key", "unauthorized");
  const jwt = config.auth.jwt;
  const needed = [...new Set(config.routes.scopes.map((g) => g.scope))];
  if (jwt?.hs256Secret) {
    add(
      "  http-request set-var(txn.bearer) http_auth_bearer if !has_key",
      "  acl has_jwt var(txn.bearer) -m found",
      `  acl jwt_valid var(txn.bearer),jwt_verify("HS256",${q(jwt.hs256Secret)}) -m int 1`,
      "  http-request set-var(txn.now) date() if has_jwt",
      "  http-request set-var(txn.jwt_exp) var(txn.bearer),jwt_payload_query('$.exp','int') if has_jwt jwt_valid",
      "  http-request set-var(txn.jwt_sub) var(txn.bearer),jwt_payload_query('$.sub') if has_jwt jwt_valid",
      "  acl jwt_expired var(txn.jwt_exp),sub(txn.now) -m int le 0",
    );
    const claims: string[] = ["{ var(txn.jwt_sub) -m found }"];
    if (jwt.issuer) claims.push(`{ var(txn.bearer),jwt_payload_query('$.iss') -m str ${q(jwt.issuer)} }`);
    if (jwt.audience) claims.push(`{ var(txn.bearer),jwt_payload_query('$.aud') -m str ${q(jwt.audience)} }`);
    refuse("has_jwt !jwt_valid", 401, "invalid_jwt", "unauthorized");
    for (const c of claims) refuse(`has_jwt !${c}`, 401, "invalid_jwt", "unauthorized");
    refuse("has_jwt jwt_expired", 401, "expired_jwt", "unauthorized");
    add("  http-request set-var(txn.principal) var(txn.jwt_sub),regsub(^,jwt:) if has_jwt");
    if (needed.length > 0)
      add(
        "  http-request set-var(txn.jwt_scope) var(txn.bearer),jwt_payload_query('$.scope') if has_jwt",
        "  http-request set-var(txn.jwt_scopes) var(txn.bearer),jwt_payload_query('$.scopes') if has_jwt",
      );
  }
  // Reached only with no credential or a valid one (the refusals above answered the rest).
  add("  acl credential_ok var(txn.principal) -m found");
  refuse("route_protected !route_public !credential_ok", 401, "missing_credentials", "unauthorized");

  // Scopes: the first route group a protected path is in names the scope its credential must carry
  // (an API key's `scopes`, a JWT's `scope` string or `scopes` array). Known at render time, so each
  // scope is an ACL of its own: the keys that carry it, and a word match in the token's claims.
  for (const [i, group] of config.routes.scopes.entries()) add(...routeAcl(`scope_group_${i}`, group.routes));
  needed.forEach((scope, j) => {
    const keys = config.auth.apiKeys.filter((k) => k.scopes?.includes(scope)).map((k) => `key:${k.name}`);
    const word = scope.replace(/[.+*?^${}()|[\]\\]/g, "\\$&");
    add(
      `  acl has_scope_${j} var(txn.principal) -m str ${keys.length > 0 ? keys.map(q).join(" ") : '""'}`,
      ...(jwt?.hs256Secret
        ? [
            `  acl has_scope_${j} var(txn.jwt_scope) -m reg '(^| )${word}( |$)'`,
            `  acl has_scope_${j} var(txn.jwt_scopes) -m reg '"${word}"'`,
          ]
        : []),
    );
  });
  config.routes.scopes.forEach((group, i) => {
    const earlier = Array.from({ length: i }, (_, k) => `!scope_group_${k}`).join(" ");
    const cond = `route_protected !route_public scope_group_${i} ${earlier} !has_scope_${needed.indexOf(group.scope)}`;
    refuse(cond.replace(/ +/g, " "), 403, "missing_scope", "forbidden");
  });

  refuse(
    `{ req.hdr_val(content-length) gt ${limits.bodyLength} }`,
    413,
    "body_too_large",
    `request body is larger than ${limits.bodyLength} bytes`,
  );

  // Whose quota: the credential's principal, else the IP (IPv6 per prefix).
  const limitsMap = join(runDir, "limits.map");
  add(
    `  http-request set-var(txn.client) src,ipmask(32,${rateLimit.ipv6PrefixLength}),regsub(^,ip:)`,
    "  http-request set-var(txn.client) var(txn.principal) if credential_ok",
    `  http-request set-var(txn.limit) var(txn.client),map_str_int(${limitsMap},${capacity})`,
  );

  // Message submits: a JSON body with a nonce is a plain submit; anything else asks for remote PoW
  // (binary bodies included: charged as PoW, the costlier side, since HAProxy cannot read their nonce).
  add(
    "  acl is_msg_post method POST",
    "  acl is_submit path,lower -m str /api/v1/messages",
    "  http-request wait-for-body time 2s if is_msg_post is_submit",
    '  acl has_nonce req.body -m reg \'"nonce"\\s*:\\s*"[1-9]\'',
    "  http-request set-var(txn.kind) str(pow) if is_msg_post is_submit !has_nonce",
    "  http-request set-var(txn.kind) str(submit) if is_msg_post is_submit has_nonce",
    "  acl kind_pow var(txn.kind) -m str pow",
    "  acl kind_submit var(txn.kind) -m str submit",
    // sc2 counts what a client holds at once: the streams tracking its entry are its requests in flight.
    "  http-request track-sc2 var(txn.client) table st_pow if kind_pow",
    "  http-request track-sc2 var(txn.client) table st_ws if is_ws",
  );
  refuse(
    `kind_pow { sc_trackers(2) gt ${rateLimit.maxPowSubmitsPerClient} }`,
    429,
    "pow_concurrency",
    "too many remote-PoW submits in flight from this client",
    "1",
  );
  refuse(
    `is_ws { sc_trackers(2) gt ${limits.maxWebSocketsPerClient} }`,
    429,
    "websocket_limit",
    "too many open WebSockets from this client",
    "5",
  );

  add(
    "  http-request track-sc0 var(txn.client) table st_rate",
    `  http-request set-var(txn.r_submit) sc_gpc_rate(1,0),mul(${rateLimit.submitCost})`,
    `  http-request set-var(txn.r_pow) sc_gpc_rate(2,0),mul(${rateLimit.powSubmitCost})`,
    "  http-request set-var(txn.used) sc_gpc_rate(0,0),add(txn.r_submit),add(txn.r_pow)",
    "  http-request set-var(txn.cost) int(1)",
    `  http-request set-var(txn.cost) int(${rateLimit.submitCost}) if kind_submit`,
    `  http-request set-var(txn.cost) int(${rateLimit.powSubmitCost}) if kind_pow`,
    "  http-request set-var(txn.over) var(txn.used),add(txn.cost),sub(txn.limit)",
  );
  refuse("{ var(txn.over) -m int gt 0 }", 429, "rate_limited", "too many requests", String(windowS));
  // The node engine's RateLimit headers (draft-ietf-httpapi-ratelimit-headers): quota, what is left.
  add(
    `  http-after-response set-header RateLimit-Policy "\\"default\\";q=%[var(txn.limit)];w=${windowS}" if { var(txn.limit) -m found }`,
    `  http-after-response set-header RateLimit "\\"default\\";r=%[var(txn.over),neg];t=${windowS}" if { var(txn.over) -m int le 0 }`,
    `  http-after-response set-header RateLimit "\\"default\\";r=0;t=${windowS}" if { var(txn.over) -m int gt 0 }`,
  );
  add(
    "  http-request sc-inc-gpc(0,0) unless kind_submit or kind_pow",
    "  http-request sc-inc-gpc(1,0) if kind_submit",
    "  http-request sc-inc-gpc(2,0) if kind_pow",
  );

  // Forwarding headers: the client's own are dropped, ours name the client as we see it.
  add(
    "  http-request del-header forwarded",
    "  http-request del-header x-forwarded-host",
    "  http-request set-header X-Forwarded-For %[src]",
    "  http-request set-header X-Real-IP %[src]",
    `  http-request set-header X-Forwarded-Proto ${tls ? "https" : "http"}`,
    // Retries after a failed attempt: reads and message submits only (a submit is idempotent by id).
    "  http-request disable-l7-retry unless METH_GET or is_msg_post is_submit",
    "  http-response del-header server",
    "  http-response del-header x-powered-by",
    "  http-after-response set-header X-Content-Type-Options nosniff",
  );
  if (tls && tls.hstsMaxAge > 0)
    add(`  http-after-response set-header Strict-Transport-Security "max-age=${tls.hstsMaxAge}"`);
  if (config.upgradeUpstreams) add("  use_backend websockets if is_ws");
  add("  default_backend nodes", "");

  const { health } = config;
  add(
    "backend nodes",
    // Weighted round robin with the agents' weights: each node's share follows its spare capacity.
    // (leastconn ignores weights while every node has no request open, which is most of the time.)
    "  balance roundrobin",
    "  option httpchk GET /health",
    "  http-check expect status 200",
    `  default-server inter ${ms(health.intervalMs)} fall ${health.maxFailures} rise 1 weight 100`,
    "  retries 2",
    "  option redispatch 1",
    // 404 too: a message looked up just after its submit may not have reached this node by gossip yet.
    "  retry-on conn-failure empty-response 404 502 503",
  );
  for (const u of config.upstreams) {
    const spec = typeof u === "string" ? { url: u } : u;
    let agent = "";
    if ("agentCheck" in spec && spec.agentCheck) {
      const a = splitHostPort(spec.agentCheck);
      agent = ` agent-check agent-addr ${a.host} agent-port ${a.port} agent-inter ${ms(health.intervalMs)}`;
    }
    add(serverLine(spec.url, ` check${agent}`));
  }
  if (config.upgradeUpstreams) {
    // Where /mqtt WebSockets go when they are not the nodes' own: the one with the fewest open tunnels.
    add("", "backend websockets", "  balance leastconn", "  retries 1", "  option redispatch 1");
    for (const u of config.upgradeUpstreams) {
      add(serverLine(u));
    }
  }
  add(
    "",
    "frontend admin",
    `  bind ${config.adminBindAddress}`,
    "  no log",
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request return status 404",
    "",
  );

  const keys = config.auth.apiKeys;
  // Raw HTTP answers, as errorfile wants them; the headers every answer carries included.
  const errorHeaders = [
    "content-type: application/json",
    "x-content-type-options: nosniff",
    ...(tls && tls.hstsMaxAge > 0 ? [`strict-transport-security: max-age=${tls.hstsMaxAge}`] : []),
    "cache-control: no-cache",
    "connection: close",
  ];
  const errorFiles = Object.fromEntries(
    HAPROXY_ERRORS.map(([status, reason, message]) => {
      const body = errorJson(status, message);
      const head = [
        `HTTP/1.1 ${status} ${reason}`,
        ...errorHeaders,
        `content-length: ${Buffer.byteLength(body)}`,
      ];
      return [`error-${status}.http`, `${head.join("\r\n")}\r\n\r\n${body}`];
    }),
  );
  return {
    ...errorFiles,
    "haproxy.cfg": lines.join("\n"),
    "keys.map": keys.map((k) => `${k.sha256} key:${k.name}\n`).join(""),
    "limits.map": keys
      .map((k) => `key:${k.name} ${Math.floor(rateLimit.capacity * (k.rateMultiplier ?? 1))}\n`)
      .join(""),
  };
}
