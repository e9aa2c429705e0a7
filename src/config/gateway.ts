import { z } from "zod";
import { hostPort, loggerSchema } from "./common.ts";
import { DEFAULT_PROTECTED_ROUTES, DEFAULT_PUBLIC_ROUTES } from "./node.ts";

/** The longest kernel ban (a week): longer bans are what fail2ban's bantime.increment is for. */
export const MAX_BAN_SECONDS = 604_800;

/** Refusals that are the client's doing (abuse or probing); a sick node or a busy pool is not. */
export const DEFAULT_BAN_REASONS = [
  "rate_limited",
  "connection_limit",
  "websocket_limit",
  "pow_concurrency",
  "request_timeout",
  "headers_too_large",
  "bad_request",
  "body_too_large",
  "unknown_route",
  "ip_denied",
  "missing_credentials",
  "invalid_api_key",
  "invalid_jwt",
  "expired_jwt",
  "missing_scope",
] as const;

export const gatewayConfigSchema = z
  .object({
    bindAddress: hostPort.default("127.0.0.1:8080"),
    adminBindAddress: hostPort.default("127.0.0.1:9312"),
    /**
     * Processes serving clients (node:cluster; the kernel spreads accepted connections over them).
     * With more than one, a primary process holds every limit they count in, so caps and token
     * buckets stay exact across workers, and serves the summed metrics.
     */
    workers: z.number().int().min(1).max(64).default(1),
    /**
     * Nodes: a URL, or {url, token} where token is the node's API JWT (`stinger jwt`), used only to read
     * its protected load report (/api/plugins/stinger/load) for PoW-aware balancing.
     */
    upstreams: z
      .array(
        z.union([
          z.string().url("must be a URL such as http://127.0.0.1:14265"),
          z
            .object({
              url: z.string().url("must be a URL such as http://127.0.0.1:14265"),
              token: z.string().min(1).optional(),
              /** the node's restAPI.agentCheck.bindAddress: its spare capacity for HAProxy's weights */
              agentCheck: hostPort.optional(),
            })
            .strict(),
        ]),
      )
      .min(1, "at least one node is needed"),
    /**
     * Where WebSocket upgrades (/mqtt) go; default: the upstreams (each node serves MQTT at /mqtt).
     * Plain http:// upstreams (loopback or a private network), as for the REST upstreams.
     */
    upgradeUpstreams: z.array(z.string().url("must be a URL such as http://127.0.0.1:1888")).optional(),
    /** TLS termination (TLS 1.2+); certificate and key are reloaded when the files change or on SIGHUP. */
    tls: z
      .object({
        certFile: z.string().min(1),
        keyFile: z.string().min(1),
        reloadCheckMs: z.number().int().positive().default(1000),
        /** Mozilla's "intermediate" (TLS 1.2 ECDHE+AEAD and 1.3) or "modern" (1.3 only) */
        profile: z.enum(["intermediate", "modern"]).default("intermediate"),
        /** Strict-Transport-Security max-age in seconds (Mozilla: two years); 0 = no header */
        hstsMaxAge: z.number().int().min(0).default(63_072_000),
      })
      .strict()
      .optional(),
    trustedProxies: z.array(z.string()).default([]),
    ipFilter: z
      .object({ allow: z.array(z.string()).default([]), deny: z.array(z.string()).default([]) })
      .strict()
      .prefault({}),
    routes: z
      .object({
        // The node's public list plus its faucet (a node without one answers 403 there).
        public: z.array(z.string()).default([...DEFAULT_PUBLIC_ROUTES, "/api/plugins/faucet/*"]),
        protected: z.array(z.string()).default(DEFAULT_PROTECTED_ROUTES),
        /**
         * Scopes a credential must carry for groups of protected routes (first matching group wins);
         * protected routes in no group need any valid credential.
         */
        scopes: z
          .array(z.object({ routes: z.array(z.string()).min(1), scope: z.string().min(1) }).strict())
          .default([]),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        apiKeys: z
          .array(
            z
              .object({
                name: z.string().min(1),
                sha256: z
                  .string()
                  .regex(
                    /^[0-9a-f]{64}$/,
                    "must be the hex SHA-256 of the key (stinger gateway --hash-key KEY)",
                  ),
                rateMultiplier: z.number().positive().optional(),
                scopes: z.array(z.string()).optional(),
              })
              .strict(),
          )
          .default([]),
        jwt: z
          .object({
            hs256Secret: z.string().min(32, "must be at least 32 characters").optional(),
            eddsaPublicKeyPem: z.string().optional(),
            issuer: z.string().optional(),
            audience: z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        capacity: z.number().positive().default(200),
        refillPerSecond: z.number().positive().default(100),
        /** cost of a submit that asks the node for remote PoW */
        powSubmitCost: z.number().positive().default(50),
        submitCost: z.number().positive().default(5),
        /** remote-PoW submits one client may have in flight through this gateway; more get 429 */
        maxPowSubmitsPerClient: z.number().int().positive().default(2),
        /** anonymous IPv6 clients share one bucket per prefix of this length (one /64 = one site) */
        ipv6PrefixLength: z.number().int().min(1).max(128).default(64),
        /** share buckets between gateway instances through one Redis server */
        redis: z
          .object({
            url: z.string().regex(/^rediss?:\/\//, "must be a redis:// URL"),
            failMode: z.enum(["open", "closed"]).default("open"),
            keyPrefix: z.string().default("stinger:rl:"),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        bodyLength: z.number().int().positive().default(1_048_576),
        /** after a 413, keep reading (and discarding) the client's body this long, so it reads the answer */
        lingerTimeoutMs: z.number().int().positive().default(5000),
        /** ... and at most this many bytes of it */
        lingerBytes: z.number().int().nonnegative().default(16_777_216),
        headersTimeoutMs: z.number().int().positive().default(10_000),
        /** the whole request (headers and body) must arrive within this: a slow body is cut off (408) */
        requestTimeoutMs: z.number().int().positive().default(20_000),
        /** how long a node may take to answer (remote PoW can take minutes) */
        upstreamTimeoutMs: z.number().int().positive().default(130_000),
        /** an idle keep-alive connection is closed after this */
        keepAliveTimeoutMs: z.number().int().positive().default(5000),
        /** open connections per client address (IPv6 per rateLimit.ipv6PrefixLength prefix) */
        maxConnectionsPerClient: z.number().int().positive().default(64),
        /** open connections in all, kept well below the process's file descriptor limit */
        maxConnections: z.number().int().positive().default(8192),
        /** addresses/CIDRs never capped per client (the trusted proxies are exempt too) */
        connectionExempt: z.array(z.string()).default([]),
        /** open WebSockets (/mqtt) per client (API key/JWT principal, else IP / IPv6 prefix) */
        maxWebSocketsPerClient: z.number().int().positive().default(8),
      })
      .strict()
      .prefault({}),
    /**
     * Repeat offenders into the kernel: a client refused `threshold` times (for the `reasons` below)
     * within `windowSeconds` is put into the nftables set `stinger harden` writes, through the
     * privileged `stinger ban-helper` on `helperSocket`, and its packets are dropped for `banSeconds`.
     * Trusted proxies, limits.connectionExempt and ipFilter.allow are never banned.
     */
    kernelBan: z
      .object({
        enabled: z.boolean().default(false),
        helperSocket: z.string().min(1).default("/run/stinger/ban.sock"),
        threshold: z.number().int().min(1).default(100),
        windowSeconds: z.number().positive().default(10),
        banSeconds: z.number().int().min(1).max(MAX_BAN_SECONDS).default(600),
        reasons: z
          .array(z.string().min(1))
          .min(1)
          .default([...DEFAULT_BAN_REASONS]),
      })
      .strict()
      .prefault({}),
    health: z
      .object({
        intervalMs: z.number().int().positive().default(2000),
        /** consecutive proxy failures that eject a node until its next good health check */
        maxFailures: z.number().int().positive().default(3),
        /** milestones a node may lag behind the best one and still take traffic */
        maxMilestoneLag: z.number().int().min(0).default(2),
      })
      .strict()
      .prefault({}),
    /** for `--engine haproxy` only */
    haproxy: z
      .object({
        /** the haproxy executable (Debian's haproxy 2.6) */
        binary: z.string().min(1).default("haproxy"),
        /** where the rendered haproxy.cfg, maps and certificate go (0700); default: a fresh temporary folder */
        runDir: z.string().min(1).optional(),
        /**
         * Several HAProxy gateways share their stick tables (rate limits, connection counts) through
         * HAProxy's peers protocol: every instance lists all of them, and names itself in `local`.
         */
        peers: z
          .object({
            local: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
            members: z
              .array(
                z
                  .object({
                    name: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, . _ - only"),
                    address: hostPort,
                  })
                  .strict(),
              )
              .min(2, "peers need at least two members"),
          })
          .strict()
          .refine((p) => p.members.some((m) => m.name === p.local), {
            message: "local must be one of the members' names",
          })
          .optional(),
      })
      .strict()
      .prefault({}),
    logger: loggerSchema,
  })
  .strict();

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
