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
