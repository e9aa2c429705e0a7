// Acceptance: the published client @iota/iota.js 1.8.6, unmodified, against a spawned `stinger devnet`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { LocalPowProvider, SingleNodeClient, sendData, serializeMessage } from "@iota/iota.js";
import { Converter, WriteStream } from "@iota/util.js";
import { StingerPowProvider } from "../../src/client/pow-provider.ts";
import { powScore } from "../../src/protocol/curl/pow.ts";
import { type RunningDevnet, removeDir, startDevnet, waitFor } from "../helpers/devnet.ts";

const HEX64 = /^[0-9a-f]{64}$/;

describe("iota.js 1.8.6 against stinger devnet", () => {
  let devnet: RunningDevnet;
  let client: SingleNodeClient;

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 20, milestoneInterval: 2 });
    client = new SingleNodeClient(devnet.url);
  });

  after(async () => {
    const code = await devnet.stop();
    assert.equal(code, 0, `devnet should exit cleanly on SIGTERM; stderr:\n${devnet.stderr()}`);
    removeDir(devnet.dataDir);
  });

  it("health() and info()", async () => {
    assert.equal(await client.health(), true);
    const info = await client.info();
    assert.equal(info.networkId, "private_tangle1");
    assert.equal(info.bech32HRP, "atoi");
    assert.equal(info.minPoWScore, 20);
    assert.ok(info.latestMilestoneIndex >= 1);
    assert.ok(info.confirmedMilestoneIndex >= 1);
    assert.equal(info.isHealthy, true);
    assert.deepEqual(info.features, ["PoW"]);
  });

  it("tips() returns sorted unique message IDs", async () => {
    const { tipMessageIds } = await client.tips();
    assert.ok(tipMessageIds.length >= 1 && tipMessageIds.length <= 4);
    for (const id of tipMessageIds) assert.match(id, HEX64);
    assert.deepEqual([...tipMessageIds].sort(), tipMessageIds);
    assert.equal(new Set(tipMessageIds).size, tipMessageIds.length);
  });

  let remoteId = "";
  it("messageSubmit() with remote PoW, then message() and messageMetadata() until referenced", async () => {
    const index = Converter.utf8ToHex("stinger-remote");
    remoteId = await client.messageSubmit({
      payload: { type: 2, index, data: Converter.utf8ToHex("remote pow") },
    });
    assert.match(remoteId, HEX64);
    const msg = await client.message(remoteId);
    assert.equal(msg.payload?.type, 2);
    assert.equal((msg.payload as { index: string }).index, index);
    assert.ok(msg.parentMessageIds && msg.parentMessageIds.length >= 1);
    assert.match(msg.nonce ?? "", /^\d+$/);
    const meta = await waitFor(
      async () => {
        const m = await client.messageMetadata(remoteId);
        return m.referencedByMilestoneIndex !== undefined ? m : undefined;
      },
      30_000,
      "remote-PoW message to be referenced",
    );
    assert.equal(meta.messageId, remoteId);
    assert.equal(meta.isSolid, true);
    assert.equal(meta.ledgerInclusionState, "noTransaction");
    assert.equal(meta.shouldPromote, undefined);
  });

  let localId = "";
  it("sendData() with LocalPowProvider, retrievable and referenced", async () => {
    const powClient = new SingleNodeClient(devnet.url, { powProvider: new LocalPowProvider() });
    const result = await sendData(powClient, "stinger-local", Converter.utf8ToBytes("local pow"));
    localId = result.messageId;
    assert.match(localId, HEX64);
    const msg = await client.message(localId);
    assert.equal(Converter.hexToUtf8((msg.payload as { data: string }).data), "local pow");
    const meta = await waitFor(
      async () => {
        const m = await client.messageMetadata(localId);
        return m.referencedByMilestoneIndex ? m : undefined;
      },
      30_000,
      "local-PoW message to be referenced",
    );
    const ms = await client.milestone(meta.referencedByMilestoneIndex!);
    assert.equal(ms.index, meta.referencedByMilestoneIndex);
    assert.match(ms.messageId, HEX64);
    assert.ok(ms.timestamp > 1_600_000_000);
    const msMeta = await client.messageMetadata(ms.messageId);
    assert.equal(msMeta.milestoneIndex, ms.index);
    assert.equal(msMeta.referencedByMilestoneIndex, ms.index);
  });

  it("sendData() with stinger's own powProvider plugged into iota.js", async () => {
    const provider = new StingerPowProvider({ workers: 1 });
    try {
      const powClient = new SingleNodeClient(devnet.url, { powProvider: provider });
      const { messageId } = await sendData(powClient, "stinger-provider", Converter.utf8ToBytes("fast pow"));
      const raw = await client.messageRaw(messageId);
      assert.ok(powScore(raw) >= 20, "the nonce reaches the node's minPoWScore");
      assert.match(raw.length > 0 ? messageId : "", HEX64);
    } finally {
      await provider.close();
    }
  });

  it("messageRaw() returns the bytes, and messageSubmitRaw() of them is idempotent", async () => {
    const raw = await client.messageRaw(localId);
    assert.ok(raw instanceof Uint8Array);
    assert.ok(raw.length > 53);
    assert.equal(await client.messageSubmitRaw(raw), localId);
  });

  it("messageSubmitRaw() of a new message mined locally", async () => {
    const powClient = new SingleNodeClient(devnet.url, { powProvider: new LocalPowProvider() });
    const { tipMessageIds } = await client.tips();
    const ws = new WriteStream();
    serializeMessage(ws, {
      parentMessageIds: tipMessageIds,
      payload: { type: 2, index: Converter.utf8ToHex("stinger-raw"), data: Converter.utf8ToHex("raw") },
    });
    const bytes = ws.finalBytes();
    const id = await powClient.messageSubmitRaw(bytes);
    assert.match(id, HEX64);
    const msg = await client.message(id);
    assert.deepEqual(msg.parentMessageIds, tipMessageIds);
  });

  it("messageChildren() lists a child of its parent", async () => {
    const msg = await client.message(localId);
    const parent = msg.parentMessageIds![0]!;
    const children = await client.messageChildren(parent);
    assert.equal(children.messageId, parent);
    assert.ok(children.childrenMessageIds.includes(localId));
    assert.equal(children.count, children.childrenMessageIds.length);
  });

  it("messagesFind() by index", async () => {
    const found = await client.messagesFind("stinger-local");
    assert.equal(found.index, Converter.utf8ToHex("stinger-local"));
    assert.deepEqual(found.messageIds, [localId]);
    assert.equal(found.count, 1);
    const none = await client.messagesFind("no-such-index");
    assert.equal(none.count, 0);
  });

  it("info() reports message rates over the last seconds", async () => {
    const info = await client.info();
    assert.ok(info.messagesPerSecond > 0, "messages and milestones were stored in the last seconds");
    assert.ok(info.referencedMessagesPerSecond > 0);
    assert.ok(info.referencedRate > 0 && info.referencedRate <= 100);
  });

  it("Prometheus metrics count what happened", async () => {
    const text = await (await fetch(devnet.metricsUrl)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, "m").exec(text)?.[1]);
    assert.ok(value("stinger_node_messages_stored_total") >= 4);
    assert.ok(value("stinger_node_confirmed_milestone_index") >= 1);
    assert.match(text, /stinger_node_pow_jobs_total\{outcome="solved"\} [1-9]/);
    assert.match(text, /stinger_node_http_requests_total\{route="\/api\/v1\/messages",status="201"\}/);
  });

  it("milestone(1) is the bootstrap milestone", async () => {
    const ms = await client.milestone(1);
    assert.equal(ms.index, 1);
    const msg = await client.message(ms.messageId);
    assert.equal(msg.payload?.type, 1);
    assert.deepEqual(msg.parentMessageIds, ["0".repeat(64)]);
  });
});
