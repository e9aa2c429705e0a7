// Restart keeps every message and milestone; kill -9 during a stream of submits loses none that got a 201.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { removeDir, startDevnet, tempDir, waitFor } from "../helpers/devnet.ts";

async function submit(url: string, i: number): Promise<string | null> {
  const body = JSON.stringify({
    payload: {
      type: 2,
      index: Buffer.from("persist").toString("hex"),
      data: i.toString(16).padStart(8, "0"),
    },
  });
  try {
    const res = await fetch(`${url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    if (res.status !== 201) return null;
    return ((await res.json()) as { data: { messageId: string } }).data.messageId;
  } catch {
    return null; // connection cut by the kill: not acknowledged
  }
}

async function info(url: string) {
  return (
    (await (await fetch(`${url}/api/v1/info`)).json()) as {
      data: { latestMilestoneIndex: number; confirmedMilestoneIndex: number };
    }
  ).data;
}

describe("persistence", () => {
  it("a clean restart keeps messages, metadata and milestones, and continues the milestone sequence", async () => {
    const dataDir = tempDir();
    try {
      const first = await startDevnet({ dataDir, milestoneInterval: 0.5 });
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await submit(first.url, i))!);
      assert.ok(ids.every(Boolean));
      const last = ids.at(-1)!;
      await waitFor(
        async () => {
          const r = await fetch(`${first.url}/api/v1/messages/${last}/metadata`);
          return ((await r.json()) as { data: { referencedByMilestoneIndex?: number } }).data
            .referencedByMilestoneIndex;
        },
        20_000,
        "last message referenced",
      );
      const before = await info(first.url);
      const milestonesBefore: unknown[] = [];
      for (let i = 1; i <= before.confirmedMilestoneIndex; i++) {
        milestonesBefore.push(await (await fetch(`${first.url}/api/v1/milestones/${i}`)).json());
      }
      assert.equal(await first.stop(), 0);

      const second = await startDevnet({ dataDir, milestoneInterval: 0.5 });
      try {
        for (const id of ids) {
          const r = await fetch(`${second.url}/api/v1/messages/${id}/metadata`);
          assert.equal(r.status, 200);
          const meta = ((await r.json()) as { data: { referencedByMilestoneIndex?: number } }).data;
          assert.ok(meta.referencedByMilestoneIndex! >= 1, `message ${id} lost its confirmation`);
        }
        for (let i = 1; i <= before.confirmedMilestoneIndex; i++) {
          assert.deepEqual(
            await (await fetch(`${second.url}/api/v1/milestones/${i}`)).json(),
            milestonesBefore[i - 1],
          );
        }
        // The coordinator continues at the next index: nothing reissued, nothing skipped.
        const after = await waitFor(
          async () => {
            const now = await info(second.url);
            return now.confirmedMilestoneIndex > before.confirmedMilestoneIndex + 1 ? now : undefined;
          },
          20_000,
          "new milestones after restart",
        );
        for (let i = 1; i <= after.confirmedMilestoneIndex; i++) {
          assert.equal(
            (await fetch(`${second.url}/api/v1/milestones/${i}`)).status,
            200,
            `milestone ${i} missing`,
          );
        }
      } finally {
        await second.stop();
      }
    } finally {
      removeDir(dataDir);
    }
  });

  it("kill -9 during a stream of submits loses no acknowledged message", async () => {
    const dataDir = tempDir();
    try {
      const first = await startDevnet({ dataDir, milestoneInterval: 0.5 });
      const acked: string[] = [];
      let stop = false;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const id = await submit(first.url, w * 1_000_000 + i);
          if (id) acked.push(id);
        }
      });
      await waitFor(async () => acked.length >= 150, 30_000, "150 acknowledged submits");
      await first.kill9();
      stop = true;
      await Promise.all(writers);
      assert.ok(acked.length >= 150);

      const second = await startDevnet({ dataDir, milestoneInterval: 0.5 });
      try {
        for (const id of acked) {
          const r = await fetch(`${second.url}/api/v1/messages/${id}`);
          assert.equal(r.status, 200, `acknowledged message ${id} was lost`);
        }
        const last = acked.at(-1)!;
        await waitFor(
          async () => {
            const r = await fetch(`${second.url}/api/v1/messages/${last}/metadata`);
            return ((await r.json()) as { data: { referencedByMilestoneIndex?: number } }).data
              .referencedByMilestoneIndex;
          },
          20_000,
          "messages from before the kill referenced after restart",
        );
      } finally {
        await second.stop();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
