// Credentials for protected routes: API keys (stored only as SHA-256) and JWTs verified with jose.
import { createHash, createPublicKey, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { StingerError } from "../util/errors.ts";

export interface ApiKeyEntry {
  name: string;
  /** hex SHA-256 of the key */
  sha256: string;
  /** multiplies the client's rate limit */
  rateMultiplier?: number;
  scopes?: string[];
}

export interface AuthConfig {
  apiKeys: ApiKeyEntry[];
  jwt?: { hs256Secret?: string; eddsaPublicKeyPem?: string; issuer?: string; audience?: string };
}

export type AuthResult =
  | { kind: "none" }
  | { kind: "ok"; principal: string; scopes: string[]; rateMultiplier: number }
  | { kind: "denied"; status: 401 | 403; reason: string };

export interface AuthHeaders {
  authorization?: string;
  "x-api-key"?: string;
}

// RFC 7518 §3.2: an HS256 key shorter than the hash output weakens the MAC.
const MIN_HS256_SECRET_BYTES = 32;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

interface CompiledKey {
  name: string;
  digest: Buffer;
  scopes: string[];
  rateMultiplier: number;
}

function configError(message: string): StingerError {
  return new StingerError("gateway_config", `auth: ${message}`);
}

function compileKeys(entries: ApiKeyEntry[]): CompiledKey[] {
  const names = new Set<string>();
  const digests = new Set<string>();
  return entries.map((e, i) => {
    if (typeof e.name !== "string" || e.name === "") throw configError(`apiKeys[${i}]: name is required`);
    if (names.has(e.name)) throw configError(`apiKeys[${i}]: duplicate name "${e.name}"`);
    if (typeof e.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(e.sha256)) {
      throw configError(`apiKeys "${e.name}": sha256 must be 64 hex characters (use hashApiKey)`);
    }
    const hex = e.sha256.toLowerCase();
    // Two names for one key would make the principal depend on list order.
    if (digests.has(hex)) throw configError(`apiKeys "${e.name}": same key hash as another entry`);
    const m = e.rateMultiplier ?? 1;
    if (typeof m !== "number" || !Number.isFinite(m) || m <= 0) {
      throw configError(`apiKeys "${e.name}": rateMultiplier must be a positive number`);
    }
    names.add(e.name);
    digests.add(hex);
    return {
      name: e.name,
      digest: Buffer.from(hex, "hex"),
      scopes: [...(e.scopes ?? [])],
      rateMultiplier: m,
    };
  });
}

interface JwtVerifier {
  algorithms: string[];
  keyFor(alg: string): KeyObject;
  issuer: string | undefined;
  audience: string | undefined;
}

function compileJwt(cfg: NonNullable<AuthConfig["jwt"]>): JwtVerifier {
  let hs: KeyObject | undefined;
  let ed: KeyObject | undefined;
  if (cfg.hs256Secret !== undefined) {
    if (Buffer.byteLength(cfg.hs256Secret, "utf8") < MIN_HS256_SECRET_BYTES) {
      throw configError(`jwt.hs256Secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
    }
    hs = createSecretKey(Buffer.from(cfg.hs256Secret, "utf8"));
  }
  if (cfg.eddsaPublicKeyPem !== undefined) {
    try {
      ed = createPublicKey(cfg.eddsaPublicKeyPem);
    } catch (err) {
      throw new StingerError("gateway_config", "auth: jwt.eddsaPublicKeyPem is not a PEM public key", {
        cause: err,
      });
    }
    if (ed.asymmetricKeyType !== "ed25519" && ed.asymmetricKeyType !== "ed448") {
      throw configError(`jwt.eddsaPublicKeyPem is a ${ed.asymmetricKeyType} key, expected Ed25519 or Ed448`);
    }
  }
  if (hs === undefined && ed === undefined) {
    throw configError("jwt needs hs256Secret and/or eddsaPublicKeyPem");
  }
  // The allow-list is what stops "alg: none" and HS256-signed-with-the-public-key confusion.
  const algorithms = [...(hs ? ["HS256"] : []), ...(ed ? ["EdDSA"] : [])];
  return {
    algorithms,
    keyFor: (alg) => {
      const key = alg === "HS256" ? hs : alg === "EdDSA" ? ed : undefined;
      // jose already enforces `algorithms`; this keeps a missing key from reaching it as undefined.
      if (key === undefined) throw new Error("algorithm not configured");
      return key;
    },
    issuer: cfg.issuer,
    audience: cfg.audience,
  };
}

function scopesOf(payload: JWTPayload): string[] | null {
  const out: string[] = [];
  const { scope, scopes } = payload as { scope?: unknown; scopes?: unknown };
  if (scope !== undefined) {
    if (typeof scope !== "string") return null;
    out.push(...scope.split(" ").filter((s) => s !== ""));
  }
  if (scopes !== undefined) {
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) return null;
    out.push(...(scopes as string[]));
  }
  return [...new Set(out)];
}

const denied = (status: 401 | 403, reason: string): AuthResult => ({ kind: "denied", status, reason });

/**
 * "none" means no credential this gateway understands: unknown schemes, and Bearer tokens when JWT is not
 * configured, pass through untouched (they may be meant for the node). X-API-Key wins over Authorization
 * so a client can send a gateway key alongside a node's own token.
 */
export function createAuthenticator(
  cfg: AuthConfig,
): (headers: AuthHeaders, requiredScope?: string) => Promise<AuthResult> {
  const keys = compileKeys(cfg.apiKeys ?? []);
  const jwt = cfg.jwt ? compileJwt(cfg.jwt) : undefined;
  const zero = Buffer.alloc(32);

  function checkApiKey(presented: string, requiredScope: string | undefined): AuthResult {
    if (presented === "") return denied(401, "invalid_api_key");
    const digest = createHash("sha256").update(presented, "utf8").digest();
    // Compare against every key without stopping early so timing says nothing about which key matched.
    let match: CompiledKey | undefined;
    for (const k of keys) {
      if (timingSafeEqual(digest, k.digest) && match === undefined) match = k;
    }
    // Keep the work constant even with no keys configured.
    if (keys.length === 0) timingSafeEqual(digest, zero);
    if (match === undefined) return denied(401, "invalid_api_key");
    if (requiredScope !== undefined && !match.scopes.includes(requiredScope)) {
      return denied(403, "missing_scope");
    }
    return {
      kind: "ok",
      principal: `key:${match.name}`,
      scopes: [...match.scopes],
      rateMultiplier: match.rateMultiplier,
    };
  }

  async function checkJwt(
    v: JwtVerifier,
    token: string,
    requiredScope: string | undefined,
  ): Promise<AuthResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => v.keyFor(header.alg ?? ""), {
        algorithms: v.algorithms,
        ...(v.issuer !== undefined ? { issuer: v.issuer } : {}),
        ...(v.audience !== undefined ? { audience: v.audience } : {}),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return denied(401, "expired_jwt");
      return denied(401, "invalid_jwt");
    }
    if (typeof payload.sub !== "string" || payload.sub === "") return denied(401, "invalid_jwt");
    const scopes = scopesOf(payload);
    if (scopes === null) return denied(401, "invalid_jwt");
    if (requiredScope !== undefined && !scopes.includes(requiredScope)) return denied(403, "missing_scope");
    return { kind: "ok", principal: `jwt:${payload.sub}`, scopes, rateMultiplier: 1 };
  }

  return async (headers, requiredScope) => {
    const apiKeyHeader = headers["x-api-key"];
    if (typeof apiKeyHeader === "string") return checkApiKey(apiKeyHeader.trim(), requiredScope);
    const authz = headers.authorization;
    if (typeof authz !== "string") return { kind: "none" };
    const m = /^\s*(\S+)(?:\s+(.*))?$/s.exec(authz);
    if (m === null) return { kind: "none" };
    const scheme = m[1]!.toLowerCase();
    const value = (m[2] ?? "").trim();
    if (scheme === "apikey") return checkApiKey(value, requiredScope);
    if (scheme === "bearer" && jwt !== undefined) {
      if (value === "") return denied(401, "invalid_jwt");
      return checkJwt(jwt, value, requiredScope);
    }
    return { kind: "none" };
  };
}
