// Chaos (issue 17): honest clients send value transfers, data messages and reads through the gateway to
// a three-node genesis network (node 0 runs the coordinator; the gateway shares its rate limits through
// Redis) while, one fault at a time, a part chosen at random (a node, the gateway or Redis) is killed with
// SIGKILL at a random moment and started again a random few seconds later. Afterwards the network must
// be whole (checkNetwork): every node synced, the same ledger state hash after every milestone on every
// node, the ledger verified with the total supply, every message that got a 201 on every node, every
// acknowledged transfer confirmed, and the clients saw only retriable errors, each explained by a fault:
// a connection refused or reset while the gateway was down, a 502 or a 503 (JSON error shape) while a
// part was down or just back; besides refusals by design at any time (429, 503 with Retry-After).
// test/e2e/chaos.test.ts runs a short chaos in CI, bench/chaos.ts a long one.
import { join } from "node:path";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { IndexationPayload } from "../../src/protocol/types.ts";
import { type GenesisCluster, startCluster } from "./cluster.ts";
import { type RunningGateway, removeDir, startGatewayWith, tempDir, waitFor } from "./devnet.ts";
import { type Reply, requestFrom } from "./http.ts";
import {
  getJson,
  info,
  isUp,
  LedgerModel,
  MilestoneTracker,
  type Mined,
  metadata,
  mineMessage,
  missingMessages,
  stateHashAt,
  verifyLedger,
} from "./ledger.ts";
import { isRunning, stopOwned } from "./owned.ts";
import { freePort } from "./peers.ts";
import { type RunningRedis, startRedis } from "./redis.ts";
import { wallet } from "./transactions.ts";

/** The parts a fault can hit. */
export const FAULT_TARGETS = ["node 0 (coordinator)", "node 1", "node 2", "gateway", "redis"] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];

export interface ChaosOptions {
  /** how long the load runs with faults */
  durationMs: number;
  /** mean rate of faults (each waits for the previous one's recovery) */
  faultsPerMinute: number;
  /** seeds the fault schedule: which part, when, for how long */
  seed: number;
  /** go on past durationMs until at least this many faults were injected */
  minFaults?: number;
  /** progress lines */
  log?: (line: string) => void;
}

export interface Fault {
  /** seconds since the load started */
  at: number;
  target: FaultTarget;
  /** how long it stayed down (ms) */
  downMs: number;
  /** from the restart until it served again (a node: synced and healthy) */
  recoveryMs: number;
}

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  faults: Fault[];
  /** per kind of request: answers by status ("reconnect": refused or reset, the gateway was down) */
  requests: Record<string, Record<string, number>>;
  acked: { transfers: number; data: number };
  /** transfer submits whose answer was a 502/503 or a lost connection: stored or not, found out later */
  unanswered: { transfers: number; stored: number };
  confirmedMilestone: number;
  invariants: Invariant[];
  /** every broken invariant and unexpected answer, in words; empty when the run passed */
  problems: string[];
}

const WALLETS = 8;
/** a client request that takes longer than this is a hang (a problem), not a retriable error */
const CLIENT_TIMEOUT_MS = 30_000;
/** the ledger's outputs are kept near this many: consolidations above it, splits below */
const TARGET_OUTPUTS = 40;
const INDEX = Buffer.from("stinger-chaos");
/** a refused or reset connection this long after the gateway served again is still its restart's */
const RECONNECT_GRACE_MS = 1000;
/** a 502/503 this long after a part served again is still its fault's (health checks catch up) */
const UNAVAILABLE_GRACE_MS = 5000;
/** an unanswered submit is looked for this long after its answer (a node may still be storing it) */
const SETTLE_AFTER_MS = 10_000;
/** load with no fault after the last one, before the checks */
const QUIET_LOAD_MS = 10_000;

