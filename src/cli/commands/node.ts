import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfigFile } from "../../config/load.ts";
import { nodeConfigSchema } from "../../config/node.ts";
import { StingerNode } from "../../node/node.ts";
import { createLogger } from "../../util/logger.ts";
import { fail } from "../errors.ts";
import { addLogFormatOption, chosenLogFormat } from "../log-format.ts";
import { runUntilSignal } from "../run.ts";

export function registerNode(program: Command): void {
  const cmd = program
    .command("node")
    .description(
      "run a node from a config file (Hornet-style keys; relative paths resolve from the file's folder)",
    )
    .requiredOption("-c, --config <file>", "node config file (JSON)")
    .option("--print-config", "print the effective config (secrets masked) and exit");
  addLogFormatOption(cmd).action(
    async (opts: { config: string; printConfig?: boolean; logFormat?: string }) => {
      try {
        const config = loadConfigFile(nodeConfigSchema, opts.config);
        if (opts.printConfig) {
          process.stdout.write(
            `${JSON.stringify({ ...config, restAPI: { ...config.restAPI, jwtAuth: { salt: "[redacted]" } } }, null, 2)}\n`,
          );
          return;
        }
        const log = createLogger({ level: config.logger.level, format: chosenLogFormat(opts.logFormat) });
        const node = new StingerNode(config, {
          baseDir: dirname(opts.config),
          log,
          configFile: resolve(opts.config),
        });
        await node.start();
        process.stdout.write(
          `stinger node ready: API ${node.apiUrl} (network ${config.protocol.networkID}, peer ${node.identity.peerId})\n`,
        );
        runUntilSignal([node], log);
      } catch (err) {
        fail(err);
      }
    },
  );
}
