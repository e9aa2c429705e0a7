import type { Command } from "commander";
import { LOG_FORMATS, type LogFormat, resolveLogFormat } from "../util/logger.ts";
import { UsageError } from "./errors.ts";

/**
 * `--log-format auto|json|pretty` (default: STINGER_LOG_FORMAT, else auto). The choice is written back
 * to STINGER_LOG_FORMAT so processes this one starts (gateway workers) log the same way.
 */
export function addLogFormatOption(cmd: Command): Command {
  return cmd.option(
    "--log-format <format>",
    "logs on stderr: pretty (readable lines) or json (one object per line); auto: pretty on a terminal",
    (value: string) => {
      if (!LOG_FORMATS.includes(value as LogFormat))
        throw new UsageError(`--log-format: must be one of ${LOG_FORMATS.join(", ")}, got "${value}"`);
      return value;
    },
  );
}

export function chosenLogFormat(flag: string | undefined): "json" | "pretty" {
  const fromEnv = process.env.STINGER_LOG_FORMAT;
  const wanted = (flag ?? (LOG_FORMATS.includes(fromEnv as LogFormat) ? fromEnv : "auto")) as LogFormat;
  const format = resolveLogFormat(wanted);
  process.env.STINGER_LOG_FORMAT = format;
  return format;
}
