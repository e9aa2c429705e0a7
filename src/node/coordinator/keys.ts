import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { ed25519PublicKey, generateEd25519Seed } from "../../protocol/ed25519.ts";
import { fromHex, toHex } from "../../protocol/hex.ts";
import { oneLine, StingerError } from "../../util/errors.ts";

export interface CoordinatorKeyFile {
  /** 32-byte Ed25519 seeds, hex */
  seeds: string[];
}

/**
 * Coordinator keys from Hornet's COO_PRV_KEYS (comma-separated 64-byte seed||public key hex) or from
 * a key file (JSON {"seeds":[hex]}, mode 0600). Returns the 32-byte seeds.
 */
export function parseCooPrivateKeys(value: string): Uint8Array[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((hex, i) => {
      if (!/^[0-9a-fA-F]{64}([0-9a-fA-F]{64})?$/.test(hex)) {
        throw new Error(`COO_PRV_KEYS: key ${i + 1} must be 64 or 128 hex characters`);
      }
      const seed = fromHex(hex.slice(0, 64).toLowerCase());
      if (hex.length === 128 && toHex(ed25519PublicKey(seed)) !== hex.slice(64).toLowerCase()) {
        throw new Error(`COO_PRV_KEYS: key ${i + 1}: public half does not match the seed`);
      }
      return seed;
    });
}

export function readKeyFile(path: string): Uint8Array[] {
  const bad = (why: string) => new StingerError("KEY_INVALID", `${path}: ${why}`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw bad(`not a coordinator key file (JSON {"seeds": [hex]}): ${oneLine((err as Error).message)}`);
  }
  const seeds = (data as Partial<CoordinatorKeyFile> | null)?.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0) throw bad(`needs a non-empty "seeds" array`);
  return seeds.map((s, i) => {
    if (typeof s !== "string" || !/^[0-9a-f]{64}$/.test(s))
      throw bad(`seeds[${i}] must be 64 hex characters`);
    return fromHex(s);
  });
}

/** Loads the key file, or creates one with `count` fresh keys (mode 0600) when it does not exist. */
export function loadOrCreateKeyFile(path: string, count: number): Uint8Array[] {
  if (!existsSync(path)) {
    const seeds = Array.from({ length: count }, () => toHex(generateEd25519Seed()));
    writeFileSync(path, `${JSON.stringify({ seeds } satisfies CoordinatorKeyFile, null, 2)}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  }
  chmodSync(path, 0o600);
  return readKeyFile(path);
}
