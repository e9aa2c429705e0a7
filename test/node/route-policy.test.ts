import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_PROTECTED_ROUTES, DEFAULT_PUBLIC_ROUTES } from "../../src/config/node.ts";
import { createRoutePolicy } from "../../src/node/api/route-policy.ts";

describe("route policy (Hornet's public/protected lists)", () => {
  const policy = createRoutePolicy(DEFAULT_PUBLIC_ROUTES, DEFAULT_PROTECTED_ROUTES);
  const table: [string, string][] = [
    ["/health", "public"],
    ["/api/v1/info", "public"],
    ["/API/V1/INFO", "public"],
    ["/api/v1/messages?index=aa", "public"],
    ["/api/v1/messages/abc/metadata", "public"],
    ["/api/v1/milestones/3", "public"],
    ["/api/v1/addresses/atoi1qxyz", "public"],
    ["/api/v1/addresses/ed25519/abc/outputs", "public"],
    ["/api/v1/addresses/atoi1qxyz/tx-history", "protected"],
    ["/api/v1/peers", "protected"],
    ["/api/v1/infox", "protected"],
    ["/api/plugins/stinger/load", "protected"],
    ["/dashboard", "forbidden"],
    ["/", "forbidden"],
  ];
  for (const [path, expected] of table) {
    it(`${path} is ${expected}`, () => assert.equal(policy(path), expected));
  }
});
