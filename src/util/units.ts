import { StingerError } from "./errors.ts";

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  K: 1024,
  KB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Hornet-style sizes such as "1M" or "512K" (binary multiples), or a plain byte count. */
export function parseSize(value: string | number): number {
  if (typeof value === "number") return value;
  const m = /^\s*(\d+)\s*([KMG]?B?)\s*$/i.exec(value);
  if (!m)
    throw new StingerError("CONFIG_INVALID_SIZE", `not a size: "${value}" (use e.g. 1M, 512K)`, {
      status: 400,
    });
  return Number(m[1]) * (SIZE_UNITS[m[2]!.toUpperCase()] ?? 1);
}

/** Go-style durations such as "5s", "250ms", "1m30s", or a number of milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") return value;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of value.trim().matchAll(re)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== value.trim().length) {
    throw new StingerError("CONFIG_INVALID_DURATION", `not a duration: "${value}" (use e.g. 5s, 250ms)`, {
      status: 400,
    });
  }
  return total;
}