/**
 * mulberry32, written out: a seeded generator is all the schedule needs to be replayed from its seed
 * (Math.random cannot be seeded), not worth a dependency.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Faults in rounds: each round is every target once, in a shuffled order, so a short run hits them all. */
export function faultSchedule(random: () => number): () => FaultTarget {
  let round: FaultTarget[] = [];
  return () => {
    if (round.length === 0) {
      round = [...FAULT_TARGETS];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
    }
    return round.shift()!;
  };
}

/** "node 2" -> 2 */
const nodeIndex = (target: FaultTarget) => Number(target.split(" ")[1]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A JSON error answer in the node's shape: {"error":{"code","message"}}. */
function hasErrorShape(body: string): boolean {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    return typeof e?.code === "string" && typeof e.message === "string";
  } catch {
    return false;
  }
}

/** A connection the gateway's death explains: refused while it was down, reset when it was killed. */
function isReconnect(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE";
}

export class ChaosNetwork {
  readonly dir = tempDir("stinger-chaos-");
  cluster!: GenesisCluster;
  gateway: RunningGateway | undefined;
  redis: RunningRedis | undefined;
  model!: LedgerModel;
  tracker: MilestoneTracker | undefined;
  private gatewayUrl = "";
  private redisPort = 0;
  private gatewayConfig: Record<string, unknown> = {};

  private stopping = false;
  private readonly load: Promise<void>[] = [];
  private readonly requests = new Map<string, Map<string, number>>();
  /** what the clients saw that they should not have */
  private readonly clientProblems: string[] = [];
  private seed = 0;
  /** message IDs answered 201, by kind */
  private readonly ackedTransfers: string[] = [];
  private readonly ackedData: { id: string; at: number }[] = [];
  /** transfers whose submit got no definite answer and that are not settled yet: ID -> when (ms) */
  private readonly unanswered = new Map<string, number>();
  private unansweredTotal = 0;
  private unansweredStored = 0;
  /** when each part was down, until it served again (performance.now() ms; `to` unset while down) */
  private readonly windows: { target: FaultTarget; from: number; to?: number }[] = [];
  private running: Promise<void> | undefined;
  private loadSeconds = 0;
  readonly faults: Fault[] = [];
  private t0 = 0;

  async start(): Promise<void> {
    this.redisPort = await freePort();
    this.redis = await startRedis(this.redisPort);
    this.cluster = await startCluster(3, {
      genesis: true,
      milestoneInterval: "1s",
      // The gateway names each client in X-Forwarded-For.
      restAPI: { trustedProxies: ["127.0.0.1"] },
    });
    // Fixed ports: a restarted gateway must come back where the clients know it.
    const [port, admin] = [await freePort(), await freePort()];
    this.gatewayConfig = {
      bindAddress: `127.0.0.1:${port}`,
      adminBindAddress: `127.0.0.1:${admin}`,
      upstreams: this.cluster.nodes.map((n) => ({ url: n.url, token: n.token })),
      rateLimit: { redis: { url: this.redis.url, failMode: "open" } },
      health: { intervalMs: 500 },
      logger: { level: "warn" },
    };
    this.gateway = await this.startGateway();
    this.gatewayUrl = this.gateway.url;
    const wallets = [
      this.cluster.mint,
      ...Array.from({ length: WALLETS - 1 }, () => wallet(generateEd25519Seed())),
    ];
    this.model = new LedgerModel(wallets, this.cluster.mint, TOTAL_SUPPLY);
    await waitFor(
      async () =>
        (await Promise.all(this.cluster.nodes.map(info))).every((i) => i.confirmedMilestoneIndex >= 1),
      60_000,
      "every node at milestone 1",
    );
    this.tracker = new MilestoneTracker(this.cluster, this.model);
  }

  /** The gateway on its fixed ports (the same config each time), once it answers /health. */
  private startGateway(): Promise<RunningGateway> {
    return startGatewayWith(join(this.dir, "gateway.json"), this.gatewayConfig, {
      logFile: join(this.dir, "gateway.log"),
    });
  }

