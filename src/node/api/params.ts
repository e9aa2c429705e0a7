import { badRequest } from "./errors.ts";

const ID_RE = /^[0-9a-f]{64}$/;

/** A 32-byte ID from a path parameter (case-insensitive hex), or a 400. */
export function parseIdParam(value: string | undefined, what = "message ID"): Uint8Array {
  const lower = (value ?? "").toLowerCase();
  if (!ID_RE.test(lower)) throw badRequest(`invalid ${what}: ${value ?? ""}: must be 64 hex characters`);
  return Buffer.from(lower, "hex");
}

/** A u32 milestone index from a path parameter, or a 400. */
export function parseMilestoneIndex(value: string | undefined): number {
  if (!/^\d{1,10}$/.test(value ?? "") || Number(value) > 0xffffffff || Number(value) === 0) {
    throw badRequest(`invalid milestone index: ${value ?? ""}`);
  }
  return Number(value);
}
