import { readFileSync } from "node:fs";
import type { z } from "zod";
import { oneLine, StingerError } from "../util/errors.ts";

/** A config problem an operator can fix: names the file or key, printed as one line. */
export class ConfigError extends StingerError {
  constructor(message: string) {
    super("CONFIG_INVALID", message, { status: 400 });
  }
}

function formatIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Applies STINGER_<SECTION>_<KEY> environment overrides onto a config object: the dotted path of an
 * existing key upper-cased with dots as "_". Only keys already present (after defaults) are matched,
 * so a typo in a variable name is ignored rather than silently creating a key.
 */
export function applyEnvOverrides(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  prefix = "STINGER",
): Record<string, unknown> {
  const walk = (obj: Record<string, unknown>, path: string[]) => {
    for (const [key, value] of Object.entries(obj)) {
      const full = [...path, key];
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, full);
        continue;
      }
      const name = `${prefix}_${full.join("_")}`.toUpperCase();
      const raw = env[name];
      if (raw === undefined) continue;
      if (typeof value === "number") obj[key] = Number(raw);
      else if (typeof value === "boolean") obj[key] = raw === "true" || raw === "1";
      else if (Array.isArray(value)) {
        try {
          obj[key] = JSON.parse(raw);
        } catch {
          throw new ConfigError(`${name}: must be a JSON array`);
        }
      } else obj[key] = raw;
    }
  };
  walk(config, []);
  return config;
}

export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  source: string,
  env = process.env,
): z.infer<S> {
  const first = schema.safeParse(input);
  if (!first.success) throw new ConfigError(`${source}: ${formatIssue(first.error.issues[0]!)}`);
  const withEnv = applyEnvOverrides(structuredClone(first.data) as Record<string, unknown>, env);
  const second = schema.safeParse(withEnv);
  if (!second.success)
    throw new ConfigError(`${source} (after STINGER_* overrides): ${formatIssue(second.error.issues[0]!)}`);
  return deepFreeze(second.data);
}

export function loadConfigFile<S extends z.ZodType>(schema: S, file: string, env = process.env): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${oneLine((err as Error).message)})`);
  }
  return parseConfig(schema, json, file, env);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