  private closed: Promise<void> | undefined;

  /** Stops the load and every process, and removes the data (once, however often called). */
  stop(): Promise<void> {
    this.closed ??= this.close();
    return this.closed;
  }

  private async close(): Promise<void> {
    this.stopping = true;
    this.model?.wake();
    await this.running?.catch(() => {});
    await Promise.all(this.load);
    await this.tracker?.stop();
    await this.gateway?.stop();
    await this.cluster?.stop();
    await this.redis?.stop();
    removeDir(this.dir);
  }

  // ------------------------------------------------------------------------------------------------
  // Clients

  private count(kind: string, status: string): void {
    const m = this.requests.get(kind) ?? new Map<string, number>();
    m.set(status, (m.get(status) ?? 0) + 1);
    this.requests.set(kind, m);
  }

  /** True when a fault (of `target`, or any) was under way at some moment of [from, to], or had ended at most `graceMs` before it. */
  private duringFault(from: number, to: number, graceMs: number, target?: FaultTarget): boolean {
    return this.windows.some(
      (w) =>
        (target === undefined || w.target === target) && w.from <= to && (w.to ?? Infinity) + graceMs >= from,
    );
  }

  /**
   * One request through the gateway from `localAddress`, judged as an honest client would: 2xx is an
   * answer; 429 and a 503 with Retry-After are refusals by design (the client waits as told); a 502 or
   * another 503 must carry the JSON error shape and come while a part is down or just back; a refused
   * or reset connection must come while the gateway is down. Anything else (another status unless
   * `expected` allows it, a hang, an unexplained error) is a problem. Returns the reply; "refused" when
   * the request certainly never reached the gateway; "retry" for any other retriable failure.
   */
  private async call(
    kind: string,
    localAddress: string,
    path: string,
    post?: { body: string | Uint8Array; type: string },
    expected: number[] = [],
  ): Promise<Reply | "refused" | "retry"> {
    const what = `${kind}: ${post ? "POST" : "GET"} ${path.slice(0, 100)}`;
    const started = performance.now();
    let r: Reply;
    try {
      r = await requestFrom(this.gatewayUrl, path, {
        localAddress,
        method: post ? "POST" : "GET",
        body: post?.body,
        headers: post ? { "content-type": post.type } : {},
        timeoutMs: CLIENT_TIMEOUT_MS,
      });
    } catch (err) {
      if (!isReconnect(err)) {
        this.count(kind, "error");
        this.clientProblems.push(`${what}: ${String(err)}`);
        return "retry";
      }
      this.count(kind, "reconnect");
      if (!this.duringFault(started, performance.now(), RECONNECT_GRACE_MS, "gateway"))
        this.clientProblems.push(`${what}: ${String(err)} while the gateway was up`);
      await sleep(200);
      return (err as { code?: string }).code === "ECONNREFUSED" ? "refused" : "retry";
    }
    this.count(kind, String(r.status));
    const retryAfter = Number(r.headers["retry-after"]);
    if (r.status === 429 || (r.status === 503 && retryAfter > 0)) {
      if (!hasErrorShape(r.body))
        this.clientProblems.push(`${what}: ${r.status} without the JSON error shape`);
      await sleep(Math.min(5, retryAfter || 1) * 1000);
      return "retry";
    }
    if (r.status === 502 || r.status === 503) {
      if (!hasErrorShape(r.body))
        this.clientProblems.push(`${what}: ${r.status} without the JSON error shape`);
      if (!this.duringFault(started, performance.now(), UNAVAILABLE_GRACE_MS))
        this.clientProblems.push(`${what}: ${r.status} with every part up: ${r.body.slice(0, 200)}`);
      await sleep(500);
      return "retry";
    }
    if ((r.status < 200 || r.status > 299) && !expected.includes(r.status))
      this.clientProblems.push(`${what} -> ${r.status} ${r.body.slice(0, 300)}`);
    return r;
  }

