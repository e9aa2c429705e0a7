import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { parseConfig } from "../../config/load.ts";
import { type NodeConfigInput, nodeConfigSchema } from "../../config/node.ts";
import { loadOrCreateKeyFile } from "../../node/coordinator/keys.ts";
import { StingerNode } from "../../node/node.ts";
import { ed25519PublicKey } from "../../protocol/ed25519.ts";
import { toHex } from "../../protocol/hex.ts";
import { createLogger } from "../../util/logger.ts";
import { fail, parseIntOption, parseNumberOption } from "../errors.ts";
import { runUntilSignal } from "../run.ts";

export const DEVNET_DEFAULTS = {
  dataDir: "devnet",
  apiPort: 14265,
  metricsPort: 9311,
  minPoWScore: 10,
  milestoneInterval: 5,
  network: "private_tangle1",
  coordinatorKeys: 2,
};

interface DevnetOptions {
  dataDir: string;
  apiPort: number;
  metricsPort: number;
  minPowScore: number;
  milestoneInterval: number;
  powWorkers?: number;
  logLevel: string;
}

export function registerDevnet(program: Command): void {
  program
    .command("devnet")
    .description(
      "run a private network on loopback: a node with remote PoW plus its coordinator (what `npm start` runs)",
    )
    .option(
      "--data-dir <dir>",
      "where keys, database and coordinator state live (reused on restart)",
      DEVNET_DEFAULTS.dataDir,
    )
    .option(
      "--api-port <port>",
      "REST API port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--api-port", 0, 65535),
      DEVNET_DEFAULTS.apiPort,
    )
    .option(
      "--metrics-port <port>",
      "Prometheus port on 127.0.0.1 (0 = any free port)",
      parseIntOption("--metrics-port", 0, 65535),
      DEVNET_DEFAULTS.metricsPort,
    )
    .option(
      "--min-pow-score <score>",
      "minimum PoW score of messages",
      parseNumberOption("--min-pow-score", 0),
      DEVNET_DEFAULTS.minPoWScore,
    )
    .option(
      "--milestone-interval <seconds>",
      "seconds between milestones",
      parseNumberOption("--milestone-interval", 0.1),
      DEVNET_DEFAULTS.milestoneInterval,
    )
    .option(
      "--pow-workers <n>",
      "remote PoW worker threads (default: cores - 1)",
      parseIntOption("--pow-workers", 1, 256),
    )
    .option("--log-level <level>", "log level (logs are JSON on stderr)", "info")
    .action(async (opts: DevnetOptions) => {
      try {
        const dataDir = resolve(opts.dataDir);
        mkdirSync(dataDir, { recursive: true, mode: 0o700 });
        const seeds = loadOrCreateKeyFile(join(dataDir, "coordinator.keys"), DEVNET_DEFAULTS.coordinatorKeys);
        const input: NodeConfigInput = {
          protocol: {
            networkID: DEVNET_DEFAULTS.network,
            bech32HRP: "atoi",
            minPoWScore: opts.minPowScore,
            milestonePublicKeyCount: seeds.length,
            publicKeyRanges: seeds.map((s) => ({ key: toHex(ed25519PublicKey(s)), start: 0, end: 0 })),
          },
          restAPI: {
            bindAddress: `127.0.0.1:${opts.apiPort}`,
            powEnabled: true,
            powWorkerCount: opts.powWorkers,
          },
          coordinator: { enabled: true, interval: opts.milestoneInterval * 1000 },
          prometheus: { bindAddress: `127.0.0.1:${opts.metricsPort}` },
          logger: { level: opts.logLevel as "info" },
        };
        const config = parseConfig(nodeConfigSchema, input, "devnet");
        const log = createLogger({ level: config.logger.level });
        const node = new StingerNode(config, { baseDir: dataDir, log, env: {} });
        await node.start();
        process.stdout.write(
          `stinger devnet ready: API ${node.apiUrl} (metrics ${node.metricsUrl}, network ${config.protocol.networkID}, minPoWScore ${opts.minPowScore}, ` +
            `milestone every ${opts.milestoneInterval}s, data ${dataDir})\n`,
        );
        runUntilSignal(node, log);
      } catch (err) {
        fail(err);
      }
    });
}
