import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { gatewayConfigSchema } from "../../config/gateway.ts";
import { parseConfig } from "../../config/load.ts";
import { type NodeConfigInput, nodeConfigSchema } from "../../config/node.ts";
import { ensureDevCertificate } from "../../gateway/dev-cert.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { HaproxySupervisor } from "../../gateway/haproxy/supervisor.ts";
import { issueApiToken } from "../../node/api/jwt.ts";
import { loadOrCreateKeyFile } from "../../node/coordinator/keys.ts";
import { hashPassword } from "../../node/dashboard-auth.ts";
import { StingerNode } from "../../node/node.ts";
import { writeGenesisSnapshot } from "../../node/snapshot/genesis.ts";
import { encodeAddress } from "../../protocol/bech32.ts";
import { ed25519PublicKey, generateEd25519Seed } from "../../protocol/ed25519.ts";
import { toHex } from "../../protocol/hex.ts";
import { deriveBip44Seed, ed25519AddressOfSeed } from "../../protocol/slip10.ts";
import { freeLoopbackPort } from "../../util/free-port.ts";
import { createLogger } from "../../util/logger.ts";
import { fail, parseIntOption, parseNumberOption, UsageError } from "../errors.ts";
import { addLogFormatOption, chosenLogFormat } from "../log-format.ts";
import { runUntilSignal } from "../run.ts";

export const DEVNET_DEFAULTS = {
  dataDir: "devnet",
  apiPort: 14265,
  dashboardPort: 8081,
  metricsPort: 9311,
  minPoWScore: 10,
  milestoneInterval: 5,
  gossipPort: 15600,
  nodes: 2,
  gatewayPort: 8443,
  gatewayMetricsPort: 9310,
  agentCheckPort: 14290,
  mqttPort: 1883,
  network: "private_tangle1",
  coordinatorKeys: 2,
  /** one day of 5 s milestones: a laptop devnet's database stays bounded */
  keepMilestones: 17_280,
};

/** tipsel.belowMaxDepth's default: a keep window below it would prune cones new messages attach to. */
const MIN_KEEP_MILESTONES = 15;

interface DevnetOptions {
  dataDir: string;
  apiPort: number;
  metricsPort: number;
  minPowScore: number;
  milestoneInterval: number;
  powWorkers?: number;
  logLevel: string;
  logFormat?: string;
  dashboardPort: number;
  nodes: number;
  gossipPort: number;
  gateway: boolean;
  gatewayPort: number;
  gatewayMetricsPort: number;
  gatewayEngine: string;
  agentCheckPort: number;
  mqttPort: number;
  keepMilestones: number;
}

/**
 * The devnet's wallet seed (32 bytes, hex, 0600), made on first start. The whole supply is minted to its
 * first address (BIP44 m/44'/4218'/0'/0'/0', as iota.js derives it) and the faucet spends from there.
 */