  private async tips(kind: string, localAddress: string): Promise<string[] | undefined> {
    const r = await this.call(`${kind}: tips`, localAddress, "/api/v1/tips");
    if (typeof r === "string" || r.status !== 200) return undefined;
    return (JSON.parse(r.body) as { data: { tipMessageIds: string[] } }).data.tipMessageIds;
  }

  /** A value transfer: splits an output (a third to another wallet, the rest back) or merges two. */
  private async transfer(localAddress: string): Promise<void> {
    const model = this.model;
    if (model.sent.size >= 16) {
      await Promise.race([model.changed(), sleep(1000)]);
      return;
    }
    const inputs = model.take(model.unspent.size > TARGET_OUTPUTS ? 2 : 1);
    if (inputs.length === 0) {
      await Promise.race([model.changed(), sleep(1000)]);
      return;
    }
    const pays = model.payments(inputs, inputs.length === 1);
    let mined: Mined;
    try {
      const parents = await this.tips("transfer", localAddress);
      if (!parents) {
        model.release(inputs);
        return;
      }
      const { tx, transactionId, outputs } = model.build(inputs, pays);
      mined = mineMessage(parents, tx);
      model.send({ messageId: mined.id, transactionId, inputs, outputs, node: -1 });
    } catch (err) {
      model.release(inputs); // nothing was posted: the coins are free again
      throw err;
    }
    const r = await this.call("transfer: submit", localAddress, "/api/v1/messages", {
      body: mined.bytes,
      type: "application/octet-stream",
    });
    if (r === "retry") {
      // Stored by some node or not: found out later (settleUnanswered). It may be confirmed already.
      const sent = model.sent.get(mined.id);
      if (sent) sent.state = "cut";
      this.unanswered.set(mined.id, performance.now());
      this.unansweredTotal++;
    } else if (r === "refused" || r.status !== 201) model.forget(mined.id);
    else this.ackedTransfers.push(mined.id);
  }

  /** A data message: mined here and posted as bytes, or posted as JSON for the node's remote PoW. */
  private async dataMessage(localAddress: string, seq: number): Promise<void> {
    const payload: IndexationPayload = {
      type: 2,
      index: INDEX,
      data: Buffer.from(`chaos ${seq} ${Date.now()}`),
    };
    let r: Reply | "refused" | "retry";
    let id: string | undefined;
    if (seq % 2 === 0) {
      const parents = await this.tips("data", localAddress);
      if (!parents) return;
      const mined = mineMessage(parents, payload);
      id = mined.id;
      r = await this.call("data: submit bytes", localAddress, "/api/v1/messages", {
        body: mined.bytes,
        type: "application/octet-stream",
      });
    } else {
      const body = JSON.stringify({
        payload: { type: 2, index: INDEX.toString("hex"), data: Buffer.from(payload.data).toString("hex") },
      });
      r = await this.call("data: submit JSON, remote PoW", localAddress, "/api/v1/messages", {
        body,
        type: "application/json",
      });
    }
    if (typeof r === "string" || r.status !== 201) return;
    const answered = (JSON.parse(r.body) as { data: { messageId: string } }).data.messageId;
    if (id && answered !== id) this.clientProblems.push(`data: 201 named ${answered} for ${id}`);
    this.ackedData.push({ id: answered, at: Date.now() });
  }

  /** A read: node info, or a data message acknowledged a while ago (404 allowed: see below). */
  private async read(localAddress: string): Promise<void> {
    const old = this.ackedData.filter((m) => Date.now() - m.at > 5000);
    const m = old[Math.floor(Math.random() * old.length)];
    if (!m || Math.random() < 0.3) {
      await this.call("read: info", localAddress, "/api/v1/info");
      return;
    }
    // A message acknowledged by a node that was killed before it gossiped it is on that node alone
    // until it is back (and its children spread it): a 404 meanwhile is honest.
    await this.call("read: message", localAddress, `/api/v1/messages/${m.id}/metadata`, undefined, [404]);
  }

