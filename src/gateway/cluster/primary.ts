import cluster, { type Worker } from "node:cluster";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { AggregatorRegistry, Counter, Registry } from "prom-client";
import { splitHostPort } from "../../config/common.ts";
import type { GatewayConfig } from "../../config/gateway.ts";
import { listenOn } from "../../util/listen.ts";
import { RestartBackoff } from "../../util/restart-backoff.ts";
import { ClientSlots } from "../client-slots.ts";
import { KernelBan } from "../kernel-ban/kernel-ban.ts";
import { createMemoryRateLimiter } from "../rate-limit.ts";
import {
  isStingerMessage,
  type PrimaryAnswer,
  type PrimaryMessage,
  type TableName,
  type WorkerCall,
  type WorkerMessage,
} from "./protocol.ts";

const METRICS_TIMEOUT_MS = 2000;
const STOP_TIMEOUT_MS = 10_000;

interface Slot {
  worker: Worker;
  index: number;
  startedAt: number;
  /** slots this worker holds: table → key → count, given back if it dies */
  held: Map<TableName, Map<string, number>>;
}

/**
 * `gateway.workers` > 1: this process forks the workers (node:cluster, the kernel spreading accepts
 * over them: SCHED_NONE), holds every limit they count in (per-client connection, PoW and WebSocket
 * caps, token buckets unless Redis holds them, the kernel ban), serves the summed /metrics on the
 * admin address, forwards SIGHUP, and restarts a worker that dies, with back-off. It serves no
 * client itself.
 */
export class GatewayPrimary {
  private readonly slots = new Map<number, Slot>();
  private readonly tables: Record<TableName, ClientSlots> = {
    connections: new ClientSlots(),
    powSubmits: new ClientSlots(),
    webSockets: new ClientSlots(),
  };
  private readonly limiter;
  private readonly registry = new Registry();
  private readonly refusals;
  private readonly restarts: Counter;
  private readonly ticketKeys = randomBytes(48).toString("base64");
  private readonly admin: Server;
  private readonly metricsWaiting = new Map<number, { want: number; got: object[][]; done: () => void }>();
  private nextMetricsId = 1;
  private readonly backoff = new RestartBackoff();
  private stopping = false;
  private readyWaiters = new Map<number, { resolve: (url: string) => void; reject: (e: Error) => void }>();

