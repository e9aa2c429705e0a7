import { ConfigError } from "../config/load.ts";
import { StingerError } from "../util/errors.ts";

/** Errors about a file the operator gave (a snapshot to start from, a key file): bad input, exit code 2. */
const INPUT_ERRORS = new Set(["SNAPSHOT_INVALID", "KEY_INVALID"]);

/** A mistake in what the operator asked for: printed as one line, exit code 2. */
export class UsageError extends Error {}

export function fail(err: unknown, debug = false): never {
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err instanceof StingerError && INPUT_ERRORS.has(err.code));
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`stinger: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(usage ? 2 : 1);
}

export function parseIntOption(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`${name}: must be an integer from ${min} to ${max}, got "${value}"`);
    }
    return Number(value);
  };
}

export function parseNumberOption(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < min)
      throw new UsageError(`${name}: must be a number >= ${min}, got "${value}"`);
    return n;
  };
}
