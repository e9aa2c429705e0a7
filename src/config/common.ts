import { z } from "zod";

/** "host:port" as bind and listen addresses are written (IPv6 hosts in brackets). */
export const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be "host:port", e.g. "127.0.0.1:14265"');

/** Splits a validated `hostPort` value; IPv6 brackets are removed from the host. */
export function splitHostPort(bind: string): { host: string; port: number } {
  const i = bind.lastIndexOf(":");
  return { host: bind.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(bind.slice(i + 1)) };
}

export const loggerSchema = z
  .object({
    level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict()
  .prefault({});
