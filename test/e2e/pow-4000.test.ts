// iota.js 1.8.6 at mainnet difficulty (minPoWScore 4000) against stinger devnet: remote PoW on the
// node, and local PoW through stinger's powProvider. Both finish in about a second on this machine.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SingleNodeClient, sendData } from "@iota/iota.js";
import { Converter } from "@iota/util.js";
import { StingerPowProvider } from "../../src/client/pow-provider.ts";
import { powScore } from "../../src/protocol/curl/pow.ts";
import { type RunningDevnet, removeDir, startDevnet, waitFor } from "../helpers/devnet.ts";

describe("minPoWScore 4000", () => {
  let devnet: RunningDevnet;
  let client: SingleNodeClient;

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 4000, milestoneInterval: 2, timeoutMs: 60_000 });
    client = new SingleNodeClient(devnet.url);
  });

  after(async () => {
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
  });

  const referenced = (id: string) =>
    waitFor(
      async () => (await client.messageMetadata(id)).referencedByMilestoneIndex,
      60_000,
      `${id} referenced`,
    );

  it("remote PoW: messageSubmit without a provider", async () => {
    const id = await client.messageSubmit({
      payload: { type: 2, index: Converter.utf8ToHex("pow4000"), data: "01" },
    });
    assert.ok(powScore(await client.messageRaw(id)) >= 4000);
    await referenced(id);
  });

  it("local PoW: sendData with StingerPowProvider", async () => {
    const provider = new StingerPowProvider({ workers: 1 });
    try {
      const powClient = new SingleNodeClient(devnet.url, { powProvider: provider });
      const { messageId } = await sendData(
        powClient,
        "pow4000-local",
        Converter.utf8ToBytes("x".repeat(200)),
      );
      assert.ok(powScore(await client.messageRaw(messageId)) >= 4000);
      await referenced(messageId);
    } finally {
      await provider.close();
    }
  });
});
