import type { GatewayConfig } from "../../config/gateway.ts";
import { createLogger } from "../../util/logger.ts";
import { Gateway } from "../gateway.ts";
import { linkedShared, PrimaryLink } from "./link.ts";
import { isStingerMessage, type PrimaryMessage, type WorkerMessage } from "./protocol.ts";

/**
 * One gateway worker (node:cluster): it asks the primary for the validated config, serves clients on the
 * shared listening socket, and counts every limit in the primary (link.ts). It exits with the primary.
 */
export function runGatewayWorker(): void {
  const send = (m: WorkerMessage) => process.send?.(m);
  const link = new PrimaryLink(send);
  let gateway: Gateway | undefined;
  process.on("message", (raw: unknown) => {
    if (!isStingerMessage(raw)) return;
    const message = raw as PrimaryMessage;
    switch (message.stg) {
      case "start":
        void start(message.config, message.ticketKeys, message.worker);
        return;
      case "answers":
        link.answered(message.answers);
        return;
      case "metrics":
        void gateway?.metricsJson().then((metrics) => send({ stg: "metrics", id: message.id, metrics }));
    }
  });

  async function start(config: GatewayConfig, ticketKeys: string, index: number): Promise<void> {
    // The primary's --log-format choice, handed down in the environment.
    const format = process.env.STINGER_LOG_FORMAT === "pretty" ? "pretty" : "json";
    const log = createLogger({ level: config.logger.level, format }).child({ worker: index });
    try {
      gateway = new Gateway(config, log, {
        shared: linkedShared(config, link, log),
        admin: false,
        ticketKeys: Buffer.from(ticketKeys, "base64"),
        worker: index,
      });
      const { url } = await gateway.start();
      send({ stg: "ready", url });
    } catch (err) {
      // Exit only once the primary has the reason: it reports it as the gateway's start error.
      const failed: WorkerMessage = {
        stg: "failed",
        error: err instanceof Error ? err.message : String(err),
      };
      process.send?.(failed, undefined, {}, () => process.exit(2));
      return;
    }
    let closing = false;
    const shutdown = () => {
      if (closing) return;
      closing = true;
      gateway!.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
    process.on("SIGHUP", () => gateway!.reloadTls());
  }

  send({ stg: "hello" });
}
