// The HAProxy engine's rendering: every configuration it writes passes `haproxy -c` (a fixed full one
// and random gateway configs), and what HAProxy cannot express is refused naming the key.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { type GatewayConfig, gatewayConfigSchema } from "../../src/config/gateway.ts";
import { hashApiKey } from "../../src/gateway/auth.ts";
import { ensureDevCertificate } from "../../src/gateway/dev-cert.ts";
import { CERT_FILE, renderHaproxy } from "../../src/gateway/haproxy/render.ts";
import { assertHaproxyCanRun, checkHaproxyConfig } from "../../src/gateway/haproxy/supervisor.ts";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

const dir = tempDir();
const cert = ensureDevCertificate(join(dir, "tls"));

/** Renders into a fresh run folder (with the joined certificate) and returns `haproxy -c`'s verdict. */
function validate(config: GatewayConfig, name: string): string | null {
  const runDir = join(dir, name);
  mkdirSync(runDir, { recursive: true });
  for (const [file, text] of Object.entries(renderHaproxy(config, runDir)))
    writeFileSync(join(runDir, file), text);
  writeFileSync(join(runDir, CERT_FILE), `${spawnSync("cat", [cert.certFile, cert.keyFile]).stdout}`);
  return checkHaproxyConfig("haproxy", join(runDir, "haproxy.cfg"));
}

const parse = (input: Record<string, unknown>) =>
  gatewayConfigSchema.parse({
    bindAddress: "127.0.0.1:18443",
    adminBindAddress: "127.0.0.1:19312",
    ...input,
  });

after(() => {
  // STINGER_KEEP=1 keeps the rendered folders for a look at what haproxy -c refused.
  if (!process.env.STINGER_KEEP) removeDir(dir);
});

