import pino, { type Logger } from "pino";

export type { Logger };

// Everything that could carry a secret is redacted before a log line is written.
const REDACT = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "token",
  "jwt",
  "seed",
  "seeds",
  "privateKey",
  "salt",
];

export function createLogger(opts: { level?: string; destination?: number } = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: opts.destination ?? 2, sync: false }),
  );
}
