import { existsSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import Fastify from "fastify";
import type { Logger } from "pino";
import { joinHostPort, splitHostPort } from "../config/common.ts";
import type { NodeConfig } from "../config/node.ts";
import { toHex } from "../protocol/hex.ts";
import { networkIdFromName } from "../protocol/message.ts";
import { StingerError } from "../util/errors.ts";
import { parseDuration, parseSize } from "../util/units.ts";
import { VERSION } from "../version.ts";
import { AgentCheckServer } from "./api/agent-check.ts";
import type { ControlActions } from "./api/control-routes.ts";
import { createApiServer } from "./api/server.ts";
import type { SnapshotFiles } from "./api/snapshot-routes.ts";
import { completeAndSubmit, PowSlots } from "./api/submit.ts";
import { Coordinator } from "./coordinator/coordinator.ts";
import { loadOrCreateKeyFile, parseCooPrivateKeys } from "./coordinator/keys.ts";
import { LiveState } from "./dashboard/live.ts";
import { auditCommand, DashboardServer } from "./dashboard/server.ts";
import { DashboardSessions } from "./dashboard/session.ts";
import { Faucet } from "./faucet/faucet.ts";
import { GossipService } from "./gossip/service.ts";
import { loadOrCreateIdentity, type NodeIdentity } from "./identity/identity.ts";
import { Ledger } from "./ledger/ledger.ts";
import { createNodeMetrics, type NodeMetrics } from "./metrics.ts";
import { MqttBroker } from "./mqtt/broker.ts";
import { EventPublisher } from "./mqtt/publisher.ts";
import { PowPool } from "./pow/pool.ts";
import { Pruner } from "./pruning/pruner.ts";
import { PruningSchedule } from "./pruning/schedule.ts";
import { downloadSnapshot } from "./snapshot/download.ts";
import { importSnapshots } from "./snapshot/import.ts";
import { SnapshotSchedule } from "./snapshot/schedule.ts";
import { readSnapshotHeader, removeStaleSnapshotTemps } from "./snapshot/snapshot-file.ts";
import { Store } from "./store/store.ts";
import { TangleEvents } from "./tangle/events.ts";
import { RateMeter } from "./tangle/rates.ts";
import { Tangle } from "./tangle/tangle.ts";

export { VERSION };

export interface DatabaseSize {
  /** the data file's size */
  file: number;
  /** bytes in use: tangle + ledger */
  used: number;
  tangle: number;
  ledger: number;
}

/** The built dashboard page (scripts/build-dashboard.mjs), from src/ or dist/ alike. */
const DASHBOARD_ASSETS = fileURLToPath(new URL("../../dist/dashboard/", import.meta.url));

/** A snapshot download larger than this is refused (a mainnet full snapshot was some hundred MB). */
const MAX_SNAPSHOT_DOWNLOAD_BYTES = 4 * 1024 ** 3;

export interface NodeRuntimeOptions {
  /** Directory that relative paths in the config are resolved against. */
  baseDir: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** the config file, for what the node runs about itself (the dashboard's host audit) */
  configFile?: string;
}

function urlOf(app: FastifyInstance): string {
  const addr = app.server.address();
  if (!addr || typeof addr === "string") return String(addr);
  return `http://${joinHostPort(addr.address, addr.port)}`;
}

/** Builds and runs a node: modules are wired here in dependency order and closed in reverse. */
export class StingerNode {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly events = new TangleEvents();
  readonly tangle: Tangle;
  readonly identity: NodeIdentity;
  readonly metrics: NodeMetrics;
  readonly pow: PowPool | null;
  readonly pruner: Pruner;
  private readonly pruning: PruningSchedule;
  readonly snapshots: SnapshotSchedule;
  /** snapshots.fullPath and deltaPath, resolved against the config's folder */
  private readonly snapshotFiles: SnapshotFiles;
  private offConfirmed: (() => void) | undefined;
  readonly coordinator: Coordinator | null = null;
  readonly faucet: Faucet | null = null;
  readonly mqtt: MqttBroker | null = null;
  private readonly faucetPow: PowPool | null = null;
  readonly gossip: GossipService | null = null;
  private readonly cooPow: PowPool | null = null;
  private api: FastifyInstance | null = null;
  private rates: RateMeter | null = null;
  private metricsServer: FastifyInstance | null = null;
  apiUrl = "";
  metricsUrl = "";
  /** the dashboard's URL, when dashboard.enabled */
  dashboardUrl = "";
  private dashboard: DashboardServer | undefined;
  private live: LiveState | undefined;
  /** host:port of the agent-check, when restAPI.agentCheck.bindAddress is set */
  agentCheckAddress = "";
  private agentCheck: AgentCheckServer | undefined;

  constructor(
    readonly config: NodeConfig,
    private readonly runtime: NodeRuntimeOptions,
  ) {
    const at = (p: string) => resolve(runtime.baseDir, p);
    const log = runtime.log;
    this.identity = loadOrCreateIdentity(at(join("p2pstore", "identity.key")));
    this.store = new Store(at(config.db.path), { log: log.child({ module: "store" }) });
    this.metrics = createNodeMetrics(undefined, this.store);
    this.ledger = new Ledger(this.store.root);
    const { protocol, tipsel } = config;
    const networkId = networkIdFromName(protocol.networkID);
    this.snapshotFiles = { full: at(config.snapshots.fullPath), delta: at(config.snapshots.deltaPath) };
    this.tangle = new Tangle(
      this.store,
      this.ledger,
      {
        networkId,
        minPoWScore: protocol.minPoWScore,
        keyRanges: protocol.publicKeyRanges.map((r) => ({
          key: Buffer.from(r.key, "hex"),
          start: r.start,
          end: r.end,
        })),
        milestonePublicKeyCount: protocol.milestonePublicKeyCount,
        maxDeltaYoungest: tipsel.maxDeltaMsgYoungestConeRootIndexToCMI,
        maxDeltaOldest: tipsel.maxDeltaMsgOldestConeRootIndexToCMI,
        belowMaxDepth: tipsel.belowMaxDepth,
        maxTips: tipsel.nonLazy.retentionRulesTipsLimit,
        maxChildren: tipsel.nonLazy.maxChildren,
        maxReferencedTipAgeMs: parseDuration(tipsel.nonLazy.maxReferencedTipAge),
        requiresPeers: config.p2p.peers.length > 0,
      },
      this.events,
      log.child({ module: "tangle" }),
      this.metrics,
    );
    this.snapshots = new SnapshotSchedule(
      this.store,
      this.ledger,
      this.tangle,
      {
        fullPath: this.snapshotFiles.full,
        deltaPath: this.snapshotFiles.delta,
        networkId,
        intervalSynced: config.snapshots.interval.synced,
        intervalUnsynced: config.snapshots.interval.unsynced,
        depth: config.snapshots.depth,
        deltaSizeThresholdPercentage: config.snapshots.deltaSizeThresholdPercentage,
        belowMaxDepth: tipsel.belowMaxDepth,
      },
      log.child({ module: "snapshot" }),
    );
    this.pruner = new Pruner(
      this.store,
      this.ledger,
      { pruneReceipts: config.pruning.pruneReceipts },
      log.child({ module: "pruning" }),
      this.metrics,
    );
    const { milestones, size } = config.pruning;
    this.pruning = new PruningSchedule(
      this.pruner,
      {
        milestones: { enabled: milestones.enabled, keep: milestones.maxMilestonesToKeep },
        size: {
          enabled: size.enabled,
          targetBytes: parseSize(size.targetSize),
          thresholdPercentage: size.thresholdPercentage,
          cooldownMs: parseDuration(size.cooldownTime),
        },
        belowMaxDepth: tipsel.belowMaxDepth,
        ceiling: () => this.snapshots.snapshotIndex,
      },
      () => this.databaseSize().used,
      log.child({ module: "pruning" }),
    );
    if (config.p2p.enabled) {
      this.gossip = new GossipService(
        {
          networkId,
          privateKey: this.identity.marshalledPrivateKey.subarray(4),
          bindMultiAddresses: config.p2p.bindMultiAddresses,
          peers: config.p2p.peers,
          maxConnections: config.p2p.maxConnections,
          heartbeatIntervalMs: parseDuration(config.p2p.heartbeatInterval),
          reconnectMaxDelayMs: parseDuration(config.p2p.reconnectInterval),
        },
        this.tangle,
        this.store,
        this.events,
        log.child({ module: "gossip" }),
        this.metrics,
      );
    }
    const workers = config.restAPI.powWorkerCount ?? Math.max(1, cpus().length - 1);
    this.pow = config.restAPI.powEnabled
      ? new PowPool(workers, config.restAPI.pow.maxQueue, this.metrics)
      : null;
    if (config.mqtt.enabled) {
      this.mqtt = new MqttBroker(
        {
          bindAddress: config.mqtt.bindAddress,
          maxConnections: config.mqtt.maxConnections,
          maxSubscriptionsPerClient: config.mqtt.maxSubscriptionsPerClient,
          maxClientBuffer: parseSize(config.mqtt.maxClientBuffer),
          topicCleanupThreshold: config.mqtt.topicCleanupThreshold,
        },
        log.child({ module: "mqtt" }),
        this.metrics.registry,
      );
    }
    if (config.faucet.enabled) {
      const f = config.faucet;
      const key = (runtime.env ?? process.env).FAUCET_PRV_KEY;
      if (!key)
        throw new StingerError(
          "CONFIG_FAUCET_KEY",
          "faucet.enabled needs FAUCET_PRV_KEY (hex seed || public key)",
          { status: 400 },
        );
      const pow =
        this.pow ??
        (this.faucetPow = new PowPool(f.powWorkerCount || Math.max(1, cpus().length - 1), 4, null));
      const submitDeps = {
        powSlots: new PowSlots(1),
        tangle: this.tangle,
        pow,
        networkId,
        minPoWScore: protocol.minPoWScore,
        refreshTipsMs: parseDuration(config.restAPI.pow.refreshTipsInterval),
        powTimeoutMs: parseDuration(config.restAPI.pow.timeout),
      };
      const signal = new AbortController().signal;
      this.faucet = new Faucet(
        {
          seed: parseFaucetKey(key),
          bech32HRP: protocol.bech32HRP,
          networkId,
          amount: BigInt(f.amount),
          smallAmount: BigInt(f.smallAmount),
          maxAddressBalance: BigInt(f.maxAddressBalance),
          maxOutputCount: f.maxOutputCount,
          indexationMessage: f.indexationMessage,
          batchTimeoutMs: parseDuration(f.batchTimeout),
          giveUpAfterMilestones: tipsel.belowMaxDepth,
        },
        {
          ledger: this.ledger,
          tangle: this.tangle,
          events: this.events,
          issue: async (msg) =>
            (await completeAndSubmit(submitDeps, msg, { client: "faucet", disconnectSignal: () => signal }))
              .id,
          log: log.child({ module: "faucet" }),
        },
      );
    }
    if (config.coordinator.enabled) {
      const env = runtime.env ?? process.env;
      const seeds = env.COO_PRV_KEYS
        ? parseCooPrivateKeys(env.COO_PRV_KEYS)
        : loadOrCreateKeyFile(at(config.coordinator.keyFilePath), protocol.milestonePublicKeyCount);
      this.cooPow = new PowPool(config.coordinator.powWorkerCount ?? 1, 1, null);
      this.coordinator = new Coordinator(
        {
          seeds,
          stateFilePath: at(config.coordinator.stateFilePath),
          intervalMs: parseDuration(config.coordinator.interval),
          networkId,
          minPoWScore: protocol.minPoWScore,
          bootstrap: config.coordinator.bootstrap,
        },
        this.tangle,
        this.store,
        this.cooPow,
        log.child({ module: "coordinator" }),
      );
    }
  }

  /**
   * A new database starts from the full snapshot at `snapshots.fullPath` (the genesis, or a local
   * snapshot of a running node) and the delta snapshot at `snapshots.deltaPath` when there is one,
   * downloaded first from `snapshots.downloadURLs` when the full file is not there. Without one the
   * ledger starts empty, so every transaction conflicts ("input not found"), as on a node that was
   * never given the network's ledger.
   */
  private async initLedger(): Promise<void> {
    if (this.ledger.initialized) return;
    const log = this.runtime.log;
    const { protocol } = this.config;
    const { full: fullPath, delta: deltaPath } = this.snapshotFiles;
    if (!existsSync(fullPath)) await this.downloadSnapshots(fullPath, deltaPath);
    if (!existsSync(fullPath)) {
      log.warn({ path: fullPath }, "no snapshot file: the ledger starts empty and holds no tokens");
      return;
    }
    const t0 = performance.now();
    const r = await importSnapshots(fullPath, deltaPath, this.store, this.ledger, {
      networkId: networkIdFromName(protocol.networkID),
      checkMilestone: (ms) => this.tangle.verifyMilestoneSignatures(ms),
    });
    if (r.staleDelta) log.warn({ path: deltaPath }, `delta snapshot not used: ${r.staleDelta}`);
    log.info(
      { fullPath, ...r, treasury: String(r.treasury), ms: Math.round(performance.now() - t0) },
      "database initialized from the snapshot",
    );
  }

  /**
   * The first of snapshots.downloadURLs that delivers. A delta that does not follow the full snapshot
   * (the source wrote a new full one between the two downloads) is fetched again, then left out.
   */
  private async downloadSnapshots(fullPath: string, deltaPath: string): Promise<void> {
    const log = this.runtime.log;
    const limits = { maxBytes: MAX_SNAPSHOT_DOWNLOAD_BYTES, timeoutMs: 10 * 60_000 };
    for (const source of this.config.snapshots.downloadURLs) {
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          const bytes = await downloadSnapshot(source.full, fullPath, { ...limits, sha256: source.sha256 });
          log.info({ url: source.full, bytes }, "full snapshot downloaded");
        } catch (err) {
          log.warn({ err: (err as Error).message }, "snapshot download failed; trying the next URL");
          break;
        }
        // A delta left here belongs to some other full snapshot.
        rmSync(deltaPath, { force: true });
        if (!source.delta) return;
        try {
          const bytes = await downloadSnapshot(source.delta, deltaPath, limits);
          const [full, delta] = await Promise.all([
            readSnapshotHeader(fullPath),
            readSnapshotHeader(deltaPath),
          ]);
          if (delta.header.ledgerMilestoneIndex === full.header.sepMilestoneIndex) {
            log.info({ url: source.delta, bytes }, "delta snapshot downloaded");
            return;
          }
          rmSync(deltaPath, { force: true });
          log.warn(
            { url: source.delta, attempt },
            "the delta snapshot follows another full snapshot; downloading both again",
          );
        } catch (err) {
          rmSync(deltaPath, { force: true });
          log.warn(
            { err: (err as Error).message },
            "delta snapshot download failed; starting from the full one",
          );
          return;
        }
      }
      if (existsSync(fullPath)) return;
    }
  }

  /** Hornet's control routes: what may be pruned and snapshotted now. */
  private controlActions(): ControlActions {
    const bmd = this.config.tipsel.belowMaxDepth;
    return {
      indexAtDepth: (depth) => this.tangle.confirmedMilestoneIndex - depth,
      prune: async (target) => {
        const limit = this.pruning.limit(this.tangle.confirmedMilestoneIndex);
        if (target > limit)
          throw new StingerError(
            "API_BAD_REQUEST",
            `index ${target} is too high: at most ${limit} (the latest local snapshot, and ${bmd} milestones (tipsel.belowMaxDepth) below the confirmed one)`,
            { status: 400 },
          );
        if (target <= this.pruner.pruningIndex)
          throw new StingerError("API_BAD_REQUEST", `already pruned up to ${this.pruner.pruningIndex}`, {
            status: 400,
          });
        return this.pruner.pruneTo(target);
      },
      createSnapshot: async () => {
        if (!this.ledger.initialized || this.tangle.confirmedMilestoneIndex === 0)
          throw new StingerError("API_NOT_SYNCED", "no confirmed milestone to snapshot yet", { status: 503 });
        return this.snapshots.create();
      },
    };
  }

  /**
   * The database's file size and the bytes its records use (see Store.size): in all, the tangle's
   * history (what pruning bounds) and the ledger (the unspent outputs, which grow with the network).
   */
  databaseSize(): DatabaseSize {
    const tangle = this.store.size(this.store.databases());
    const ledger = this.store.size(this.ledger.databases());
    const size = {
      file: tangle.file,
      used: tangle.used + ledger.used,
      tangle: tangle.used,
      ledger: ledger.used,
    };
    for (const kind of ["file", "used", "tangle", "ledger"] as const)
      this.metrics.databaseBytes.set({ kind }, size[kind]);
    return size;
  }

  async start(): Promise<void> {
    const { config } = this;
    const log = this.runtime.log;
    for (const file of [this.snapshotFiles.full, this.snapshotFiles.delta]) {
      const removed = await removeStaleSnapshotTemps(file);
      if (removed > 0) log.warn({ file, removed }, "removed the temporary files of an interrupted snapshot");
    }
    await this.initLedger();
    await this.tangle.start();
    const onConfirmed = ({ index }: { index: number }) => {
      this.snapshots.onConfirmed(index);
      this.pruning.onConfirmed(index);
    };
    this.events.on("milestoneConfirmed", onConfirmed);
    this.offConfirmed = () => this.events.off("milestoneConfirmed", onConfirmed);
    // Resume a prune cut short by a restart.
    this.pruning.onConfirmed(this.tangle.confirmedMilestoneIndex);
    await this.gossip?.start();
    this.rates = new RateMeter(this.tangle);
    this.api = createApiServer({
      tangle: this.tangle,
      rates: this.rates,
      gossip: this.gossip,
      store: this.store,
      ledger: this.ledger,
      faucet: this.faucet,
      mqtt: this.mqtt,
      pow: this.pow,
      identity: this.identity,
      log: log.child({ module: "api" }),
      metrics: this.metrics,
      networkName: config.protocol.networkID,
      networkId: networkIdFromName(config.protocol.networkID),
      bech32HRP: config.protocol.bech32HRP,
      minPoWScore: config.protocol.minPoWScore,
      version: VERSION,
      bodyLimit: parseSize(config.restAPI.limits.bodyLength),
      linger: {
        timeoutMs: parseDuration(config.restAPI.limits.lingerTimeout),
        maxBytes: parseSize(config.restAPI.limits.lingerBytes),
      },
      maxResults: config.restAPI.limits.maxResults,
      jwtSalt: config.restAPI.jwtAuth.salt,
      publicRoutes: config.restAPI.publicRoutes,
      protectedRoutes: config.restAPI.protectedRoutes,
      refreshTipsMs: parseDuration(config.restAPI.pow.refreshTipsInterval),
      powTimeoutMs: parseDuration(config.restAPI.pow.timeout),
      powJobsPerClient: config.restAPI.pow.maxJobsPerClient,
      trustedProxies: config.restAPI.trustedProxies,
      control: this.controlActions(),
      databaseSize: () => this.databaseSize(),
      snapshotFiles: this.snapshotFiles,
    });
    if (this.mqtt) {
      await this.mqtt.start();
      new EventPublisher({
        broker: this.mqtt,
        events: this.events,
        tangle: this.tangle,
        store: this.store,
        ledger: this.ledger,
        bech32HRP: config.protocol.bech32HRP,
      }).start();
    }
    const bind = splitHostPort(config.restAPI.bindAddress);
    await this.api.listen(bind);
    this.apiUrl = urlOf(this.api);
    if (!["127.0.0.1", "::1", "localhost"].includes(bind.host)) {
      log.warn(
        { bindAddress: config.restAPI.bindAddress },
        "REST API bound beyond loopback; put the gateway in front of it",
      );
    }
    if (config.prometheus.enabled) {
      this.metricsServer = Fastify({ logger: false });
      this.metricsServer.get("/metrics", async (_req, reply) =>
        reply.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics()),
      );
      await this.metricsServer.listen(splitHostPort(config.prometheus.bindAddress));
      this.metricsUrl = `${urlOf(this.metricsServer)}/metrics`;
    }
    const agentBind = config.restAPI.agentCheck.bindAddress;
    if (agentBind) {
      this.agentCheck = new AgentCheckServer(
        () => ({
          pow: this.pow?.load() ?? null,
          synced: this.tangle.isSynced() && this.tangle.isHealthy(),
          healthy: !this.tangle.isBroken(),
        }),
        log.child({ module: "agent-check" }),
      );
      this.agentCheckAddress = await this.agentCheck.listen(agentBind);
    }
    if (config.dashboard.enabled) await this.startDashboard();
    if (this.coordinator) await this.coordinator.start();
    this.faucet?.start();
    log.info(
      {
        api: this.apiUrl,
        dashboard: this.dashboardUrl || undefined,
        metrics: this.metricsUrl || undefined,
        agentCheck: this.agentCheckAddress || undefined,
        mqtt: this.mqtt?.tcpUrl || undefined,
        peerId: this.identity.peerId,
        gossip: this.gossip?.listenAddresses(),
        networkId: config.protocol.networkID,
        lmi: this.tangle.latestMilestoneIndex,
        cmi: this.tangle.confirmedMilestoneIndex,
      },
      "node started",
    );
  }

  /** Points the dashboard's gateway pane at the gateway's metrics URL. */
  setDashboardGateway(adminUrl: string): void {
    if (this.live) this.live.gatewayAdminUrl = adminUrl;
  }

  private async startDashboard(): Promise<void> {
    const { dashboard, protocol, node } = this.config;
    const api = this.api!;
    this.live = new LiveState(
      {
        alias: node.alias,
        networkName: protocol.networkID,
        tangle: this.tangle,
        rates: () => this.rates!.rates(),
        peers: () => this.gossip?.peerList() ?? [],
        pow: () => this.pow?.load() ?? null,
        powHashes: async () => (await this.metrics.powHashes.get()).values[0]?.value ?? 0,
        database: () => this.databaseSize(),
        pruningIndex: () => this.store.pruningIndex,
        ledger: () => ({
          index: this.ledger.index,
          stateHash: this.ledger.stateHash(),
          treasury: this.ledger.treasury().amount,
        }),
        faucet: () => this.faucet?.info() ?? null,
        mqttClients: () => this.mqtt?.clientCount ?? 0,
        events: this.events,
      },
      dashboard.gateway.adminURL,
    );
    this.dashboard = new DashboardServer({
      bindAddress: dashboard.bindAddress,
      sessions: new DashboardSessions({
        username: dashboard.auth.username,
        passwordHash: dashboard.auth.passwordHash!,
        passwordSalt: dashboard.auth.passwordSalt!,
        sessionTimeoutMs: parseDuration(dashboard.auth.sessionTimeout),
        loginAttemptsPerMinute: dashboard.loginAttemptsPerMinute,
      }),
      live: this.live,
      explore: async (path) => {
        const r = await api.inject({ method: "GET", url: path });
        return { status: r.statusCode, body: r.body };
      },
      assetsDir: DASHBOARD_ASSETS,
      auditReportPath: resolve(this.runtime.baseDir, dashboard.auditReportPath),
      runAudit: auditCommand(this.runtime.configFile),
      log: this.runtime.log.child({ module: "dashboard" }),
    });
    this.dashboardUrl = await this.dashboard.start();
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
    this.live?.close();
    await this.faucet?.stop();
    await this.coordinator?.stop();
    await this.gossip?.stop();
    await this.api?.close();
    await this.agentCheck?.close();
    await this.mqtt?.close();
    this.rates?.close();
    await this.metricsServer?.close();
    await this.pow?.close();
    await this.cooPow?.close();
    await this.faucetPow?.close();
    this.offConfirmed?.();
    await this.pruner.stop();
    // Refuse what gossip or the API still hand in, and let submits under way (solidification reads
    // the store) and queued confirmations finish: only then may the store close.
    await this.tangle.close();
    await this.store.close();
  }

  describe(): Record<string, unknown> {
    return { peerId: this.identity.peerId, publicKey: toHex(this.identity.publicKey) };
  }
}

/** FAUCET_PRV_KEY as Hornet takes it: the 64-byte private key (seed || public key) or the 32-byte seed, hex. */
function parseFaucetKey(hex: string): Uint8Array {
  const clean = hex.trim().toLowerCase();
  if (!/^([0-9a-f]{64}|[0-9a-f]{128})$/.test(clean))
    throw new StingerError("CONFIG_FAUCET_KEY", "FAUCET_PRV_KEY must be 64 or 128 hex characters", {
      status: 400,
    });
  return Buffer.from(clean.slice(0, 64), "hex");
}