  private loop(pauseMs: number, task: (i: number) => Promise<void>): void {
    this.load.push(
      (async () => {
        for (let i = 0; !this.stopping; i++) {
          try {
            await task(i);
          } catch (err) {
            this.clientProblems.push(`client: ${(err as Error).stack ?? String(err)}`);
          }
          await sleep(pauseMs);
        }
      })(),
    );
  }

  // ------------------------------------------------------------------------------------------------
  // Faults

  private async kill(target: FaultTarget): Promise<void> {
    if (target === "gateway") await stopOwned(this.gateway!.proc, "SIGKILL");
    else if (target === "redis") await this.redis!.stop("SIGKILL");
    else await this.cluster.nodes[nodeIndex(target)]!.running!.stop("SIGKILL");
  }

  private async restart(target: FaultTarget): Promise<void> {
    if (target === "gateway") {
      this.gateway = await this.startGateway();
    } else if (target === "redis") {
      this.redis = await startRedis(this.redisPort);
    } else {
      const i = nodeIndex(target);
      await this.cluster.restart(i);
      const node = this.cluster.nodes[i]!;
      await waitFor(
        async () => {
          const [own, ...others] = await Promise.all(
            [node, ...this.cluster.nodes.filter((n) => n !== node)].map((n) =>
              info(n).catch(() => undefined),
            ),
          );
          const best = Math.max(...others.map((o) => o?.confirmedMilestoneIndex ?? 0));
          return own?.isHealthy && own.confirmedMilestoneIndex >= best - 2;
        },
        120_000,
        `${target} synced again`,
      );
    }
  }

  private allUp(): boolean {
    return (
      this.cluster.nodes.every(isUp) &&
      this.gateway !== undefined &&
      isRunning(this.gateway.proc) &&
      this.redis !== undefined &&
      isRunning(this.redis.proc)
    );
  }

  // ------------------------------------------------------------------------------------------------
  // The run

  private elapsed(): number {
    return (performance.now() - this.t0) / 1000;
  }

