import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isPublicPort, loadDeployment } from "../../src/audit/deployment.ts";
import { FixtureHost } from "../../src/audit/host.ts";

test("the node's agent-check port is private, from its config or at the devnet default", async () => {
  const root = mkdtempSync(join(tmpdir(), "stinger-deploy-"));
  try {
    mkdirSync(join(root, "etc/stinger"), { recursive: true });
    writeFileSync(
      join(root, "etc/stinger/node.json"),
      JSON.stringify({ restAPI: { agentCheck: { bindAddress: "10.0.0.7:15000" } } }),
    );
    const host = new FixtureHost(root);
    const d = await loadDeployment(host, { nodeConfig: "/etc/stinger/node.json" });
    const agent = d.privatePorts.find((p) => p.service === "node agent-check" && p.port === 15000);
    assert.deepEqual(agent, {
      port: 15000,
      protocol: "tcp",
      service: "node agent-check",
      bindHost: "10.0.0.7",
    });
    assert.ok(d.privatePorts.some((p) => p.port === 14290 && p.service === "node agent-check"));
    assert.equal(isPublicPort(d, 15000, "tcp"), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("the HAProxy engine's peers port is private", async () => {
  const root = mkdtempSync(join(tmpdir(), "stinger-deploy-"));
  try {
    mkdirSync(join(root, "etc/stinger"), { recursive: true });
    const members = [
      { name: "a", address: "10.0.0.1:10000" },
      { name: "b", address: "10.0.0.2:10000" },
    ];
    writeFileSync(
      join(root, "etc/stinger/gateway.json"),
      JSON.stringify({ upstreams: ["http://10.0.0.9:14265"], haproxy: { peers: { local: "a", members } } }),
    );
    const d = await loadDeployment(new FixtureHost(root), { gatewayConfig: "/etc/stinger/gateway.json" });
    assert.ok(
      d.privatePorts.some(
        (p) => p.port === 10000 && p.service === "gateway HAProxy peers" && p.bindHost === "10.0.0.1",
      ),
    );
    assert.equal(isPublicPort(d, 10000, "tcp"), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
