import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { type AuthConfig, type AuthResult, createAuthenticator, hashApiKey } from "../../src/gateway/auth.ts";

const SECRET = "0123456789abcdef0123456789abcdef-test-secret";
const OTHER_SECRET = "fedcba9876543210fedcba9876543210-other-secret";
const ed = generateKeyPairSync("ed25519");
const edPem = ed.publicKey.export({ type: "spki", format: "pem" }).toString();
const otherEd = generateKeyPairSync("ed25519");
const rsaPem = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .publicKey.export({ type: "spki", format: "pem" })
  .toString();

const ADMIN_KEY = "sk_admin_9f8e7d6c5b4a";
const READER_KEY = "sk_reader_1a2b3c4d";

const baseCfg: AuthConfig = {
  apiKeys: [
    { name: "admin", sha256: hashApiKey(ADMIN_KEY), rateMultiplier: 10, scopes: ["admin", "read"] },
    { name: "reader", sha256: hashApiKey(READER_KEY).toUpperCase() },
  ],
  jwt: { hs256Secret: SECRET, eddsaPublicKeyPem: edPem, issuer: "stinger-test", audience: "gateway" },
};

const nowSec = () => Math.floor(Date.now() / 1000);

async function hs256(claims: Record<string, unknown>, opts: { secret?: string; exp?: number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("stinger-test")
    .setAudience("gateway")
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? nowSec() + 300)
    .sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

async function eddsa(claims: Record<string, unknown>, key = ed.privateKey) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA" })
    .setIssuer("stinger-test")
    .setAudience("gateway")
    .setExpirationTime(nowSec() + 300)
    .sign(key);
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("hashApiKey", () => {
  it("is hex SHA-256", () => {
    assert.equal(hashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("createAuthenticator: config", () => {
  const bad: { name: string; cfg: AuthConfig; message: RegExp }[] = [
    { name: "short hash", cfg: { apiKeys: [{ name: "a", sha256: "abcd" }] }, message: /"a".*64 hex/ },
    { name: "non-hex hash", cfg: { apiKeys: [{ name: "a", sha256: "z".repeat(64) }] }, message: /64 hex/ },
    {
      name: "missing name",
      cfg: { apiKeys: [{ name: "", sha256: hashApiKey("k") }] },
      message: /name is required/,
    },
    {
      name: "duplicate name",
      cfg: {
        apiKeys: [
          { name: "a", sha256: hashApiKey("k1") },
          { name: "a", sha256: hashApiKey("k2") },
        ],
      },
      message: /duplicate name "a"/,
    },
    {
      name: "duplicate key hash",
      cfg: {
        apiKeys: [
          { name: "a", sha256: hashApiKey("k") },
          { name: "b", sha256: hashApiKey("k").toUpperCase() },
        ],
      },
      message: /"b": same key hash/,
    },
    {
      name: "zero rate multiplier",
      cfg: { apiKeys: [{ name: "a", sha256: hashApiKey("k"), rateMultiplier: 0 }] },
      message: /rateMultiplier/,
    },
    {
      name: "jwt without keys",
      cfg: { apiKeys: [], jwt: {} },
      message: /hs256Secret and\/or eddsaPublicKeyPem/,
    },
    {
      name: "short HS256 secret",
      cfg: { apiKeys: [], jwt: { hs256Secret: "short" } },
      message: /at least 32 bytes/,
    },
    { name: "garbage PEM", cfg: { apiKeys: [], jwt: { eddsaPublicKeyPem: "nope" } }, message: /not a PEM/ },
    { name: "RSA PEM", cfg: { apiKeys: [], jwt: { eddsaPublicKeyPem: rsaPem } }, message: /rsa key/ },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => assert.throws(() => createAuthenticator(c.cfg), c.message));
  }
});

describe("createAuthenticator: requests", () => {
  const auth = createAuthenticator(baseCfg);
  const hsOnly = createAuthenticator({ apiKeys: [], jwt: { hs256Secret: SECRET } });
  const edOnly = createAuthenticator({ apiKeys: [], jwt: { eddsaPublicKeyPem: edPem } });
  const keysOnly = createAuthenticator({ apiKeys: baseCfg.apiKeys });
  const noKeys = createAuthenticator({ apiKeys: [] });

  type Case = {
    name: string;
    auth?: typeof auth;
    headers: () => Promise<{ authorization?: string; "x-api-key"?: string }>;
    scope?: string;
    want: AuthResult;
  };
  const ok = (principal: string, scopes: string[], rateMultiplier = 1): AuthResult => ({
    kind: "ok",
    principal,
    scopes,
    rateMultiplier,
  });
  const deny = (status: 401 | 403, reason: string): AuthResult => ({ kind: "denied", status, reason });

  const cases: Case[] = [
    // No credentials.
    { name: "no headers", headers: async () => ({}), want: { kind: "none" } },
    {
      name: "unknown scheme passes through",
      headers: async () => ({ authorization: "Basic dTpw" }),
      want: { kind: "none" },
    },
    {
      name: "Bearer without JWT config passes through (may be the node's token)",
      auth: keysOnly,
      headers: async () => ({ authorization: "Bearer abc.def.ghi" }),
      want: { kind: "none" },
    },
    // API keys.
    {
      name: "X-API-Key right",
      headers: async () => ({ "x-api-key": ADMIN_KEY }),
      want: ok("key:admin", ["admin", "read"], 10),
    },
    {
      name: "Authorization: ApiKey right",
      headers: async () => ({ authorization: `ApiKey ${READER_KEY}` }),
      want: ok("key:reader", []),
    },
    {
      name: "scheme is case-insensitive",
      headers: async () => ({ authorization: `apikey  ${READER_KEY} ` }),
      want: ok("key:reader", []),
    },
    {
      name: "X-API-Key wrong",
      headers: async () => ({ "x-api-key": "sk_guess" }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "ApiKey wrong",
      headers: async () => ({ authorization: "ApiKey sk_guess" }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "ApiKey empty",
      headers: async () => ({ authorization: "ApiKey" }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "X-API-Key empty",
      headers: async () => ({ "x-api-key": "" }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "key hash itself is not a key",
      headers: async () => ({ "x-api-key": hashApiKey(ADMIN_KEY) }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "any key with none configured",
      auth: noKeys,
      headers: async () => ({ "x-api-key": ADMIN_KEY }),
      want: deny(401, "invalid_api_key"),
    },
    {
      name: "key with the required scope",
      headers: async () => ({ "x-api-key": ADMIN_KEY }),
      scope: "admin",
      want: ok("key:admin", ["admin", "read"], 10),
    },
    {
      name: "key without the required scope",
      headers: async () => ({ "x-api-key": READER_KEY }),
      scope: "admin",
      want: deny(403, "missing_scope"),
    },
    {
      name: "X-API-Key wins over Authorization",
      headers: async () => ({ "x-api-key": READER_KEY, authorization: "Bearer not-a-jwt" }),
      want: ok("key:reader", []),
    },
    // JWT HS256.
    {
      name: "HS256 valid, scope string",
      headers: async () => ({
        authorization: `Bearer ${await hs256({ sub: "alice", scope: "read admin" })}`,
      }),
      scope: "admin",
      want: ok("jwt:alice", ["read", "admin"]),
    },
    {
      name: "HS256 valid, scopes array",
      headers: async () => ({ authorization: `bearer ${await hs256({ sub: "bob", scopes: ["peers"] })}` }),
      scope: "peers",
      want: ok("jwt:bob", ["peers"]),
    },
    {
      name: "HS256 valid on an HS-only authenticator",
      auth: hsOnly,
      headers: async () => ({ authorization: `Bearer ${await hs256({ sub: "carol" })}` }),
      want: ok("jwt:carol", []),
    },
    {
      name: "HS256 expired",
      headers: async () => ({
        authorization: `Bearer ${await hs256({ sub: "alice" }, { exp: nowSec() - 60 })}`,
      }),
      want: deny(401, "expired_jwt"),
    },
    {
      name: "HS256 wrong secret",
      headers: async () => ({
        authorization: `Bearer ${await hs256({ sub: "alice" }, { secret: OTHER_SECRET })}`,
      }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "HS256 missing scope",
      headers: async () => ({ authorization: `Bearer ${await hs256({ sub: "alice", scope: "read" })}` }),
      scope: "admin",
      want: deny(403, "missing_scope"),
    },
    {
      name: "HS256 rejected when only EdDSA is configured",
      auth: edOnly,
      headers: async () => ({ authorization: `Bearer ${await hs256({ sub: "alice" })}` }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "alg none",
      headers: async () => ({
        authorization: `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "mallory", iss: "stinger-test", aud: "gateway", scope: "admin", exp: nowSec() + 300 })}.`,
      }),
      scope: "admin",
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "wrong issuer",
      headers: async () => ({
        authorization: `Bearer ${await new SignJWT({ sub: "alice" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer("someone-else")
          .setAudience("gateway")
          .setExpirationTime(nowSec() + 60)
          .sign(new TextEncoder().encode(SECRET))}`,
      }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "wrong audience",
      headers: async () => ({
        authorization: `Bearer ${await new SignJWT({ sub: "alice" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer("stinger-test")
          .setAudience("node")
          .setExpirationTime(nowSec() + 60)
          .sign(new TextEncoder().encode(SECRET))}`,
      }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "no sub",
      headers: async () => ({ authorization: `Bearer ${await hs256({ scope: "read" })}` }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "malformed scope claim",
      headers: async () => ({ authorization: `Bearer ${await hs256({ sub: "alice", scopes: "admin" })}` }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "garbage token",
      headers: async () => ({ authorization: "Bearer abc.def.ghi" }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "empty Bearer",
      headers: async () => ({ authorization: "Bearer " }),
      want: deny(401, "invalid_jwt"),
    },
    // JWT EdDSA.
    {
      name: "EdDSA valid",
      headers: async () => ({ authorization: `Bearer ${await eddsa({ sub: "svc-1", scope: "admin" })}` }),
      scope: "admin",
      want: ok("jwt:svc-1", ["admin"]),
    },
    {
      name: "EdDSA valid on an EdDSA-only authenticator",
      auth: edOnly,
      headers: async () => ({ authorization: `Bearer ${await eddsa({ sub: "svc-2" })}` }),
      want: ok("jwt:svc-2", []),
    },
    {
      name: "EdDSA signed by another key",
      headers: async () => ({ authorization: `Bearer ${await eddsa({ sub: "svc-1" }, otherEd.privateKey)}` }),
      want: deny(401, "invalid_jwt"),
    },
    {
      name: "EdDSA rejected when only HS256 is configured",
      auth: hsOnly,
      headers: async () => ({ authorization: `Bearer ${await eddsa({ sub: "svc-1" })}` }),
      want: deny(401, "invalid_jwt"),
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const result = await (c.auth ?? auth)(await c.headers(), c.scope);
      assert.deepEqual(result, c.want);
    });
  }

  it("never echoes the presented key", async () => {
    const r = await auth({ "x-api-key": "sk_secret_do_not_leak" });
    assert.ok(!JSON.stringify(r).includes("sk_secret_do_not_leak"));
  });

  it("returned scopes are copies", async () => {
    const r = await auth({ "x-api-key": ADMIN_KEY });
    assert.equal(r.kind, "ok");
    if (r.kind === "ok") r.scopes.push("root");
    assert.deepEqual(await auth({ "x-api-key": ADMIN_KEY }, "root"), deny(403, "missing_scope"));
  });
});