function loadOrCreateDevnetSeed(file: string): Uint8Array {
  if (!existsSync(file))
    writeFileSync(file, `${toHex(generateEd25519Seed())}\n`, { mode: 0o600, flag: "wx" });
  const hex = readFileSync(file, "utf8").trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${file}: not a 32-byte hex seed`);
  return Buffer.from(hex, "hex");
}

/** The dashboard's admin password: made on first start (0600), read on every later one. */
function loadOrCreateDashboardPassword(file: string): string {
  if (!existsSync(file))
    writeFileSync(file, `${randomBytes(18).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  const password = readFileSync(file, "utf8").trim();
  if (password.length < 8) throw new Error(`${file}: the dashboard password is shorter than 8 characters`);
  return password;
}

interface GatewayUrls {
  url: string;
  adminUrl: string;
  ca: string;
}

/**
 * What a person starting the devnet needs, in one short block after the stable "stinger devnet ..."
 * lines: where to point a client, where the metrics and data are. The lines above it stay as they
 * are: scripts and tests read them.
 */
function readinessSummary(r: {
  nodes: StingerNode[];
  gateway: GatewayUrls | undefined;
  dataDir: string;
  faucetAddress: string;
  logLevel: string;
  dashboardPasswordFile: string;
}): string {
  const row = (name: string, value: string) => `  ${name.padEnd(10)} ${value}\n`;
  const wss = r.gateway ? `${r.gateway.url.replace(/^https/, "wss")}/mqtt` : undefined;
  let out = `\nstinger devnet is up: ${r.nodes.length} node(s)${r.gateway ? " behind the gateway" : ""}\n`;
  if (r.gateway) out += row("gateway", `${r.gateway.url}  (clients: NODE_EXTRA_CA_CERTS=${r.gateway.ca})`);
  r.nodes.forEach((n, i) => {
    out += row(i === 0 ? "API" : "", `${n.apiUrl}  (node ${i}${i === 0 ? ", coordinator and faucet" : ""})`);
  });
  out += row("MQTT", [wss, ...r.nodes.map((n) => n.mqtt?.tcpUrl)].filter(Boolean).join(", "));
  out += row(
    "metrics",
    [...r.nodes.map((n) => n.metricsUrl), r.gateway?.adminUrl].filter(Boolean).join(", "),
  );
  out += row("faucet", r.faucetAddress);
  out += row("data", r.dataDir);
  out += row("status", `stinger status${r.nodes.map((n) => ` --node ${n.apiUrl}`).join("")}`);
  if (r.logLevel !== "debug" && r.logLevel !== "trace")
    out += "  (logs on stderr; every milestone is logged at --log-level debug)\n";
  return out;
}

export function registerDevnet(program: Command): void {
  const cmd = program
    .command("devnet")
    .description(
      "run a private network on loopback: peered nodes with remote PoW (node 0 runs the coordinator) behind an HTTPS gateway (what `npm start` runs)",
    )
    .option(
      "--data-dir <dir>",
      "where keys, database and coordinator state live (reused on restart)",
      DEVNET_DEFAULTS.dataDir,
    )
    .option(
      "--api-port <port>",
      "REST API port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--api-port", 0, 65535),
      DEVNET_DEFAULTS.apiPort,
    )
    .option(
      "--metrics-port <port>",
      "Prometheus port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--metrics-port", 0, 65535),
      DEVNET_DEFAULTS.metricsPort,
    )
    .option(
      "--min-pow-score <score>",
      "minimum PoW score of messages",
      parseNumberOption("--min-pow-score", 0),
      DEVNET_DEFAULTS.minPoWScore,
    )
    .option(
      "--milestone-interval <seconds>",
      "seconds between milestones",
      parseNumberOption("--milestone-interval", 0.1),
      DEVNET_DEFAULTS.milestoneInterval,
    )
    .option(
      "--pow-workers <n>",
      "remote PoW worker threads (default: cores - 1)",
      parseIntOption("--pow-workers", 1, 256),
    )
    .option(
      "--log-level <level>",
      "log level (info: what changes; debug adds every milestone issued and confirmed)",
      "info",
    )
    .option(
      "--nodes <n>",
      "number of peered nodes (node i: API port + i, data in DIR/node<i> for i > 0)",
      parseIntOption("--nodes", 1, 16),
      DEVNET_DEFAULTS.nodes,
    )
    .option(
      "--gossip-port <port>",
      "first gossip port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--gossip-port", 0, 65535),
      DEVNET_DEFAULTS.gossipPort,
    )
    .option(
      "--gateway-port <port>",
      "HTTPS gateway port on 127.0.0.1 in front of all nodes (0 = any free port)",
      parseIntOption("--gateway-port", 0, 65535),
      DEVNET_DEFAULTS.gatewayPort,
    )
    .option(
      "--gateway-metrics-port <port>",
      "the gateway's Prometheus port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--gateway-metrics-port", 0, 65535),
      DEVNET_DEFAULTS.gatewayMetricsPort,
    )
    .option("--gateway-engine <engine>", "the gateway's data plane: node or haproxy", "node")
    .option(
      "--agent-check-port <port>",
      "first HAProxy agent-check port on 127.0.0.1 (node i: port + i; 0 = any free port)",
      parseIntOption("--agent-check-port", 0, 65535),
      DEVNET_DEFAULTS.agentCheckPort,
    )
    .option(
      "--mqtt-port <port>",
      "first MQTT (TCP) port on 127.0.0.1 (node i: port + i; 0 = any free port); WebSocket is /mqtt on the API port",
      parseIntOption("--mqtt-port", 0, 65535),
      DEVNET_DEFAULTS.mqttPort,
    )
    .option(
      "--keep-milestones <n>",
      `milestones every node keeps before pruning (pruning.milestones.maxMilestonesToKeep; at least ${MIN_KEEP_MILESTONES})`,
      parseIntOption("--keep-milestones", MIN_KEEP_MILESTONES, 100_000_000),
      DEVNET_DEFAULTS.keepMilestones,
    )
    .option(
      "--dashboard-port <port>",
      "node 0's dashboard on 127.0.0.1 (0 = any free port); user admin, password in DIR/dashboard.password",
      parseIntOption("--dashboard-port", 0, 65535),
      DEVNET_DEFAULTS.dashboardPort,
    )
    .option("--no-gateway", "run the nodes only, without the gateway in front");
  addLogFormatOption(cmd).action(async (opts: DevnetOptions) => {
    try {
      if (opts.gatewayEngine !== "node" && opts.gatewayEngine !== "haproxy")
        throw new UsageError(`--gateway-engine: must be node or haproxy, got "${opts.gatewayEngine}"`);
      const dataDir = resolve(opts.dataDir);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const seeds = loadOrCreateKeyFile(join(dataDir, "coordinator.keys"), DEVNET_DEFAULTS.coordinatorKeys);
      const log = createLogger({ level: opts.logLevel, format: chosenLogFormat(opts.logFormat) });
      const seedFile = join(dataDir, "devnet.seed");
      const faucetSeed = deriveBip44Seed(loadOrCreateDevnetSeed(seedFile), 0, false, 0);
      const faucetAddress = encodeAddress("atoi", ed25519AddressOfSeed(faucetSeed));
      const passwordFile = join(dataDir, "dashboard.password");
      const dashboardHash = hashPassword(loadOrCreateDashboardPassword(passwordFile));
      const genesisFile = join(dataDir, "snapshots", "full_snapshot.bin");
      if (!existsSync(genesisFile)) {
        mkdirSync(dirname(genesisFile), { recursive: true });
        await writeGenesisSnapshot({
          path: genesisFile,
          networkName: DEVNET_DEFAULTS.network,
          mintAddress: ed25519AddressOfSeed(faucetSeed),
        });
      }
      const port = (base: number, i: number) => (base === 0 ? 0 : base + i);
      const nodes: StingerNode[] = [];
      for (let i = 0; i < opts.nodes; i++) {
        const input: NodeConfigInput = {
          node: { alias: `devnet-${i}` },
          protocol: {
            networkID: DEVNET_DEFAULTS.network,
            bech32HRP: "atoi",
            minPoWScore: opts.minPowScore,
            milestonePublicKeyCount: seeds.length,
            publicKeyRanges: seeds.map((s) => ({ key: toHex(ed25519PublicKey(s)), start: 0, end: 0 })),
          },
          restAPI: {
            bindAddress: `127.0.0.1:${port(opts.apiPort, i)}`,
            powEnabled: true,
            powWorkerCount: opts.powWorkers,
            // Each node's spare capacity, for the HAProxy engine's server weights.
            agentCheck: { bindAddress: `127.0.0.1:${port(opts.agentCheckPort, i)}` },
            // The devnet's gateway runs on loopback and names each client in X-Forwarded-For.
            trustedProxies: opts.gateway ? ["127.0.0.1"] : [],
          },
          // Node 0 issues the milestones and runs the faucet; the others learn them by gossip.
          coordinator: { enabled: i === 0, interval: opts.milestoneInterval * 1000 },
          faucet: { enabled: i === 0 },
          // Node 0 replaces the genesis with its local snapshots; each other node has its own file.
          snapshots: {
            fullPath: i === 0 ? genesisFile : join(dataDir, `node${i}`, "snapshots", "full_snapshot.bin"),
          },
          pruning: { milestones: { enabled: true, maxMilestonesToKeep: opts.keepMilestones } },
          p2p: {
            bindMultiAddresses: [`/ip4/127.0.0.1/tcp/${port(opts.gossipPort, i)}`],
            reconnectInterval: "5s",
            heartbeatInterval: "1s",
          },
          prometheus: { bindAddress: `127.0.0.1:${port(opts.metricsPort, i)}` },
          // Node 0 serves the dashboard (the others are the same network seen from elsewhere).
          dashboard:
            i === 0
              ? {
                  enabled: true,
                  bindAddress: `127.0.0.1:${opts.dashboardPort}`,
                  auth: { username: "admin", ...dashboardHash },
                  auditReportPath: join(dataDir, "audit", "report.json"),
                }
              : {},
          mqtt: { bindAddress: `127.0.0.1:${port(opts.mqttPort, i)}` },
          logger: { level: opts.logLevel as "info" },
        };
        const config = parseConfig(nodeConfigSchema, input, "devnet");
        const baseDir = i === 0 ? dataDir : join(dataDir, `node${i}`);
        mkdirSync(baseDir, { recursive: true, mode: 0o700 });
        // A node new to this DIR starts from node 0's latest snapshots (the genesis until it has one):
        // the full one first, so a delta node 0 writes meanwhile still follows it (or is left out).
        const ownSnapshot = resolve(baseDir, config.snapshots.fullPath);
        if (i > 0 && !existsSync(join(baseDir, config.db.path)) && !existsSync(ownSnapshot)) {
          mkdirSync(dirname(ownSnapshot), { recursive: true });
          copyFileSync(genesisFile, ownSnapshot);
          const delta = resolve(dataDir, nodes[0]!.config.snapshots.deltaPath);
          const ownDelta = resolve(baseDir, config.snapshots.deltaPath);
          rmSync(ownDelta, { force: true });
          try {
            copyFileSync(delta, ownDelta);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
          }
        }
        const env = i === 0 ? { FAUCET_PRV_KEY: toHex(faucetSeed) } : {};
        const node = new StingerNode(config, { baseDir, log: log.child({ node: i }), env });
        nodes.push(node);
        await node.start();
      }
      // Full mesh: every node knows every other one (ports are only known once they listen).
      for (const a of nodes) {
        for (const b of nodes)
          if (a !== b) a.gossip!.addPeer(b.gossip!.listenAddresses()[0]!, `devnet-${nodes.indexOf(b)}`);
      }
      // The gateway comes up before the ready line: whoever waits for it can use it at once.
      let gateway: Gateway | HaproxySupervisor | undefined;
      let gatewayLine = "";
      let gatewayUrls: GatewayUrls | undefined;
      if (opts.gateway) {
        const cert = ensureDevCertificate(join(dataDir, "gateway"));
        const upstreams = await Promise.all(
          nodes.map(async (n) => ({
            url: n.apiUrl,
            // Lets the gateway read each node's protected load report (PoW queue, busy workers).
            token: await issueApiToken(n.identity, n.config.restAPI.jwtAuth.salt),
            agentCheck: n.agentCheckAddress,
          })),
        );
        const haproxy = opts.gatewayEngine === "haproxy";
        // HAProxy binds fixed ports: "any free port" is chosen here for it.
        const fixed = async (p: number) => (haproxy && p === 0 ? await freeLoopbackPort() : p);
        const input = {
          bindAddress: `127.0.0.1:${await fixed(opts.gatewayPort)}`,
          adminBindAddress: `127.0.0.1:${await fixed(opts.gatewayMetricsPort)}`,
          upstreams,
          tls: { certFile: cert.certFile, keyFile: cert.keyFile },
          health: { intervalMs: 1000 },
          logger: { level: opts.logLevel },
        };
        const config = parseConfig(gatewayConfigSchema, input, "devnet gateway");
        if (haproxy) {
          // The supervisor reloads from a file; it holds the nodes' tokens, so 0600.
          const file = join(dataDir, "gateway", "gateway.json");
          writeFileSync(file, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o600 });
          gateway = new HaproxySupervisor(
            config,
            file,
            log.child({ component: "gateway", engine: "haproxy" }),
          );
        } else gateway = new Gateway(config, log.child({ component: "gateway" }));
        const { url, adminUrl } = await gateway.start();
        gatewayUrls = { url, adminUrl, ca: cert.caFile };
        nodes[0]!.setDashboardGateway(adminUrl);
        gatewayLine =
          `stinger devnet gateway: ${url} in front of ${nodes.length} node(s) (CA ${cert.caFile}, admin ${adminUrl}); ` +
          `use it with NODE_EXTRA_CA_CERTS=${cert.caFile} or curl --cacert ${cert.caFile}\n`;
      }
      const first = nodes[0]!;
      process.stdout.write(
        `stinger devnet ready: API ${first.apiUrl} (metrics ${first.metricsUrl}, gossip ${first.gossip!.listenAddresses()[0]}, mqtt ${first.mqtt?.tcpUrl}, network ${DEVNET_DEFAULTS.network}, ` +
          `minPoWScore ${opts.minPowScore}, milestone every ${opts.milestoneInterval}s, data ${dataDir}, ` +
          `seed ${seedFile}, faucet ${faucetAddress})\n`,
      );
      for (let i = 1; i < nodes.length; i++) {
        process.stdout.write(
          `stinger devnet node ${i}: API ${nodes[i]!.apiUrl} (metrics ${nodes[i]!.metricsUrl}, mqtt ${nodes[i]!.mqtt?.tcpUrl})\n`,
        );
      }
      if (gatewayLine) process.stdout.write(gatewayLine);
      process.stdout.write(
        `stinger devnet dashboard: ${first.dashboardUrl} (user admin, password in ${passwordFile})\n`,
      );
      process.stdout.write(
        readinessSummary({
          nodes,
          gateway: gatewayUrls,
          dataDir,
          faucetAddress,
          logLevel: opts.logLevel,
          dashboardPasswordFile: passwordFile,
        }),
      );
      const g = gateway;
      // The gateway stops first so no request reaches a node that is closing.
      runUntilSignal(
        g
          ? [
              {
                close: async () => {
                  await g.close();
                  await Promise.all(nodes.map((n) => n.close()));
                },
              },
            ]
          : nodes,
        log,
      );
    } catch (err) {
      fail(err);
    }
  });
}
