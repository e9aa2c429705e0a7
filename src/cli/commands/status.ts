import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { collectStatus } from "../../status/collect.ts";
import { renderStatus } from "../../status/render.ts";
import { fail, parseIntOption, UsageError } from "../errors.ts";

interface StatusOptions {
  node: string[];
  token: string[];
  gateway?: string;
  gatewayMetrics?: string;
  ca?: string;
  json?: boolean;
  timeout: number;
}

function httpUrl(flag: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a URL: "${value}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UsageError(`${flag}: must be an http:// or https:// URL, got "${value}"`);
  return value;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description(
      "one screen: sync, milestones, peers, PoW, ledger and gateway health; exit 0 healthy, 1 degraded, 2 usage error",
    )
    .option(
      "--node <url>",
      "a node's REST API (repeat for several; default http://127.0.0.1:14265)",
      collect,
      [],
    )
    .option(
      "--token <jwt>",
      "API token for the protected parts (peers, PoW, ledger): one for all nodes, or one per --node in order",
      collect,
      [],
    )
    .option("--gateway <url>", "the gateway's public URL (its /health is checked)")
    .option("--gateway-metrics <url>", "the gateway's metrics URL (its view of each node)")
    .option("--ca <file>", "CA certificate (PEM) to trust for an https gateway or node")
    .option("--timeout <ms>", "per request", parseIntOption("--timeout", 100, 600_000), 5000)
    .option("--json", "print one JSON object")
    .action(async (opts: StatusOptions) => {
      try {
        const urls = (opts.node.length > 0 ? opts.node : ["http://127.0.0.1:14265"]).map((u) =>
          httpUrl("--node", u),
        );
        if (opts.token.length > 1 && opts.token.length !== urls.length)
          throw new UsageError(
            `--token: give one token, or one per --node (${urls.length}), not ${opts.token.length}`,
          );
        const gateway = opts.gateway ? httpUrl("--gateway", opts.gateway) : undefined;
        if (opts.gatewayMetrics && !gateway) throw new UsageError("--gateway-metrics: needs --gateway");
        const metricsUrl = opts.gatewayMetrics
          ? httpUrl("--gateway-metrics", opts.gatewayMetrics)
          : undefined;
        let ca: Buffer | undefined;
        if (opts.ca) {
          try {
            ca = readFileSync(opts.ca);
          } catch (err) {
            throw new UsageError(`--ca: cannot read ${opts.ca} (${(err as NodeJS.ErrnoException).code})`);
          }
        }
        const status = await collectStatus(
          urls.map((url, i) => ({ url, token: opts.token.length > 1 ? opts.token[i] : opts.token[0] })),
          gateway ? { url: gateway, metricsUrl } : undefined,
          { timeoutMs: opts.timeout, ca },
        );
        process.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : renderStatus(status));
        process.exit(status.healthy ? 0 : 1);
      } catch (err) {
        fail(err);
      }
    });
}
