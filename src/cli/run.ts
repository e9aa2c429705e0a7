import type { Logger } from "pino";
/** Runs started nodes (or anything closable) until SIGINT/SIGTERM, then closes them cleanly (a second signal forces exit). */
export function runUntilSignal(nodes: { close(): Promise<void> }[], log: Logger): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    log.info({ signal }, "shutting down");
    Promise.all(nodes.map((n) => n.close()))
      .then(() => process.exit(0))
      .catch((err: Error) => {
        log.error({ err }, "shutdown failed");
        // The logger writes asynchronously and exit would drop the line: say it on stderr directly too.
        process.stderr.write(`stinger: shutdown failed: ${err?.message ?? err}\n`);
        process.exit(1);
      });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}
