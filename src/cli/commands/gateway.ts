import cluster from "node:cluster";
import type { Command } from "commander";
import { gatewayConfigSchema } from "../../config/gateway.ts";
import { loadConfigFile } from "../../config/load.ts";
import { hashApiKey } from "../../gateway/auth.ts";
import { GatewayPrimary } from "../../gateway/cluster/primary.ts";
import { runGatewayWorker } from "../../gateway/cluster/worker.ts";
import { Gateway } from "../../gateway/gateway.ts";
import { renderHaproxy } from "../../gateway/haproxy/render.ts";
import { assertHaproxyCanRun, HaproxySupervisor } from "../../gateway/haproxy/supervisor.ts";
import { createLogger } from "../../util/logger.ts";
import { fail, UsageError } from "../errors.ts";
import { addLogFormatOption, chosenLogFormat } from "../log-format.ts";

export function registerGateway(program: Command): void {
  const cmd = program
    .command("gateway")
    .description("run the reverse proxy / load balancer in front of one or more nodes")
    .option("-c, --config <file>", "gateway config file (JSON)")
    .option("--hash-key <key>", "print the SHA-256 of an API key for auth.apiKeys[].sha256, and exit")
    .option(
      "--engine <engine>",
      "data plane: node (this process) or haproxy (rendered and supervised)",
      "node",
    )
    .option("--print-haproxy", "print the HAProxy configuration rendered from --config, and exit");
  addLogFormatOption(cmd).action(
    async (opts: {
      config?: string;
      hashKey?: string;
      engine: string;
      printHaproxy?: boolean;
      logFormat?: string;
    }) => {
      try {
        if (opts.hashKey !== undefined) {
          process.stdout.write(`${hashApiKey(opts.hashKey)}\n`);
          return;
        }
        // A cluster worker gets its config from the primary, which validated it once for all.
        if (cluster.isWorker) return runGatewayWorker();
        if (!opts.config) throw new UsageError("--config <file> is required");
        if (opts.engine !== "node" && opts.engine !== "haproxy")
          throw new UsageError(`--engine: must be node or haproxy, got "${opts.engine}"`);
        const config = loadConfigFile(gatewayConfigSchema, opts.config);
        if (opts.printHaproxy) {
          assertHaproxyCanRun(config);
          const runDir = config.haproxy.runDir ?? "/run/stinger/haproxy";
          const rendered = renderHaproxy(config, runDir);
          // The maps go with it: an operator running HAProxy themselves writes them next to it.
          const maps = (["keys.map", "limits.map"] as const)
            .map((name) => `# ${runDir}/${name}:\n${rendered[name].replace(/^/gm, "#   ")}`)
            .join("\n");
          process.stdout.write(`${rendered["haproxy.cfg"]}\n${maps}\n`);
          return;
        }
        const log = createLogger({ level: config.logger.level, format: chosenLogFormat(opts.logFormat) });
        const gateway =
          opts.engine === "haproxy"
            ? new HaproxySupervisor(config, opts.config, log.child({ module: "haproxy" }))
            : config.workers > 1
              ? new GatewayPrimary(config, log)
              : new Gateway(config, log);
        const { url, adminUrl } = await gateway.start();
        const workers =
          opts.engine === "haproxy" ? ", haproxy" : config.workers > 1 ? `, ${config.workers} workers` : "";
        process.stdout.write(
          `stinger gateway ready: ${url} (metrics ${adminUrl}, ${config.upstreams.length} node(s)${workers})\n`,
        );
        let closing = false;
        const shutdown = () => {
          if (closing) process.exit(1);
          closing = true;
          gateway.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.on("SIGHUP", () =>
          gateway instanceof HaproxySupervisor ? gateway.reload("SIGHUP") : gateway.reloadTls(),
        );
        process.on("SIGINT", shutdown);
        process.on("SIGTERM", shutdown);
      } catch (err) {
        fail(err);
      }
    },
  );
}
