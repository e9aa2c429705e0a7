import type { Logger } from "pino";
import { Pool } from "undici";

export interface Upstream {
  url: string;
  pool: Pool;
  inFlight: number;
  /** last active health check passed (health 200 and milestones within the allowed lag) */
  healthy: boolean;
  /** consecutive proxy failures since the last good health check */
  failures: number;
  confirmedMilestoneIndex: number;
}

export interface BalancerOptions {
  intervalMs: number;
  maxFailures: number;
  maxMilestoneLag: number;
}

/**
 * Picks the node with the most spare capacity for each request, without sticky sessions: of two
 * random eligible nodes, the one with fewer requests in flight (power of two choices). Eligible =
 * passed its last health check, not lagging in milestones, not ejected after repeated failures.
 */
export class Balancer {
  readonly upstreams: Upstream[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    urls: string[],
    private readonly opts: BalancerOptions,
    private readonly log: Logger,
  ) {
    this.upstreams = urls.map((url) => ({
      url: url.replace(/\/+$/, ""),
      pool: new Pool(url, {
        connections: 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: 2_000,
      }),
      inFlight: 0,
      healthy: false,
      failures: 0,
      confirmedMilestoneIndex: 0,
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
    return a.inFlight <= b.inFlight ? a : b;
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

  /** The node's confirmed milestone index when /health is 200, else null. */
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
      return cmi;
    } catch {
      return null;
    }
  }
}
