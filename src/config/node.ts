import { z } from "zod";
import { hostPort, isPrivateAddress, loggerSchema, splitHostPort } from "./common.ts";

const hex32 = z.string().regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters");
const duration = z.union([z.string(), z.number().nonnegative()]);

// Defaults are Hornet 1.2's, except where stinger is safer by default (loopback bind).
export const DEFAULT_PUBLIC_ROUTES = [
  "/health",
  "/mqtt",
  "/api/routes",
  "/api/v1/info",
  "/api/v1/tips",
  "/api/v1/messages*",
  "/api/v1/transactions*",
  "/api/v1/milestones*",
  "/api/v1/outputs*",
  "^/api/v1/addresses/(ed25519/)?[^/]+(/outputs)?$",
  "/api/v1/treasury",
  "/api/v1/receipts*",
  // the local snapshot files, for nodes joining from this one (snapshots.downloadURLs)
  "/api/plugins/snapshots/*",
];
export const DEFAULT_PROTECTED_ROUTES = ["/api/v1/*", "/api/plugins/*"];

const snapshotURL = z
  .string()
  .url()
  .refine((u) => {
    const { protocol, hostname } = new URL(u);
    if (protocol === "https:") return true;
    const loopback =
      hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
    return protocol === "http:" && loopback;
  }, "must be https (plain http only on loopback)");

