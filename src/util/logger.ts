import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

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
  "password",
  "passwordHash",
];

/** json: one JSON object per line (for files, journald, fail2ban); pretty: readable lines; auto: pretty on a terminal. */
export type LogFormat = "auto" | "json" | "pretty";
export const LOG_FORMATS: readonly LogFormat[] = ["auto", "json", "pretty"];

/**
 * Pretty only when a person watches: both stdout and the log's destination are terminals. Anything
 * redirected (a file, a pipe, journald under systemd) gets JSON lines, which fail2ban's filter reads.
 */
export function resolveLogFormat(format: LogFormat, destination = 2): "json" | "pretty" {
  if (format !== "auto") return format;
  const tty = (fd: number) => (fd === 1 ? process.stdout.isTTY : fd === 2 ? process.stderr.isTTY : false);
  return tty(1) && tty(destination) ? "pretty" : "json";
}

/** "node 1 tangle: milestone confirmed": who speaks first, then the message (fields follow on the line). */
function messageFormat(log: Record<string, unknown>, messageKey: string): string {
  const who = [
    log.node !== undefined ? `node ${log.node}` : undefined,
    log.component as string | undefined,
    log.module as string | undefined,
  ].filter(Boolean);
  const msg = String(log[messageKey] ?? "");
  return who.length > 0 ? `${who.join(" ")}: ${msg}` : msg;
}

export function createLogger(
  opts: { level?: string; destination?: number; format?: LogFormat } = {},
): Logger {
  const dest = opts.destination ?? 2;
  const options = {
    level: opts.level ?? "info",
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (resolveLogFormat(opts.format ?? "auto", dest) === "pretty") {
    return pino(
      options,
      pretty({
        destination: dest,
        colorize: dest === 2 ? process.stderr.isTTY : process.stdout.isTTY,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid,hostname,node,component,module",
        singleLine: true,
        messageFormat,
        sync: true,
      }),
    );
  }
  return pino(options, pino.destination({ dest, sync: false }));
}
