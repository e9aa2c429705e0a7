// `stinger node --config FILE`: a node with its coordinator keys from COO_PRV_KEYS (Hornet's form) and
// remote PoW switched off, answering clients with Hornet's clear 400s.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mineNonce, powDigest, targetTrailingZeros } from "../../src/protocol/curl/pow.ts";
import { networkIdFromName, serializeMessage } from "../../src/protocol/message.ts";
import { type RunningNode, removeDir, startNode, tempDir, waitFor } from "../helpers/devnet.ts";

// Hornet's published private-tangle coordinator test keys (shared/reference §12.5): seed || public key.
const KEYS = [
  [
    "651941eddb3e68cb1f6ef4ef5b04625dcf5c70de1fdc4b1c9eadb2c219c074e0",
    "ed3c3f1a319ff4e909cf2771d79fece0ac9bd9fd2ee49ea6c0885c9cb3b1248c",
  ],
  [
    "0e324c6ff069f31890d496e9004636fd73d8e8b5bea08ec58a4178ca85462325",
    "f6752f5f46a53364e2ee9c4d662d762a81efd51010282a75cd6bd03f28ef349c",
  ],
];

describe("stinger node --config with remote PoW disabled", () => {
  const dir = tempDir();
  let node: RunningNode;
  let url = "";

  before(async () => {
    const config = {
      protocol: {
        networkID: "private_tangle1",
        minPoWScore: 1,
        milestonePublicKeyCount: 2,
        publicKeyRanges: KEYS.map(([, pub]) => ({ key: pub, start: 0, end: 0 })),
      },
      restAPI: { bindAddress: "127.0.0.1:0", powEnabled: false, limits: { maxResults: 2 } },
      coordinator: { enabled: true, interval: "1s" },
      prometheus: { enabled: false },
      p2p: { bindMultiAddresses: ["/ip4/127.0.0.1/tcp/0"] },
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    node = await startNode(join(dir, "config.json"), {
      COO_PRV_KEYS: KEYS.map(([seed, pub]) => seed + pub).join(","),
    });
    url = node.url;
  });

  after(async () => {
    assert.equal(await node.stop("SIGTERM"), 0);
    removeDir(dir);
  });

  it("issues milestones signed with the Hornet test keys", async () => {
    const ms1 = (await (await fetch(`${url}/api/v1/milestones/1`)).json()) as { data: { messageId: string } };
    const msg = (await (await fetch(`${url}/api/v1/messages/${ms1.data.messageId}`)).json()) as {
      data: { payload: { publicKeys: string[]; signatures: string[] } };
    };
    assert.deepEqual(msg.data.payload.publicKeys, [KEYS[0]![1], KEYS[1]![1]]);
    assert.equal(msg.data.payload.signatures.length, 2);
    await waitFor(
      async () => {
        const info = (await (await fetch(`${url}/api/v1/info`)).json()) as {
          data: { confirmedMilestoneIndex: number };
        };
        return info.data.confirmedMilestoneIndex >= 2;
      },
      15_000,
      "milestone 2",
    );
  });

  it("info has no PoW feature", async () => {
    const info = (await (await fetch(`${url}/api/v1/info`)).json()) as { data: { features: string[] } };
    assert.deepEqual(info.data.features, []);
  });

  it("a submit without parents gets Hornet's 400", async () => {
    const res = await fetch(`${url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payload: { type: 2, index: "aa", data: "bb" } }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "400");
    assert.match(body.error.message, /no parents given and node PoW is disabled/);
  });

  it("a submit without a nonce gets Hornet's 400", async () => {
    const tips = (await (await fetch(`${url}/api/v1/tips`)).json()) as { data: { tipMessageIds: string[] } };
    // Find a message whose nonce-0 score is below the minimum (almost all are at score 1).
    let saw = false;
    for (let i = 0; i < 10 && !saw; i++) {
      const res = await fetch(`${url}/api/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          parentMessageIds: tips.data.tipMessageIds,
          payload: { type: 2, index: "aa", data: `0${i}` },
        }),
      });
      const body = (await res.json()) as { error?: { message: string } };
      if (res.status === 400) {
        assert.match(body.error!.message, /proof of work is not enabled on this node/);
        saw = true;
      }
    }
    assert.ok(saw);
  });

  it("list responses stop at restAPI.limits.maxResults", async () => {
    const tips = (await (await fetch(`${url}/api/v1/tips`)).json()) as { data: { tipMessageIds: string[] } };
    const parents = tips.data.tipMessageIds.map((h) => Buffer.from(h, "hex"));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Client-side PoW with stinger's own protocol library, as any client would do it.
      const msg = {
        networkId: networkIdFromName("private_tangle1"),
        parents,
        payload: { type: 2 as const, index: Buffer.from("limit"), data: Buffer.from([i]) },
        nonce: 0n,
      };
      const unmined = serializeMessage(msg);
      const nonce = mineNonce(powDigest(unmined), targetTrailingZeros(unmined.length, 1), 1n, 1_000_000)!;
      const res = await fetch(`${url}/api/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: serializeMessage({ ...msg, nonce }),
      });
      assert.equal(res.status, 201);
      ids.push(((await res.json()) as { data: { messageId: string } }).data.messageId);
    }
    const found = (await (
      await fetch(`${url}/api/v1/messages?index=${Buffer.from("limit").toString("hex")}`)
    ).json()) as {
      data: { maxResults: number; count: number; messageIds: string[] };
    };
    assert.equal(found.data.maxResults, 2);
    assert.equal(found.data.count, 2);
    assert.ok(found.data.messageIds.every((id) => ids.includes(id)));
    const children = (await (
      await fetch(`${url}/api/v1/messages/${tips.data.tipMessageIds[0]}/children`)
    ).json()) as {
      data: { count: number; childrenMessageIds: string[] };
    };
    assert.equal(children.data.count, 2);
  });
});

describe("a node that has seen no milestone", () => {
  const dir = tempDir();
  let node: RunningNode;
  let url = "";

  before(async () => {
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        restAPI: { bindAddress: "127.0.0.1:0" },
        prometheus: { enabled: false },
        p2p: { enabled: false },
      }),
    );
    node = await startNode(join(dir, "config.json"));
    url = node.url;
  });

  after(async () => {
    assert.equal(await node.stop("SIGINT"), 0);
    removeDir(dir);
  });

  it("is unhealthy and answers 503 where Hornet does", async () => {
    assert.equal((await fetch(`${url}/health`)).status, 503);
    const info = (await (await fetch(`${url}/api/v1/info`)).json()) as {
      data: { isHealthy: boolean; latestMilestoneIndex: number };
    };
    assert.equal(info.data.isHealthy, false);
    assert.equal(info.data.latestMilestoneIndex, 0);
    assert.equal((await fetch(`${url}/api/v1/tips`)).status, 503);
    const post = await fetch(`${url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payload: null }),
    });
    assert.equal(post.status, 503);
    assert.deepEqual(await post.json(), { error: { code: "503", message: "node is not synced" } });
  });
});