export const nodeConfigSchema = z
  .object({
    node: z
      .object({ alias: z.string().max(64).default("stinger") })
      .strict()
      .prefault({}),
    db: z
      .object({ path: z.string().min(1).default("db") })
      .strict()
      .prefault({}),
    protocol: z
      .object({
        networkID: z.string().min(1).default("private_tangle1"),
        bech32HRP: z
          .string()
          .regex(/^[a-z]{1,83}$/, "must be lower-case letters")
          .default("atoi"),
        minPoWScore: z.number().min(0).default(4000),
        milestonePublicKeyCount: z.number().int().min(1).max(255).default(2),
        publicKeyRanges: z
          .array(
            z
              .object({
                key: hex32,
                start: z.number().int().min(0).default(0),
                end: z.number().int().min(0).default(0),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    restAPI: z
      .object({
        bindAddress: hostPort.default("127.0.0.1:14265"),
        jwtAuth: z
          .object({ salt: z.string().min(1).default("HORNET") })
          .strict()
          .prefault({}),
        publicRoutes: z.array(z.string()).default(DEFAULT_PUBLIC_ROUTES),
        protectedRoutes: z.array(z.string()).default(DEFAULT_PROTECTED_ROUTES),
        /** Reverse proxies (IPs/CIDRs) whose X-Forwarded-For names the client, e.g. stinger gateway. */
        trustedProxies: z
          .array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, "must be an IP address or CIDR"))
          .default([]),
        /**
         * HAProxy's agent-check (`up N%`, `drain`, `down`: the node's spare capacity) on this address;
         * off unless set, and only on a loopback or private address (it tells anyone how busy the node is).
         */
        agentCheck: z
          .object({
            bindAddress: hostPort
              .refine((b) => isPrivateAddress(splitHostPort(b).host), {
                message: "must be a loopback or private address (the agent port must not be public)",
              })
              .optional(),
          })
          .strict()
          .prefault({}),
        powEnabled: z.boolean().default(false),
        powWorkerCount: z.number().int().min(1).max(256).optional(),
        pow: z
          .object({
            refreshTipsInterval: duration.default("5s"),
            maxQueue: z.number().int().min(0).default(32),
            timeout: duration.default("2m"),
            maxJobsPerClient: z.number().int().min(1).max(1000).default(2),
          })
          .strict()
          .prefault({}),
        limits: z
          .object({
            bodyLength: z.union([z.string(), z.number().int().positive()]).default("1M"),
            /** after a 413, keep reading (and discarding) the client's body this long, so it reads the answer */
            lingerTimeout: duration.default("5s"),
            /** ... and at most this many bytes of it */
            lingerBytes: z.union([z.string(), z.number().int().nonnegative()]).default("16M"),
            maxResults: z.number().int().min(1).max(100_000).default(1000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    tipsel: z
      .object({
        maxDeltaMsgYoungestConeRootIndexToCMI: z.number().int().min(0).default(8),
        maxDeltaMsgOldestConeRootIndexToCMI: z.number().int().min(0).default(13),
        belowMaxDepth: z.number().int().min(0).default(15),
        nonLazy: z
          .object({
            retentionRulesTipsLimit: z.number().int().min(1).default(100),
            maxReferencedTipAge: duration.default("3s"),
            maxChildren: z.number().int().min(1).default(30),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    coordinator: z
      .object({
        enabled: z.boolean().default(false),
        stateFilePath: z.string().default("coordinator.state"),
        keyFilePath: z.string().default("coordinator.keys"),
        interval: duration.default("10s"),
        bootstrap: z.boolean().default(true),
        powWorkerCount: z.number().int().min(1).max(256).optional(),
      })
      .strict()
      .prefault({}),
    p2p: z
      .object({
        enabled: z.boolean().default(true),
        bindMultiAddresses: z
          .array(z.string().regex(/^\/ip[46]\/[^/]+\/tcp\/\d+$/, "must be like /ip4/0.0.0.0/tcp/15600"))
          .default(["/ip4/0.0.0.0/tcp/15600"]),
        peers: z
          .array(
            z
              .object({
                multiAddress: z
                  .string()
                  .regex(/\/p2p\/[1-9A-HJ-NP-Za-km-z]{46,60}$/, "must end in /p2p/<peerId>"),
                alias: z.string().max(64).optional(),
              })
              .strict(),
          )
          .default([]),
        maxConnections: z.number().int().min(1).max(1000).default(10),
        reconnectInterval: duration.default("30s"),
        heartbeatInterval: duration.default("5s"),
      })
      .strict()
      .prefault({}),
    faucet: z
      .object({
        /** run Hornet's faucet plugin (its key: FAUCET_PRV_KEY, seed || public key in hex) */
        enabled: z.boolean().default(false),
        /** what one request gets */
        amount: z.number().int().positive().default(10_000_000),
        /** what it gets when the address already holds `amount` or more */
        smallAmount: z.number().int().positive().default(1_000_000),
        /** no more for an address holding this much */
        maxAddressBalance: z.number().int().positive().default(20_000_000),
        /** outputs per faucet transaction (requests plus the faucet's remainder), at most 127 */
        maxOutputCount: z.number().int().min(2).max(127).default(127),
        indexationMessage: z.string().min(1).max(64).default("STINGER FAUCET"),
        /** how long requests are collected into one transaction */
        batchTimeout: duration.default("2s"),
        /** PoW workers when the node's remote PoW is off (0 = cores - 1) */
        powWorkerCount: z.number().int().min(0).max(256).default(0),
      })
      .strict()
      .prefault({}),
    mqtt: z
      .object({
        /** the TIP-16 event API: WebSocket at /mqtt on the REST port, and TCP on bindAddress */
        enabled: z.boolean().default(true),
        /** TCP listener; loopback by default ("" = WebSocket only) */
        bindAddress: z.union([hostPort, z.literal("")]).default("127.0.0.1:1883"),
        maxConnections: z.number().int().min(1).max(100_000).default(1000),
        maxSubscriptionsPerClient: z.number().int().min(1).max(100_000).default(1000),
        /** unsent bytes a client may have before it is dropped as too slow */
        maxClientBuffer: z.union([z.string(), z.number().int().positive()]).default("4M"),
        /** Hornet's: empty topic entries kept before they are cleaned up */
        topicCleanupThreshold: z.number().int().min(1).default(10_000),
      })
      .strict()
      .prefault({}),
    snapshots: z
      .object({
        /** the full snapshot a node with an empty database starts from (the genesis, or a local snapshot) */
        fullPath: z.string().default("snapshots/full_snapshot.bin"),
        /** the delta snapshot on top of the full one: read at start when present, written between full ones */
        deltaPath: z.string().default("snapshots/delta_snapshot.bin"),
        /** a delta snapshot this big (percent of the full one) makes the next snapshot full; 0: always delta */
        deltaSizeThresholdPercentage: z.number().min(0).max(100).default(50),
        /** milestones between local snapshots (written to fullPath or deltaPath, replacing it atomically) */
        interval: z
          .object({
            synced: z.number().int().min(1).default(50),
            unsynced: z.number().int().min(1).default(1000),
          })
          .strict()
          .prefault({}),
        /** a snapshot's solid entry points are this many milestones below the confirmed one */
        depth: z.number().int().min(0).default(50),
        /** where a node with an empty database and no fullPath file downloads its snapshot */
        downloadURLs: z
          .array(
            z
              .object({
                full: snapshotURL,
                delta: snapshotURL.optional(),
                /** SHA-256 of the full snapshot file, hex */
                sha256: hex32.optional(),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    pruning: z
      .object({
        milestones: z
          .object({
            /** keep only the last maxMilestonesToKeep milestones' messages and ledger history */
            enabled: z.boolean().default(false),
            maxMilestonesToKeep: z.number().int().min(1).default(60480),
          })
          .strict()
          .prefault({}),
        size: z
          .object({
            /** prune when the data the database holds exceeds targetSize */
            enabled: z.boolean().default(true),
            targetSize: z.union([z.string(), z.number().int().positive()]).default("30GB"),
            /** the share of the kept milestones pruned each time the target is exceeded */
            thresholdPercentage: z.number().gt(0).max(100).default(10),
            /** the least time between two size-triggered prunes */
            cooldownTime: duration.default("5m"),
          })
          .strict()
          .prefault({}),
        /** also remove the receipts of pruned milestones */
        pruneReceipts: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    prometheus: z
      .object({
        enabled: z.boolean().default(true),
        bindAddress: hostPort.default("127.0.0.1:9311"),
      })
      .strict()
      .prefault({}),
    dashboard: z
      .object({
        /** off unless auth is configured (the devnet configures it) */
        enabled: z.boolean().default(false),
        bindAddress: hostPort.default("127.0.0.1:8081"),
        auth: z
          .object({
            /** how long a login lasts (Hornet's key): "72h", "30m" */
            sessionTimeout: duration.default("72h"),
            username: z.string().min(1).max(64).default("admin"),
            /** scrypt key and salt, hex, as `stinger pwd-hash` (or Hornet's `tool pwd-hash`) prints them */
            passwordHash: z
              .string()
              .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (stinger pwd-hash)")
              .optional(),
            passwordSalt: z
              .string()
              .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hex characters (stinger pwd-hash)")
              .optional(),
          })
          .strict()
          .prefault({}),
        /** failed logins one client address may make per minute before it gets 429 */
        loginAttemptsPerMinute: z.number().int().min(1).max(1000).default(5),
        /** the gateway's metrics URL (adminBindAddress /metrics): the dashboard shows its view too */
        gateway: z.object({ adminURL: z.string().url().optional() }).strict().prefault({}),
        /** `stinger audit --json` output the security pane shows (and "run now" rewrites) */
        auditReportPath: z.string().default("audit/report.json"),
      })
      .strict()
      .prefault({}),
    logger: loggerSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.dashboard.enabled && (!c.dashboard.auth.passwordHash || !c.dashboard.auth.passwordSalt))
      ctx.addIssue({
        code: "custom",
        path: ["dashboard", "auth", "passwordHash"],
        message: "the dashboard needs dashboard.auth.passwordHash and passwordSalt (stinger pwd-hash)",
      });
    // A kept message may attach to any milestone cone up to belowMaxDepth back: those must stay.
    if (c.pruning.milestones.enabled && c.pruning.milestones.maxMilestonesToKeep < c.tipsel.belowMaxDepth)
      ctx.addIssue({
        code: "custom",
        path: ["pruning", "milestones", "maxMilestonesToKeep"],
        message: `must be at least tipsel.belowMaxDepth (${c.tipsel.belowMaxDepth})`,
      });
  });

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;
