// HTTP fuzzing (fast-check) of a running node and of the gateway in front of it: every route with
// random and malformed path parameters, query strings, headers (sizes, encodings, duplicates), bodies
// and content types, and truncated, pipelined and mis-sized requests, as raw bytes. Nothing may answer
// 500 (or 502 through the gateway), a whole request always gets an answer, and afterwards the node
// still serves, its ledger checks clean and nothing it stored is corrupt. The seed of a failing run is
// in the failure message: STINGER_FUZZ_SEED=<seed> replays it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { type RunningDevnet, removeDir, startDevnet } from "../helpers/devnet.ts";
import { fuzzRequest, requestBytes, send } from "../helpers/http-fuzz.ts";
import { jwtFor } from "../helpers/peers.ts";

const RUNS = Number(process.env.STINGER_FUZZ_RUNS ?? 1500);
const SEED = process.env.STINGER_FUZZ_SEED ? Number(process.env.STINGER_FUZZ_SEED) : undefined;

describe("HTTP fuzzing", () => {
  let devnet: RunningDevnet;

  before(async () => {
    devnet = await startDevnet({ nodes: 1, gateway: true, milestoneInterval: 1 });
  });

  after(async () => {
    await devnet?.stop();
    if (devnet) removeDir(devnet.dataDir);
  });

  async function fuzz(
    target: { host: string; port: number; ca?: Buffer },
    forbidden: (s: number) => boolean,
    runs: number,
  ) {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (r) => {
        const bytes = requestBytes(r, `${target.host}:${target.port}`);
        const whole = r.shape === "whole" || r.shape === "pipelined";
        const answer = await send(target, bytes, {
          expect: r.shape === "pipelined" ? 2 : 1,
          head: r.method === "HEAD",
          closeAfterWrite: r.shape === "truncated",
          // A whole request is answered at once; cut and mis-sized ones only need the server to cope.
          idleMs: whole ? 2000 : 300,
        });
        for (const s of answer.statuses) seen.set(s, (seen.get(s) ?? 0) + 1);
        const bad = answer.statuses.filter(forbidden);
        if (bad.length > 0) throw new Error(`answered ${bad.join(",")}: ${answer.sample}`);
        if (whole && answer.noAnswer) throw new Error("a whole request got no answer (closed or reset)");
      }),
      { numRuns: runs, seed: SEED, endOnFailure: true },
    );
    return seen;
  }

  it(`sends ${RUNS} hostile requests straight to the node: no 500, always an answer`, async (t) => {
    const u = new URL(devnet.url);
    const seen = await fuzz({ host: u.hostname, port: Number(u.port) }, (s) => s >= 500 && s !== 503, RUNS);
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])))}`);
    assert.ok((seen.get(400) ?? 0) > 0 && (seen.get(404) ?? 0) > 0, "the mix reached the routes' checks");
  });

  it(`sends ${Math.round(RUNS / 2)} through the gateway: no 500 or 502`, async (t) => {
    const u = new URL(devnet.gateway!.url);
    const ca = readFileSync(devnet.gateway!.caFile);
    const seen = await fuzz(
      { host: u.hostname, port: Number(u.port), ca },
      (s) => s >= 500 && s !== 503,
      Math.round(RUNS / 2),
    );
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])))}`);
  });

  it("leaves the node serving, synced and consistent", async () => {
    assert.ok(devnet.proc.exitCode === null, "the devnet is running");
    const info = await fetch(`${devnet.url}/api/v1/info`);
    assert.equal(info.status, 200);
    const token = jwtFor(devnet.dataDir);
    const v = (await (
      await fetch(`${devnet.url}/api/plugins/stinger/ledger/verify`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { data: { problems: string[]; stateHash: string; recomputedStateHash: string } };
    assert.deepEqual(v.data.problems, []);
    assert.equal(v.data.stateHash, v.data.recomputedStateHash);
    // Milestones keep coming and messages stored during the fuzzing read back whole.
    const before = ((await info.json()) as { data: { confirmedMilestoneIndex: number } }).data
      .confirmedMilestoneIndex;
    await new Promise((r) => setTimeout(r, 2500));
    const later = (await (await fetch(`${devnet.url}/api/v1/info`)).json()) as {
      data: { confirmedMilestoneIndex: number; isHealthy: boolean };
    };
    assert.ok(later.data.confirmedMilestoneIndex > before);
    const tips = (await (await fetch(`${devnet.url}/api/v1/tips`)).json()) as {
      data: { tipMessageIds: string[] };
    };
    for (const id of tips.data.tipMessageIds) {
      const raw = await fetch(`${devnet.url}/api/v1/messages/${id}/raw`);
      assert.equal(raw.status, 200);
      assert.ok((await raw.arrayBuffer()).byteLength > 0);
    }
  });
});