describe("HAProxy rendering", () => {
  it("renders a full config that haproxy -c accepts, with the policy in it", () => {
    const config = parse({
      upstreams: [{ url: "http://127.0.0.1:14265", agentCheck: "127.0.0.1:14290" }, "http://[::1]:14266"],
      upgradeUpstreams: ["http://127.0.0.1:1888"],
      tls: { certFile: cert.certFile, keyFile: cert.keyFile, profile: "modern", hstsMaxAge: 600 },
      trustedProxies: ["10.0.0.5", "fd00::/8"],
      ipFilter: { allow: ["127.0.0.0/8", "10.0.0.0/8"], deny: ["127.0.0.3"] },
      routes: {
        scopes: [
          { routes: ["/api/plugins/*"], scope: "plugins.read" },
          { routes: ["/api/v1/peers*"], scope: "peers" },
        ],
      },
      auth: {
        apiKeys: [{ name: "ops", sha256: hashApiKey("k"), rateMultiplier: 2.5, scopes: ["peers"] }],
        jwt: {
          hs256Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==",
          issuer: 'm"e$\\',
          audience: "you",
        },
      },
      rateLimit: { capacity: 100, refillPerSecond: 7, submitCost: 3, powSubmitCost: 40 },
      limits: { maxConnectionsPerClient: 9, bodyLength: 4096 },
      workers: 2,
    });
    assert.equal(validate(config, "full"), null);
    const cfg = renderHaproxy(config, "/run/x")["haproxy.cfg"];
    assert.match(cfg, /ssl-min-ver TLSv1\.3/);
    assert.match(cfg, /nbthread 2/);
    assert.match(cfg, /agent-check agent-addr 127\.0\.0\.1 agent-port 14290/);
    assert.match(cfg, /sc1_conn_cur gt 9/);
    assert.match(cfg, /content-length\) gt 4096/);
    assert.match(cfg, /max-age=600/);
    assert.match(
      cfg,
      /use_backend websockets if is_ws[\s\S]*backend websockets[\s\S]*server 127\.0\.0\.1:1888/,
    );
    assert.match(cfg, /errorfile 503 \/run\/x\/error-503\.http/);
    // 100 tokens refilled at 7/s: 100 per ceil(100/7) = 15 s.
    assert.match(cfg, /gpc_rate\(3,15s\)/);
    assert.equal(renderHaproxy(config, "/run/x")["limits.map"], "key:ops 250\n");
    // Each scope an ACL: the keys carrying it, and a word of the token's scope claim.
    assert.match(cfg, /acl has_scope_1 var\(txn\.principal\) -m str "key:ops"/);
    assert.match(cfg, /acl has_scope_0 var\(txn\.jwt_scope\) -m reg '\(\^\| \)plugins\\\.read\( \|\$\)'/);
    assert.match(cfg, /scope_group_1 !scope_group_0 !has_scope_1/);
  });

  it("renders random gateway configs that haproxy -c accepts", () => {
    const cidr = fc.constantFrom("10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1", "172.16.0.0/12");
    const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\s\0]/.test(s));
    const route = fc.constantFrom(
      "/health",
      "/api/v1/*",
      "/api/plugins/faucet/*",
      "/a.b+c?*",
      "^/api/v[12]/x$",
    );
    let n = 0;
    fc.assert(
      fc.property(
        fc.record({
          trustedProxies: fc.array(cidr, { maxLength: 3 }),
          ipFilter: fc.record({
            allow: fc.array(cidr, { maxLength: 2 }),
            deny: fc.array(cidr, { maxLength: 2 }),
          }),
          routes: fc.record({
            public: fc.array(route, { maxLength: 3 }),
            protected: fc.array(route, { maxLength: 3 }),
          }),
          names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { maxLength: 3 }),
          multiplier: fc.double({ min: 0.1, max: 10, noNaN: true }),
          capacity: fc.integer({ min: 1, max: 100_000 }),
          refill: fc.double({ min: 0.01, max: 10_000, noNaN: true }),
          costs: fc.tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 })),
          caps: fc.tuple(
            fc.integer({ min: 1, max: 1000 }),
            fc.integer({ min: 1, max: 50 }),
            fc.integer({ min: 1, max: 50 }),
          ),
          ms: fc.integer({ min: 1, max: 600_000 }),
          tls: fc.boolean(),
          jwt: fc.option(
            fc.record({ secret: fc.stringMatching(/^[A-Za-z0-9+/=._~-]{32,48}$/), issuer: fc.option(text) }),
          ),
          ipv6PrefixLength: fc.integer({ min: 1, max: 128 }),
        }),
        (r) => {
          const config = parse({
            upstreams: ["http://127.0.0.1:14265"],
            trustedProxies: r.trustedProxies,
            ipFilter: r.ipFilter,
            routes: r.routes,
            auth: {
              apiKeys: r.names.map((name, i) => ({
                name,
                sha256: hashApiKey(`key${i}`),
                rateMultiplier: r.multiplier,
              })),
              ...(r.jwt
                ? { jwt: { hs256Secret: r.jwt.secret, ...(r.jwt.issuer ? { issuer: r.jwt.issuer } : {}) } }
                : {}),
            },
            rateLimit: {
              capacity: r.capacity,
              refillPerSecond: r.refill,
              submitCost: r.costs[0],
              powSubmitCost: r.costs[1],
              maxPowSubmitsPerClient: r.caps[1],
              ipv6PrefixLength: r.ipv6PrefixLength,
            },
            limits: {
              maxConnectionsPerClient: r.caps[0],
              maxWebSocketsPerClient: r.caps[2],
              headersTimeoutMs: r.ms,
            },
            ...(r.tls ? { tls: { certFile: cert.certFile, keyFile: cert.keyFile } } : {}),
          });
          // A window beyond HAProxy's timers is refused by name (found by this property); the rest must render.
          if (Math.ceil(r.capacity / r.refill) * 2000 > 2 ** 31 - 1) {
            assert.throws(() => assertHaproxyCanRun(config), /^ConfigError|rateLimit\.refillPerSecond/);
            return;
          }
          assertHaproxyCanRun(config);
          const verdict = validate(config, `random-${n++}`);
          assert.equal(verdict, null, `haproxy -c refused ${JSON.stringify(r)}: ${verdict}`);
        },
      ),
      { numRuns: 40, seed: Number(process.env.STINGER_FUZZ_SEED ?? 20261202) },
    );
  });

  it("refuses what HAProxy cannot express, naming the key, with exit 2 from the CLI", () => {
    const base = { upstreams: ["http://127.0.0.1:14265"] };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ rateLimit: { redis: { url: "redis://127.0.0.1:6379" } } }, /^rateLimit\.redis: /],
      [{ kernelBan: { enabled: true } }, /^kernelBan\.enabled: /],
      [{ auth: { jwt: { eddsaPublicKeyPem: "x" } } }, /^auth\.jwt\.eddsaPublicKeyPem: /],
      [{ routes: { scopes: [{ routes: ["/api/plugins/*"], scope: "two words" }] } }, /^routes\.scopes: /],
      [{ rateLimit: { submitCost: 2.5 } }, /^rateLimit\.submitCost: /],
      [
        { auth: { jwt: { hs256Secret: "has,a comma and (parens) in it......" } } },
        /^auth\.jwt\.hs256Secret: /,
      ],
      [{ upstreams: ["https://127.0.0.1:14265"] }, /^upstreams\[0\]: /],
      [{ bindAddress: "127.0.0.1:0" }, /^bindAddress: .*fixed port/],
    ];
    for (const [input, message] of cases)
      assert.throws(
        () => assertHaproxyCanRun(parse({ ...base, ...input })),
        (e: Error) => message.test(e.message),
      );
    const file = join(dir, "redis.json");
    writeFileSync(file, JSON.stringify({ ...base, rateLimit: { redis: { url: "redis://127.0.0.1:6379" } } }));
    for (const args of [["--engine", "haproxy"], ["--print-haproxy"]]) {
      const r = spawnSync(process.execPath, [BIN, "gateway", "--config", file, ...args], {
        encoding: "utf8",
      });
      assert.equal(r.status, 2);
      assert.deepEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /^stinger: rateLimit\.redis: not supported with --engine haproxy/);
    }
    const bad = spawnSync(process.execPath, [BIN, "gateway", "--config", file, "--engine", "nginx"], {
      encoding: "utf8",
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--engine: must be node or haproxy/);
  });
});
