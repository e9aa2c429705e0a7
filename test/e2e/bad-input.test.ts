// Every kind of bad input over HTTP gets the right status and Hornet's error shape, and the node keeps serving.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { BIN, type RunningDevnet, removeDir, startDevnet } from "../helpers/devnet.ts";

interface ErrorBody {
  error: { code: string; message: string };
}

describe("bad input over HTTP", () => {
  let devnet: RunningDevnet;
  let tip = "";

  before(async () => {
    devnet = await startDevnet({ minPoWScore: 1 });
    const tips = (await (await fetch(`${devnet.url}/api/v1/tips`)).json()) as {
      data: { tipMessageIds: string[] };
    };
    tip = tips.data.tipMessageIds[0]!;
  });

  after(async () => {
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
  });

  async function expectError(res: Response, status: number, messagePart: RegExp): Promise<void> {
    assert.equal(res.status, status);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error.code, String(status));
    assert.match(body.error.message, messagePart);
  }

  const post = (body: string | Uint8Array, type = "application/json") =>
    fetch(`${devnet.url}/api/v1/messages`, { method: "POST", headers: { "content-type": type }, body });

  it("malformed JSON -> 400", async () => {
    await expectError(await post("{not json"), 400, /invalid JSON/);
  });

  it("JSON with wrongly typed fields -> 400", async () => {
    await expectError(
      await post(JSON.stringify({ payload: { type: 2, index: "zz" } })),
      400,
      /invalid message/,
    );
    await expectError(
      await post(JSON.stringify({ networkId: "abc", payload: null })),
      400,
      /invalid message/,
    );
    await expectError(await post(JSON.stringify([1, 2, 3])), 400, /invalid message/);
  });

  it("malformed bytes -> 400", async () => {
    await expectError(
      await post(new Uint8Array([1, 2, 3]), "application/octet-stream"),
      400,
      /invalid message/,
    );
    const junk = new Uint8Array(200).fill(0xab);
    await expectError(await post(junk, "application/octet-stream"), 400, /invalid message/);
  });

  it("wrong network -> 400", async () => {
    const msg = {
      networkId: "12345",
      parentMessageIds: [tip],
      payload: { type: 2, index: "aa", data: "" },
      nonce: "1",
    };
    await expectError(await post(JSON.stringify(msg)), 400, /networkId/);
  });

  it("unsorted or duplicate parents -> 400", async () => {
    const a = "11".repeat(32);
    const b = "22".repeat(32);
    for (const parents of [
      [b, a],
      [a, a],
    ]) {
      const msg = { networkId: "8453507715857476362", parentMessageIds: parents, payload: null, nonce: "7" };
      await expectError(await post(JSON.stringify(msg)), 400, /parents/);
    }
  });

  it("unknown parents -> 400", async () => {
    const msg = { parentMessageIds: ["33".repeat(32)], payload: { type: 2, index: "aa", data: "" } };
    await expectError(await post(JSON.stringify(msg)), 400, /not solid|unknown/);
  });

  it("score below the minimum -> 400", async () => {
    // Score 1 needs ~5 trailing zeros: with a fixed nonce of 1 this message's score is far below it
    // unless the hash happens to end in zeros, so try nonces until one falls short.
    let sawLow = false;
    for (let nonce = 1; nonce < 20 && !sawLow; nonce++) {
      const msg = {
        networkId: "8453507715857476362",
        parentMessageIds: [tip],
        payload: { type: 2, index: "bb", data: "" },
        nonce: String(nonce),
      };
      const res = await post(JSON.stringify(msg));
      if (res.status === 400) {
        await expectError(res, 400, /PoW score/);
        sawLow = true;
      } else await res.arrayBuffer();
    }
    assert.ok(sawLow, "expected at least one nonce below the minimum score");
  });

  it("oversized body -> 413", async () => {
    await expectError(
      await post(new Uint8Array(2 * 1024 * 1024), "application/octet-stream"),
      413,
      /larger than/,
    );
  });

  it("unknown IDs -> 404, bad IDs -> 400", async () => {
    const unknown = "44".repeat(32);
    await expectError(await fetch(`${devnet.url}/api/v1/messages/${unknown}`), 404, /not found/);
    await expectError(await fetch(`${devnet.url}/api/v1/messages/${unknown}/raw`), 404, /not found/);
    await expectError(await fetch(`${devnet.url}/api/v1/messages/${unknown}/metadata`), 404, /not found/);
    await expectError(await fetch(`${devnet.url}/api/v1/messages/xyz`), 400, /invalid message ID/);
    await expectError(await fetch(`${devnet.url}/api/v1/milestones/99999999`), 404, /milestone not found/);
    await expectError(await fetch(`${devnet.url}/api/v1/milestones/abc`), 400, /invalid milestone index/);
    await expectError(
      await fetch(`${devnet.url}/api/v1/messages/${unknown}/nothing-here`),
      404,
      /route not found/,
    );
  });

  it("bad index hex -> 400", async () => {
    await expectError(await fetch(`${devnet.url}/api/v1/messages?index=xyz`), 400, /must be hex/);
    await expectError(await fetch(`${devnet.url}/api/v1/messages?index=`), 400, /missing/);
    await expectError(await fetch(`${devnet.url}/api/v1/messages?index=${"ab".repeat(65)}`), 400, /64 bytes/);
  });

  it("protected routes need a JWT (401) and unexposed routes are 403", async () => {
    await expectError(await fetch(`${devnet.url}/api/plugins/stinger/load`), 401, /jwt/);
    const bad = await fetch(`${devnet.url}/api/plugins/stinger/load`, {
      headers: { authorization: "Bearer abc.def.ghi" },
    });
    await expectError(bad, 401, /jwt/);
    await expectError(await fetch(`${devnet.url}/dashboard`), 403, /not exposed/);
  });

  it("a token from `stinger jwt` opens protected routes", async () => {
    const out = spawnSync(process.execPath, [BIN, "jwt", "--data-dir", devnet.dataDir], { encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    const token = out.stdout.trim();
    const res = await fetch(`${devnet.url}/api/plugins/stinger/load`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { data: { pow: { workers: number } } };
    assert.equal(body.data.pow.workers, 1);
    const wrongSalt = spawnSync(
      process.execPath,
      [BIN, "jwt", "--data-dir", devnet.dataDir, "--salt", "other"],
      { encoding: "utf8" },
    );
    const denied = await fetch(`${devnet.url}/api/plugins/stinger/load`, {
      headers: { authorization: `Bearer ${wrongSalt.stdout.trim()}` },
    });
    await expectError(denied, 401, /jwt/);
  });

  it("still serves after all of the above", async () => {
    const res = await fetch(`${devnet.url}/health`);
    assert.equal(res.status, 200);
    const ok = await post(JSON.stringify({ payload: { type: 2, index: "cc", data: "dd" } }));
    assert.equal(ok.status, 201);
    const { data } = (await ok.json()) as { data: { messageId: string } };
    assert.equal(ok.headers.get("location"), data.messageId);
  });
});
