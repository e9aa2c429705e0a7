// Scopes per protected route group (401 without credentials, 403 without the scope) and one
// anonymous rate-limit bucket per IPv6 /64. Once per engine (node, HAProxy).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { hashApiKey } from "../../src/gateway/auth.ts";
import {
  engineArgs,
  GATEWAY_ENGINES,
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGateway,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { gatewayBinds } from "../helpers/gateway-binds.ts";
import { getFrom as call } from "../helpers/http.ts";
import { jwtFor } from "../helpers/peers.ts";

// Base64-alphabet characters only: the HAProxy engine puts the secret inside a sample expression.
const SECRET = "a-gateway-jwt-secret-of-at-least-32-bytes";
const jwt = (scope?: string) =>
  new SignJWT(scope ? { scope } : {})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("tester")
    .setExpirationTime("10m")
    .sign(Buffer.from(SECRET));

for (const engine of GATEWAY_ENGINES)
  describe(`gateway: route scopes and IPv6 /64 rate-limit keys (engine ${engine})`, () => {
    let devnet: RunningDevnet;
    let gateway: RunningGateway;
    const dir = tempDir();
    let nodeToken = "";

    before(async () => {
      devnet = await startDevnet({ minPoWScore: 1 });
      nodeToken = jwtFor(devnet.dataDir);
      writeFileSync(
        join(dir, "gateway.json"),
        JSON.stringify({
          ...(await gatewayBinds(engine)),
          upstreams: [devnet.url],
          trustedProxies: ["127.0.0.2"],
          routes: {
            scopes: [
              { routes: ["/api/plugins/*"], scope: "plugins" },
              { routes: ["/api/v1/peers*"], scope: "peers" },
            ],
          },
          auth: {
            apiKeys: [
              { name: "reader", sha256: hashApiKey("reader-key-0123456789") },
              { name: "plugins", sha256: hashApiKey("plugins-key-0123456789"), scopes: ["plugins"] },
            ],
            jwt: { hs256Secret: SECRET },
          },
          rateLimit: { capacity: 5, refillPerSecond: 0.001 },
          logger: { level: "warn" },
        }),
      );
      gateway = await startGateway(
        join(dir, "gateway.json"),
        30_000,
        undefined,
        undefined,
        engineArgs(engine),
      );
      await waitFor(async () => (await call(gateway.url, "/health")).status === 200, 20_000, "healthy node");
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
      removeDir(dir);
    });

    it("401 without credentials, 403 with valid ones lacking the route group's scope, through with it", async () => {
      const path = "/api/plugins/stinger/load";
      const as = (headers: Record<string, string>, localAddress: string) =>
        call(gateway.url, path, { headers, localAddress });
      const none = await as({}, "127.0.1.1");
      assert.equal(none.status, 401);
      assert.deepEqual(JSON.parse(none.body), { error: { code: "401", message: "unauthorized" } });
      const noScope = await as({ "x-api-key": "reader-key-0123456789" }, "127.0.1.2");
      assert.equal(noScope.status, 403);
      assert.deepEqual(JSON.parse(noScope.body), { error: { code: "403", message: "forbidden" } });
      assert.equal((await as({ authorization: `Bearer ${await jwt("peers")}` }, "127.0.1.3")).status, 403);
      assert.equal((await as({ "x-api-key": "wrong" }, "127.0.1.4")).status, 401);
      // With the scope the gateway forwards; the node checks its own token (sent alongside the gateway key).
      const ok = await as(
        { "x-api-key": "plugins-key-0123456789", authorization: `Bearer ${nodeToken}` },
        "127.0.1.5",
      );
      assert.equal(ok.status, 200, ok.body);
      assert.ok(JSON.parse(ok.body).data.pow);
      // A JWT with the scope passes the gateway too; the node then refuses the gateway's token as its own.
      const viaJwt = await as({ authorization: `Bearer ${await jwt("plugins other")}` }, "127.0.1.6");
      assert.equal(viaJwt.status, 401);
      assert.match(viaJwt.body, /jwt/i);
      // Another group needs its own scope; public routes need none.
      const peers = await call(gateway.url, "/api/v1/peers", {
        headers: { "x-api-key": "plugins-key-0123456789" },
        localAddress: "127.0.1.8",
      });
      assert.equal(peers.status, 403);
      assert.equal((await call(gateway.url, "/api/v1/info", { localAddress: "127.0.1.9" })).status, 200);
    });

    it("puts anonymous IPv6 clients of one /64 in one bucket", async () => {
      // Behind a trusted proxy, X-Forwarded-For carries the client's IPv6 address.
      const from = (ip: string) =>
        call(gateway.url, "/api/v1/info", { localAddress: "127.0.0.2", headers: { "x-forwarded-for": ip } });
      // Five requests from five addresses in 2001:db8:1:2::/64 use up its bucket of five...
      for (let i = 1; i <= 5; i++) assert.equal((await from(`2001:db8:1:2::${i}`)).status, 200);
      const sixth = await from("2001:db8:1:2:ffff:ffff:ffff:ffff");
      assert.equal(sixth.status, 429);
      assert.ok(Number(sixth.headers["retry-after"]) >= 1);
      // ...while the next /64 has its own.
      assert.equal((await from("2001:db8:1:3::1")).status, 200);
    });
  });
