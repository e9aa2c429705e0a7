import type { Logger } from "pino";
import { Pool } from "undici";
import { type PowPoolLoad, spareCapacity } from "../util/spare-capacity.ts";

/** What a node reports at /api/plugins/stinger/load about its remote-PoW pool. */
export type PowLoad = PowPoolLoad;

export interface Upstream {
  url: string;
  pool: Pool;
  /** the node's API token, for its protected load report */
  token: string | undefined;
  inFlight: number;
  /** remote-PoW submits this gateway has in flight on the node */
  powInFlight: number;
  /** last active health check passed (health 200 and milestones within the allowed lag) */
  healthy: boolean;
  /** consecutive proxy failures since the last good health check */
  failures: number;
  confirmedMilestoneIndex: number;
  /** last load report's PoW pool state; undefined when the node gave none (no token, no PoW) */
  pow: PowLoad | undefined;
  /**
   * share of the node still free, 0.01..1, from its last load report by the same computation the
   * node answers HAProxy's agent-check with (util/spare-capacity.ts); 1 without a report
   */
  spare: number;
}

export interface UpstreamSpec {
  url: string;
  token?: string | undefined;
}

export interface BalancerOptions {
  intervalMs: number;
  maxFailures: number;
  maxMilestoneLag: number;
}

/** PoW jobs on the node as far as we know: its last report, or our own submits since if more. */
export function powJobs(u: Upstream): number {
  const reported = u.pow ? (u.pow.busyWorkers > 0 ? 1 : 0) + u.pow.queueDepth : 0;
  return Math.max(reported, u.powInFlight);
}

/** Expected wait for a new PoW job, in "jobs per worker": lower is better. */
function powScore(u: Upstream): number {
  return powJobs(u) / Math.max(1, u.pow?.workers ?? 1);
}

/**
 * Picks the node with the most spare capacity for each request, without sticky sessions: of two
 * random eligible nodes, one in proportion to its share of the node still free per request in flight
 * (power of two choices; the share is what the node reports to HAProxy's agent-check too). Remote-PoW submits instead go to the node with
 * the shortest PoW queue per worker (CPU-bound work the in-flight count does not see). Eligible =
 * passed its last health check, not lagging in milestones, not ejected after repeated failures.
 */
export class Balancer {
  readonly upstreams: Upstream[];
  private timer: NodeJS.Timeout | undefined;
  private readonly loadRefused = new Set<Upstream>();

  constructor(
    specs: UpstreamSpec[],
    private readonly opts: BalancerOptions,
    private readonly log: Logger,
  ) {
    this.upstreams = specs.map(({ url, token }) => ({
      url: url.replace(/\/+$/, ""),
      pool: new Pool(url, {
        connections: 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: 2_000,
      }),
      token,
      inFlight: 0,
      powInFlight: 0,
      healthy: false,
      failures: 0,
      confirmedMilestoneIndex: 0,
      pow: undefined,
      spare: 1,
    }));
  }

  async start(): Promise<void> {
    await this.checkAll();
    this.timer = setInterval(() => void this.checkAll(), this.opts.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.upstreams.map((u) => u.pool.close().catch(() => {})));
  }

  eligible(exclude?: Upstream): Upstream[] {
    return this.upstreams.filter((u) => u.healthy && u.failures < this.opts.maxFailures && u !== exclude);
  }

  pick(exclude?: Upstream): Upstream | undefined {
    const candidates = this.eligible(exclude);
    if (candidates.length <= 1) return candidates[0];
    const a = candidates[Math.floor(Math.random() * candidates.length)]!;
    let b = candidates[Math.floor(Math.random() * (candidates.length - 1))]!;
    if (b === a) b = candidates[candidates.length - 1]!;
    // Of the two, each wins in proportion to its spare share per request in flight (+1 so an idle
    // node's share still counts): a loaded node keeps a share of the reads as HAProxy's weighted round
    // robin gives it, instead of losing every comparison to an idle one.
    const wa = a.spare / (a.inFlight + 1);
    const wb = b.spare / (b.inFlight + 1);
    return Math.random() * (wa + wb) < wa ? a : b;
  }

