import { decodeAddress } from "../../protocol/bech32.ts";
import { isProtocolError } from "../../protocol/errors.ts";
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

const OUTPUT_ID_RE = /^[0-9a-f]{68}$/;

/** A 34-byte output ID from a path parameter, or a 400. */
export function parseOutputIdParam(value: string | undefined): Uint8Array {
  const lower = (value ?? "").toLowerCase();
  if (!OUTPUT_ID_RE.test(lower))
    throw badRequest(`invalid output ID: ${value ?? ""}: must be 68 hex characters`);
  return Buffer.from(lower, "hex");
}

/** A bech32 Ed25519 address of this network (its HRP), as the 32 address bytes, or a 400. */
export function parseBech32Param(value: string | undefined, hrp: string): Uint8Array {
  const text = (value ?? "").toLowerCase();
  let decoded: ReturnType<typeof decodeAddress>;
  try {
    decoded = decodeAddress(text);
  } catch (err) {
    if (isProtocolError(err)) throw badRequest(`invalid address: ${value ?? ""}: ${err.message}`);
    throw err;
  }
  if (decoded.hrp !== hrp)
    throw badRequest(`invalid address: ${value ?? ""}: human-readable part is not this network's "${hrp}"`);
  return decoded.address.address;
}

/** A u32 from a path parameter (a migratedAt index may be 0), or a 400. */
export function parseU32Param(value: string | undefined, what: string): number {
  if (!/^\d{1,10}$/.test(value ?? "") || Number(value) > 0xffffffff)
    throw badRequest(`invalid ${what}: ${value ?? ""}`);
  return Number(value);
}
