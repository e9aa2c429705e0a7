import type { Logger } from "pino";
import type { GatewayConfig } from "../../config/gateway.ts";
import type { SlotTable } from "../client-slots.ts";
import { noRefusalSink, type RefusalSink } from "../kernel-ban/kernel-ban.ts";
import type { RateLimitDecision, RateLimiter } from "../rate-limit.ts";
import type { GatewayShared } from "../shared.ts";
import { createLimiter } from "../shared.ts";
import type { PrimaryAnswer, TableName, WorkerCall, WorkerMessage } from "./protocol.ts";

type Send = (message: WorkerMessage) => void;

/**
 * A worker's line to the primary, where the limits are counted. Calls made in one tick leave as one
 * message (flushed on setImmediate), so IPC costs one write per tick however many requests it carries.
 * If the primary goes away the worker process exits (node:cluster does that), so answers still owed
 * are never waited for in vain.
 */
export class PrimaryLink {
  private nextId = 1;
  private readonly pending = new Map<number, (answer: PrimaryAnswer) => void>();
  private queue: WorkerCall[] = [];
  private flushing = false;

  constructor(private readonly send: Send) {}

  /** Hands the primary's batch of answers to the calls waiting for them. */
  answered(answers: PrimaryAnswer[]): void {
    for (const a of answers) {
      const resolve = this.pending.get(a.id);
      if (!resolve) continue;
      this.pending.delete(a.id);
      resolve(a);
    }
  }

  call(make: (id: number) => WorkerCall): Promise<PrimaryAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.post(make(id));
    });
  }

  post(call: WorkerCall): void {
    this.queue.push(call);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const calls = this.queue;
      this.queue = [];
      this.send({ stg: "calls", calls });
    });
  }
}

/** A slot table the primary keeps; this side counts what it holds, for its own metrics. */
class LinkedSlots implements SlotTable {
  private held = 0;

  constructor(
    private readonly link: PrimaryLink,
    private readonly table: TableName,
  ) {}

  get total(): number {
    return this.held;
  }

  async tryTake(key: string, max: number): Promise<boolean> {
    const answer = await this.link.call((id) => ({ op: "slot", id, table: this.table, key, max }));
    const granted = "granted" in answer && answer.granted;
    if (granted) this.held++;
    return granted;
  }

  release(key: string): void {
    this.held--;
    this.link.post({ op: "release", table: this.table, key });
  }
}

class LinkedLimiter implements RateLimiter {
  constructor(private readonly link: PrimaryLink) {}

  async take(key: string, cost: number, multiplier = 1): Promise<RateLimitDecision> {
    const answer = await this.link.call((id) => ({ op: "take", id, key, cost, multiplier }));
    if (!("decision" in answer)) throw new Error("the gateway primary answered a rate-limit call wrongly");
    return answer.decision;
  }

  async close(): Promise<void> {}
}

/** Refusals go to the primary only when the kernel ban is on (it is their only reader there). */
class LinkedRefusals implements RefusalSink {
  constructor(private readonly link: PrimaryLink) {}

  refused(ip: string, reason: string): void {
    this.link.post({ op: "refused", ip, reason });
  }

  close(): void {}
}

/**
 * A worker's view of the shared state: caps and the kernel ban in the primary; token buckets in Redis
 * when configured (every worker talks to it directly, as separate gateways do), else in the primary.
 */
export function linkedShared(config: GatewayConfig, link: PrimaryLink, log: Logger): GatewayShared {
  return {
    limiter: config.rateLimit.redis ? createLimiter(config, log) : new LinkedLimiter(link),
    connections: new LinkedSlots(link, "connections"),
    powSubmits: new LinkedSlots(link, "powSubmits"),
    webSockets: new LinkedSlots(link, "webSockets"),
    refusals: config.kernelBan.enabled ? new LinkedRefusals(link) : noRefusalSink,
  };
}