  constructor(
    private config: GatewayConfig,
    private readonly log: Logger,
  ) {
    this.limiter = config.rateLimit.redis ? undefined : createMemoryRateLimiter(config.rateLimit);
    this.refusals = KernelBan.forConfig(config, log, this.registry);
    this.restarts = new Counter({
      name: "stinger_gateway_worker_restarts_total",
      help: "Gateway workers started again after they died",
      registers: [this.registry],
    });
    this.admin = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      void this.metricsText().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (err) => res.writeHead(503).end(String(err)),
      );
    });
  }

  async start(): Promise<{ url: string; adminUrl: string }> {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.on("message", (worker, message) => {
      if (isStingerMessage(message)) this.onMessage(worker, message as WorkerMessage);
    });
    cluster.on("exit", (worker, code, signal) => this.onExit(worker, code, signal));
    let urls: string[];
    try {
      urls = await Promise.all(Array.from({ length: this.config.workers }, (_, i) => this.fork(i)));
      this.pinPort(urls[0]!);
    } catch (err) {
      await this.close();
      throw err;
    }
    const adminUrl = `http://${await listenOn(this.admin, this.config.adminBindAddress)}/metrics`;
    return { url: urls[0]!, adminUrl };
  }

  /** SIGHUP: every worker reloads its certificate. */
  reloadTls(): void {
    for (const { worker } of this.slots.values()) worker.process.kill("SIGHUP");
  }

  async close(): Promise<void> {
    this.stopping = true;
    const exits = [...this.slots.values()].map(
      ({ worker }) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          const timer = setTimeout(() => worker.process.kill("SIGKILL"), STOP_TIMEOUT_MS);
          worker.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          worker.process.kill("SIGTERM");
        }),
    );
    await Promise.all(exits);
    if (this.admin.listening) await new Promise<void>((r) => this.admin.close(() => r()));
    this.refusals.close();
    await this.limiter?.close();
  }

  private fork(index: number): Promise<string> {
    const worker = cluster.fork({ STINGER_GATEWAY_WORKER: String(index) });
    this.slots.set(worker.id, { worker, index, startedAt: Date.now(), held: new Map() });
    return new Promise((resolve, reject) => this.readyWaiters.set(worker.id, { resolve, reject }));
  }

  private send(worker: Worker, message: PrimaryMessage): void {
    if (worker.isConnected()) worker.send(message);
  }

  private onMessage(worker: Worker, message: WorkerMessage): void {
    const slot = this.slots.get(worker.id);
    if (!slot) return;
    switch (message.stg) {
      case "hello":
        this.send(worker, {
          stg: "start",
          config: this.workerConfig(),
          ticketKeys: this.ticketKeys,
          worker: slot.index,
        });
        return;
      case "ready":
        this.readyWaiters.get(worker.id)?.resolve(message.url);
        this.readyWaiters.delete(worker.id);
        this.log.info({ worker: slot.index, pid: worker.process.pid }, "gateway worker ready");
        return;
      case "failed":
        this.readyWaiters.get(worker.id)?.reject(new Error(message.error));
        this.readyWaiters.delete(worker.id);
        return;
      case "metrics": {
        const waiting = this.metricsWaiting.get(message.id);
        if (!waiting) return;
        waiting.got.push(message.metrics);
        if (waiting.got.length === waiting.want) waiting.done();
        return;
      }
      case "calls":
        void this.answer(worker, slot, message.calls);
    }
  }

  /** Answers a worker's batch in order; one message back for the lot. */
  private async answer(worker: Worker, slot: Slot, calls: WorkerCall[]): Promise<void> {
    const answers: PrimaryAnswer[] = [];
    const decisions: Promise<void>[] = [];
    for (const call of calls) {
      switch (call.op) {
        case "take":
          if (!this.limiter) continue;
          decisions.push(
            this.limiter
              .take(call.key, call.cost, call.multiplier)
              .then((decision) => void answers.push({ id: call.id, decision })),
          );
          break;
        case "slot": {
          const granted = this.tables[call.table].tryTake(call.key, call.max);
          if (granted) countHeld(slot, call.table, call.key, 1);
          answers.push({ id: call.id, granted });
          break;
        }
        case "release":
          if (countHeld(slot, call.table, call.key, -1)) this.tables[call.table].release(call.key);
          break;
        case "refused":
          this.refusals.refused(call.ip, call.reason);
      }
    }
    await Promise.all(decisions);
    if (answers.length > 0) this.send(worker, { stg: "answers", answers });
  }

  /**
   * What a worker runs: this config with the total connection cap split between the workers, so
   * together they never hold more than `limits.maxConnections`.
   */
  private workerConfig(): GatewayConfig {
    const { limits, workers } = this.config;
    const maxConnections = Math.max(1, Math.floor(limits.maxConnections / workers));
    return { ...this.config, limits: { ...limits, maxConnections } };
  }

  /**
   * Port 0 is chosen when the first workers listen (cluster gives them one socket for the same
   * address); a worker started later must listen on that port, not on a new random one.
   */
  private pinPort(url: string): void {
    if (splitHostPort(this.config.bindAddress).port !== 0) return;
    const u = new URL(url);
    this.config = { ...this.config, bindAddress: `${u.hostname}:${u.port}` };
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slots.get(worker.id);
    if (!slot) return;
    this.slots.delete(worker.id);
    // What the dead worker's clients held is free again: their sockets died with it.
    for (const [table, keys] of slot.held)
      for (const [key, n] of keys) for (let i = 0; i < n; i++) this.tables[table].release(key);
    const waiter = this.readyWaiters.get(worker.id);
    if (waiter) {
      this.readyWaiters.delete(worker.id);
      waiter.reject(new Error(`gateway worker ${slot.index} exited (${signal ?? code}) before it was ready`));
      return;
    }
    if (this.stopping) return;
    const delay = this.backoff.next(Date.now() - slot.startedAt);
    this.log.error(
      { worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay },
      "gateway worker died; restarting it",
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.restarts.inc();
      this.fork(slot.index).catch((err: Error) =>
        this.log.error({ worker: slot.index, err: err.message }, "gateway worker restart failed"),
      );
    }, delay).unref();
  }

  /** Every worker's registry and this process's, summed as prom-client's cluster support does. */
  private async metricsText(): Promise<string> {
    const live = [...this.slots.values()].filter((s) => s.worker.isConnected());
    const id = this.nextMetricsId++;
    const got: object[][] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, METRICS_TIMEOUT_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.metricsWaiting.set(id, { want: live.length, got, done });
      if (live.length === 0) done();
      for (const s of live) this.send(s.worker, { stg: "metrics", id });
    });
    this.metricsWaiting.delete(id);
    const own = await this.registry.getMetricsAsJSON();
    // biome-ignore lint/suspicious/noExplicitAny: prom-client types aggregate()'s input loosely
    return AggregatorRegistry.aggregate([...got, own] as any).metrics();
  }
}

/** Adds `delta` to what `slot` holds of `key`; false when a release finds nothing held. */
function countHeld(slot: Slot, table: TableName, key: string, delta: 1 | -1): boolean {
  let keys = slot.held.get(table);
  if (!keys) slot.held.set(table, (keys = new Map()));
  const n = (keys.get(key) ?? 0) + delta;
  if (n < 0) return false;
  if (n === 0) keys.delete(key);
  else keys.set(key, n);
  return true;
}
