// `stinger devnet` with pruning and local snapshots: `--keep-milestones` sets every node's keep window
// (below tipsel.belowMaxDepth is a usage error), and `--nodes 2` on an existing DIR starts the new node
// from node 0's latest snapshot, then it syncs the rest from node 0.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BIN, removeDir, startDevnet, tempDir, waitFor } from "../helpers/devnet.ts";
import { getFrom } from "../helpers/http.ts";

interface Info {
  confirmedMilestoneIndex: number;
  pruningIndex: number;
  isHealthy: boolean;
}

async function infoOf(url: string): Promise<Info> {
  const r = await getFrom(url, "/api/v1/info");
  return (JSON.parse(r.body) as { data: Info }).data;
}

describe("devnet snapshots and pruning", () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it("refuses a keep window below belowMaxDepth with a one-line usage error", () => {
    const r = spawnSync(process.execPath, [BIN, "devnet", "--data-dir", dir, "--keep-milestones", "3"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--keep-milestones/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  });

  it("prunes behind the keep window, and a node added later starts from node 0's snapshot", async () => {
    // 0.2 s milestones: node 0 takes its local snapshot (every 50 milestones) within seconds.
    const first = await startDevnet({
      dataDir: dir,
      milestoneInterval: 0.2,
      extraArgs: ["--keep-milestones", "20"],
      timeoutMs: 60_000,
    });
    try {
      const pruned = await waitFor(
        async () => {
          const i = await infoOf(first.url);
          return i.pruningIndex > 0 ? i : undefined;
        },
        60_000,
        "node 0 pruning",
      );
      assert.ok(pruned.confirmedMilestoneIndex - pruned.pruningIndex >= 20, JSON.stringify(pruned));
    } finally {
      assert.equal(await first.stop(), 0, first.stderr().slice(-1500));
    }
    assert.ok(!existsSync(join(dir, "node1")), "no node 1 yet");

    const second = await startDevnet({
      dataDir: dir,
      milestoneInterval: 0.2,
      nodes: 2,
      extraArgs: ["--keep-milestones", "20"],
      timeoutMs: 60_000,
    });
    try {
      const nodeUrl = second.nodeUrls[0]!;
      const joined = await waitFor(
        async () => {
          const [a, b] = await Promise.all([infoOf(second.url), infoOf(nodeUrl)]);
          return b.isHealthy && b.confirmedMilestoneIndex >= a.confirmedMilestoneIndex - 1 ? b : undefined;
        },
        60_000,
        `node 1 synced\n${second.stderr().slice(-3000)}`,
      );
      // It holds nothing below node 0's snapshot: it started there, not from the genesis.
      assert.ok(joined.pruningIndex > 0, `node 1 started at ${joined.pruningIndex}`);
      assert.ok(existsSync(join(dir, "node1", "snapshots", "full_snapshot.bin")));
    } finally {
      assert.equal(await second.stop(), 0, second.stderr().slice(-1500));
    }
  });
});