  private progress(log: (line: string) => void): void {
    const statuses = new Map<string, number>();
    for (const m of this.requests.values())
      for (const [s, n] of m) statuses.set(s, (statuses.get(s) ?? 0) + n);
    log(
      `[${this.elapsed().toFixed(0).padStart(4)} s] faults ${this.faults.length}` +
        `${this.faults.length ? ` (last: ${this.faults.at(-1)!.target})` : ""}; transfers ${this.ackedTransfers.length} acked, ` +
        `${this.model.included.size} confirmed; data ${this.ackedData.length} acked; answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `milestone ${this.model.appliedIndex}; client problems ${this.clientProblems.length}`,
    );
  }

  /** Load and faults for `opts.durationMs` (and until `minFaults` faults), then the load stops. */
  run(opts: ChaosOptions): Promise<void> {
    this.running = this.runFaults(opts);
    return this.running;
  }

  private async runFaults(opts: ChaosOptions): Promise<void> {
    const log = opts.log ?? (() => {});
    this.seed = opts.seed;
    const random = seededRandom(opts.seed);
    const nextTarget = faultSchedule(random);
    const meanGapMs = 60_000 / opts.faultsPerMinute;
    this.t0 = performance.now();
    // Each kind of client has its own address: its own bucket at the gateway.
    this.loop(0, () => this.transfer("127.0.0.41"));
    this.loop(0, () => this.transfer("127.0.0.42"));
    this.loop(300, (i) => this.dataMessage("127.0.0.43", i));
    this.loop(100, () => this.read("127.0.0.44"));
    const ticker = setInterval(() => this.progress(log), 10_000);
    const due = () => this.elapsed() * 1000 < opts.durationMs || this.faults.length < (opts.minFaults ?? 0);
    try {
      while (!this.stopping && due()) {
        // The next fault comes after a random gap (0.5 to 1.5 times the mean) at a random moment of the load.
        await sleep(meanGapMs * (0.5 + random()));
        if (this.stopping) break;
        const target = nextTarget();
        const downMs = 500 + random() * 3500;
        const at = this.elapsed();
        const window: { target: FaultTarget; from: number; to?: number } = {
          target,
          from: performance.now(),
        };
        this.windows.push(window);
        await this.kill(target);
        log(`[${at.toFixed(0).padStart(4)} s] kill -9 ${target}; back in ${(downMs / 1000).toFixed(1)} s`);
        await sleep(downMs);
        if (this.stopping) break;
        const restartAt = performance.now();
        await this.restart(target);
        window.to = performance.now();
        this.faults.push({ at, target, downMs, recoveryMs: window.to - restartAt });
        await this.settleUnanswered(SETTLE_AFTER_MS);
      }
      // The load goes on a while with every part up: a message a node acknowledged while a peer was
      // down reaches that peer only once later messages reference it (gossip does not resend it).
      if (!this.stopping) await sleep(QUIET_LOAD_MS);
    } finally {
      clearInterval(ticker);
      this.loadSeconds = this.elapsed();
      this.stopping = true;
      this.model.wake();
      await Promise.all(this.load);
      this.progress(log);
    }
  }

  /**
   * Transfer submits left without a definite answer at least `minAgeMs` ago: stored by some node (then
   * they must confirm like any other) or by none (then their coins are free again). Only decided with
   * every part up and every node answering; the rest wait for the next call.
   */
  private async settleUnanswered(minAgeMs: number): Promise<void> {
    if (!this.allUp()) return;
    for (const [id, at] of this.unanswered) {
      if (performance.now() - at < minAgeMs) continue;
      if (this.model.included.has(id)) {
        this.unansweredStored++;
        this.unanswered.delete(id);
        continue;
      }
      const statuses = await Promise.all(
        this.cluster.nodes.map((n) =>
          getJson(`${n.url}/api/v1/messages/${id}`).then(
            (r) => r.status,
            () => 0,
          ),
        ),
      );
      if (statuses.includes(200)) {
        this.unansweredStored++;
        this.unanswered.delete(id);
      } else if (statuses.every((st) => st === 404)) {
        this.model.forget(id);
        this.unanswered.delete(id);
      }
    }
  }

  /** After run(): waits for the network to settle, then checks every invariant. */
  async checkNetwork(log: (line: string) => void = () => {}): Promise<ChaosReport> {
    const invariants: Invariant[] = [];
    const problems: string[] = [];
    const check = (name: string, broken: string[], detail: string) => {
      invariants.push({
        name,
        ok: broken.length === 0,
        detail: broken.length ? broken.slice(0, 5).join("; ") : detail,
      });
      for (const p of broken) problems.push(`${name}: ${p}`);
    };
    const nodes = this.cluster.nodes;
    const infos = () => Promise.all(nodes.map((n) => info(n).catch(() => undefined)));
    check(
      "every part is running after the faults",
      this.allUp() ? [] : ["a part is down"],
      "3 nodes, gateway, Redis",
    );

    const top = Math.max(...(await infos()).map((i) => i?.confirmedMilestoneIndex ?? 0));
    const synced = await waitFor(
      async () => (await infos()).every((i) => i && i.confirmedMilestoneIndex >= top && i.isHealthy),
      90_000,
      `every node at milestone ${top}`,
    ).then(
      () => [],
      (err: Error) => [err.message],
    );
    check("every node synced and healthy", synced, `all at milestone ${top} or later`);

    await this.settleUnanswered(0);
    // Every transfer that any node stored confirms: wait for the milestones.
    const settled = await waitFor(async () => this.model.sent.size === 0, 60_000, "transfers confirmed").then(
      () => true,
      () => false,
    );
    const stuck: string[] = [];
    if (!settled)
      for (const s of [...this.model.sent.values()].slice(0, 5)) {
        const metas = await Promise.all(nodes.map((n) => metadata(n, s.messageId).catch(() => undefined)));
        stuck.push(`${s.messageId} (${s.state}): ${JSON.stringify(metas)}`);
      }
    check(
      "every acknowledged transfer is confirmed",
      stuck.length ? [`${this.model.sent.size} not confirmed, e.g. ${stuck.join(" | ")}`] : [],
      `${this.ackedTransfers.length} acknowledged, ${this.model.included.size} confirmed`,
    );

    // Every node holds every milestone the clients' model has applied (the last transfers' included).
    const target = Math.max(top, this.model.appliedIndex);
    await waitFor(
      async () => (await infos()).every((i) => i && i.confirmedMilestoneIndex >= target),
      30_000,
      `every node at milestone ${target}`,
    ).catch(() => {});
    const mismatches: string[] = [];
    for (let i = 1; i <= target; i++) {
      const hashes = await Promise.all(nodes.map((n) => stateHashAt(n, i).catch((e: Error) => e.message)));
      if (hashes.some((h) => h === undefined || h !== hashes[0]))
        mismatches.push(`milestone ${i}: ${hashes.join(" ")}`);
    }
    check(
      "the same ledger state hash after every milestone on every node",
      mismatches,
      `milestones 1 to ${target}`,
    );

    const ledger: string[] = [];
    const verified = await Promise.all(nodes.map((n) => verifyLedger(n).catch((e: Error) => e)));
    for (const [i, v] of verified.entries()) {
      if (v instanceof Error) {
        ledger.push(`node ${i}: ${v.message}`);
        continue;
      }
      if (!v.ok || v.problems.length) ledger.push(`node ${i}: ${v.problems.join(", ")}`);
      if (v.recomputedStateHash !== v.stateHash) ledger.push(`node ${i}: the state hash does not recompute`);
      if (v.supply !== Number(TOTAL_SUPPLY)) ledger.push(`node ${i}: supply ${v.supply}`);
      if (v.unspentOutputs !== this.model.unspent.size)
        ledger.push(
          `node ${i}: ${v.unspentOutputs} unspent outputs, the clients expect ${this.model.unspent.size}`,
        );
    }
    check("each ledger verifies and holds the total supply", ledger, `supply ${TOTAL_SUPPLY} on each node`);

    // Every acknowledged message on every node; what is missing is asked again until one deadline.
    const acked = [...this.ackedTransfers, ...this.ackedData.map((m) => m.id)];
    const { missing } = await missingMessages(acked, nodes, 30_000);
    check(
      "every message answered 201 is on every node",
      missing.map(({ id, node }) => `${id} not on node ${node}`),
      `${acked.length} messages on 3 nodes`,
    );

    check(
      "the milestone diffs hold only what the clients sent",
      this.model.problems,
      "model and diffs agree",
    );
    check(
      "clients saw only retriable errors, each explained by a fault",
      this.clientProblems,
      "2xx; 429 and 503 with Retry-After; 502/503 in the JSON error shape while a part was down; reconnects while the gateway was",
    );
    log(`checked ${invariants.length} invariants: ${invariants.filter((i) => !i.ok).length} broken`);
    return {
      seed: this.seed,
      seconds: this.loadSeconds,
      faults: this.faults,
      requests: Object.fromEntries([...this.requests].map(([k, m]) => [k, Object.fromEntries(m)])),
      acked: { transfers: this.ackedTransfers.length, data: this.ackedData.length },
      unanswered: { transfers: this.unansweredTotal, stored: this.unansweredStored },
      confirmedMilestone: target,
      invariants,
      problems,
    };
  }
}
