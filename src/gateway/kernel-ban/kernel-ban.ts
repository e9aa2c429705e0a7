import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { GatewayConfig } from "../../config/gateway.ts";
import { type BanResult, KernelBanClient } from "./client.ts";
import { type Ban, Offenders } from "./offenders.ts";

/** Where refusals go to be counted against their client: the kernel ban, or nothing when it is off. */
export interface RefusalSink {
  refused(ip: string, reason: string): void;
  close(): void;
}

export const noRefusalSink: RefusalSink = { refused() {}, close() {} };

/**
 * The kernel ban as the gateway uses it: counts refusals per client (Offenders) and sends the repeat
 * offenders to the privileged helper. One per gateway: in the process itself, or with several workers
 * in the primary, which receives every worker's refusals.
 */
export class KernelBan implements RefusalSink {
  private readonly offenders: Offenders;
  private readonly helper: KernelBanClient;
  private readonly results: Counter<"result">;

  constructor(
    config: GatewayConfig,
    private readonly log: Logger,
    registry: Registry,
  ) {
    const kb = config.kernelBan;
    this.offenders = new Offenders({
      ...kb,
      exempt: [...config.trustedProxies, ...config.limits.connectionExempt, ...config.ipFilter.allow],
      ipv6PrefixLength: config.rateLimit.ipv6PrefixLength,
    });
    this.helper = new KernelBanClient(
      kb.helperSocket,
      (ban, result, detail) => this.banResult(ban, result, detail),
      log,
    );
    this.results = new Counter({
      name: "stinger_gateway_kernel_bans_total",
      help: "Repeat offenders sent to the kernel ban helper, by result (applied, refused, unavailable)",
      labelNames: ["result"] as const,
      registers: [registry],
    });
  }

  /** A sink for `config`: the kernel ban when enabled, else one that ignores refusals. */
  static forConfig(config: GatewayConfig, log: Logger, registry: Registry): RefusalSink {
    return config.kernelBan.enabled
      ? new KernelBan(config, log.child({ module: "kernel-ban" }), registry)
      : noRefusalSink;
  }

  refused(ip: string, reason: string): void {
    const ban = this.offenders.refused(ip, reason);
    if (!ban) return;
    this.log.warn({ ip: ban.ip, target: ban.target, seconds: ban.seconds, reason }, "kernel ban");
    this.helper.ban(ban);
  }

  close(): void {
    this.helper.close();
  }

  private banResult(ban: Ban, result: BanResult, detail: string): void {
    this.results.inc({ result });
    if (result !== "applied")
      this.log.error({ ip: ban.ip, target: ban.target, result, detail }, "kernel ban not applied");
  }
}
