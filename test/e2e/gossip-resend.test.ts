// A message a node acknowledged while its only peer was down reaches that peer when it comes back,
// even when nothing else is sent: a node sends a peer that connects the newest messages nothing
// references yet. Without it the coordinator (node 0 here) would never see, nor reference, a message
// node 1 took while node 0 was away.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { IndexationPayload } from "../../src/protocol/types.ts";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import { waitFor } from "../helpers/devnet.ts";
import { data, info, metadata, mineMessage, postMessage } from "../helpers/ledger.ts";

describe("gossip: unreferenced messages sent to a peer that comes back", () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(2, { milestoneInterval: "1s" });
    await waitFor(
      async () => (await info(cluster.nodes[1]!)).confirmedMilestoneIndex >= 2,
      60_000,
      "node 1 confirming",
    );
  });

  after(async () => {
    await cluster?.stop();
  });

  it("a message node 1 stored while the coordinator's node was down is on node 0 and confirmed after its restart", async (t) => {
    const [coo, node1] = [cluster.nodes[0]!, cluster.nodes[1]!];
    await coo.running!.stop("SIGKILL");
    const tips = await data<{ tipMessageIds: string[] }>(`${node1.url}/api/v1/tips`);
    const payload: IndexationPayload = {
      type: 2,
      index: Buffer.from("resend"),
      data: Buffer.from("while away"),
    };
    const mined = mineMessage(tips.tipMessageIds, payload);
    const posted = await postMessage(node1, mined.bytes);
    assert.equal(posted.status, 201, posted.body);

    await cluster.restart(0);
    const started = Date.now();
    // Nothing else is posted: only the resend on connect can bring it to node 0.
    const meta = await waitFor(
      async () => {
        const m = await metadata(coo, mined.id);
        return m?.referencedByMilestoneIndex !== undefined ? m : undefined;
      },
      30_000,
      "the message on node 0, referenced by a milestone",
    );
    t.diagnostic(
      `on node 0 and referenced by milestone ${meta.referencedByMilestoneIndex} ${Date.now() - started} ms after its restart`,
    );
    assert.equal(meta.ledgerInclusionState, "noTransaction");
    const onNode1 = await waitFor(
      async () => {
        const m = await metadata(node1, mined.id);
        return m?.referencedByMilestoneIndex !== undefined ? m : undefined;
      },
      30_000,
      "referenced on node 1 too",
    );
    assert.equal(onNode1.referencedByMilestoneIndex, meta.referencedByMilestoneIndex);
  });
});