  /** For a submit that asks for remote PoW: fewest PoW jobs per worker, then fewest in flight. */
  pickForPow(exclude?: Upstream): Upstream | undefined {
    const candidates = this.eligible(exclude);
    let best: Upstream[] = [];
    let bestKey: [number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    for (const u of candidates) {
      const key: [number, number] = [powScore(u), u.inFlight];
      const cmp = key[0] - bestKey[0] || key[1] - bestKey[1];
      if (cmp < 0) {
        best = [u];
        bestKey = key;
      } else if (cmp === 0) best.push(u);
    }
    // Random among equals, so idle nodes share the work.
    return best[Math.floor(Math.random() * best.length)];
  }

  /** Passive health: a failed proxy attempt counts; enough of them eject the node until it checks good. */
  reportFailure(u: Upstream): void {
    u.failures += 1;
    if (u.failures === this.opts.maxFailures)
      this.log.warn({ node: u.url }, "node ejected after consecutive failures");
  }

  reportSuccess(u: Upstream): void {
    u.failures = 0;
  }

  private async checkAll(): Promise<void> {
    const results = await Promise.all(this.upstreams.map((u) => this.check(u)));
    const best = Math.max(0, ...results.map((r) => r ?? 0));
    this.upstreams.forEach((u, i) => {
      const cmi = results[i];
      const healthy = cmi !== null && best - cmi <= this.opts.maxMilestoneLag;
      if (healthy !== u.healthy) this.log.info({ node: u.url, healthy }, "node health changed");
      u.healthy = healthy;
      if (healthy) u.failures = 0;
    });
  }

  /** The node's confirmed milestone index when /health is 200, else null; refreshes its load report. */
  private async check(u: Upstream): Promise<number | null> {
    try {
      const health = await u.pool.request({
        method: "GET",
        path: "/health",
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      await health.body.dump();
      if (health.statusCode !== 200) return null;
      const info = await u.pool.request({
        method: "GET",
        path: "/api/v1/info",
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      const body = (await info.body.json()) as { data?: { confirmedMilestoneIndex?: number } };
      const cmi = body.data?.confirmedMilestoneIndex ?? 0;
      u.confirmedMilestoneIndex = cmi;
      if (u.token) await this.readLoad(u, u.token);
      return cmi;
    } catch {
      return null;
    }
  }

  /** A failed load report leaves the node in service, balanced on in-flight counts alone. */
  private async readLoad(u: Upstream, token: string): Promise<void> {
    try {
      const res = await u.pool.request({
        method: "GET",
        path: "/api/plugins/stinger/load",
        headers: { authorization: `Bearer ${token}` },
        headersTimeout: 2000,
        bodyTimeout: 2000,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        // Once per node, not every check: a wrong token is a config error to fix, not news.
        if (!this.loadRefused.has(u))
          this.log.warn({ node: u.url, status: res.statusCode }, "node load report refused");
        this.loadRefused.add(u);
        u.pow = undefined;
        u.spare = 1;
        return;
      }
      const { data } = (await res.body.json()) as {
        data?: { pow?: Partial<PowLoad> | null; eventLoopUtilization?: number };
      };
      const p = data?.pow;
      u.pow =
        p && typeof p.workers === "number"
          ? {
              workers: p.workers,
              busyWorkers: Number(p.busyWorkers) || 0,
              queueDepth: Number(p.queueDepth) || 0,
            }
          : undefined;
      // Health and milestone lag are this balancer's own checks; the report gives the load.
      const spare = spareCapacity({
        pow: u.pow ?? null,
        eventLoopUtilization: Number(data?.eventLoopUtilization),
        synced: true,
        healthy: true,
      });
      u.spare = spare.state === "up" ? spare.percent / 100 : 1;
    } catch {
      u.pow = undefined;
      u.spare = 1;
    }
  }
}
