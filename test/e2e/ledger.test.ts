// The UTXO ledger against `stinger devnet` (genesis minted to the devnet seed, faucet on node 0): an
// iota.js 1.8.6 wallet directly and through the HTTPS gateway, every ledger route checked against
// TIP-13's OpenAPI document, conflicts with their reasons, bad input, and a ledger that verifies.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { encodeAddress } from "../../src/protocol/bech32.ts";
import { ed25519Sign } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { payloadToJson } from "../../src/protocol/json.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { TransactionPayload } from "../../src/protocol/types.ts";
import { type RunningDevnet, removeDir, startDevnet, waitFor } from "../helpers/devnet.ts";
import { assertConforms } from "../helpers/openapi.ts";
import { spawnOwned } from "../helpers/owned.ts";
import { jwtFor } from "../helpers/peers.ts";
import { outputsOf, transaction, type Wallet, wallet } from "../helpers/transactions.ts";

const FLOW = new URL("../fixtures/iota-wallet-flow.mjs", import.meta.url).pathname;
const M = 1_000_000n;

interface Flow {
  ok?: boolean;
  error?: string;
  enqueue: { status: number; body: { data: { waitingRequests: number } } };
  aliceFunded: number;
  send: { inclusion: string; alice: number; bob: number };
  sendMultiple: { inclusion: string; alice: number; bob: number; bob0: number; bob1: number };
  unspentAddress: { path: string; balance: number };
  aliceOutputs: { unspent: number; all: number; spent: number; spentHaveSpender: boolean };
  includedMessage: { payloadType: number; sameMessage: boolean };
  utxoChanges: { createsBobsOutput: boolean; consumed: number };
}

/** The iota.js wallet flow in a child process (Node reads NODE_EXTRA_CA_CERTS only at start-up). */
function walletFlow(url: string, caFile?: string): Promise<Flow> {
  const env = { ...process.env };
  if (caFile) env.NODE_EXTRA_CA_CERTS = caFile;
  const p = spawnOwned(process.execPath, [FLOW, url], { stdio: ["ignore", "pipe", "inherit"], env });
  let out = "";
  p.stdout!.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    p.on("close", () => resolve(JSON.parse(out.trim().split("\n").pop() || "{}"))),
  );
}

function assertFlow(f: Flow): void {
  assert.equal(f.ok, true, f.error);
  assert.equal(f.enqueue.status, 202);
  assert.equal(f.enqueue.body.data.waitingRequests >= 1, true);
  // The faucet's default amount, then 3 Mi to Bob, then 1 Mi and 2 Mi to two of Bob's addresses.
  assert.equal(f.aliceFunded, 10_000_000);
  assert.deepEqual(f.send, { ...f.send, inclusion: "included", alice: 7_000_000, bob: 3_000_000 });
  assert.deepEqual(f.sendMultiple, {
    inclusion: "included",
    alice: 4_000_000,
    bob: 6_000_000,
    bob0: 4_000_000,
    bob1: 2_000_000,
  });
  assert.deepEqual(f.unspentAddress, {
    ...f.unspentAddress,
    path: "m/44'/4218'/0'/0'/0'",
    balance: 4_000_000,
  });
  // Faucet output and first change spent, the last change unspent.
  assert.deepEqual(f.aliceOutputs, { unspent: 1, all: 3, spent: 2, spentHaveSpender: true });
  assert.deepEqual(f.includedMessage, { payloadType: 0, sameMessage: true });
  assert.deepEqual(f.utxoChanges, { createsBobsOutput: true, consumed: 1 });
}

describe("the UTXO ledger with iota.js against stinger devnet", () => {
  let devnet: RunningDevnet;
  let url = "";
  let token = "";

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, { headers });
    const body = res.headers.get("content-type")?.includes("json")
      ? await res.json()
      : await res.arrayBuffer();
    return {
      status: res.status,
      body: body as { data: Record<string, unknown>; error?: { message: string } },
    };
  };
  /** GET, checked against TIP-13 (status and body shape). */
  const conforming = async (path: string, expectStatus = 200) => {
    const r = await get(path);
    assert.equal(r.status, expectStatus, `${path}: ${JSON.stringify(r.body)}`);
    assertConforms("GET", path, r.status, r.body);
    return r.body;
  };
  const postJson = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  /** Submits a transaction (the node selects parents and mines); resolves with the message ID. */
  const submit = async (tx: TransactionPayload): Promise<string> => {
    const res = await postJson("/api/v1/messages", { payload: payloadToJson(tx) });
    const body = (await res.json()) as { data: { messageId: string } };
    assert.equal(res.status, 201, JSON.stringify(body));
    return body.data.messageId;
  };
  const metadata = async (id: string) =>
    (await get(`/api/v1/messages/${id}/metadata`)).body.data as {
      referencedByMilestoneIndex?: number;
      ledgerInclusionState?: string;
      conflictReason?: number;
    };
  const referenced = (id: string) =>
    waitFor(
      async () => {
        const m = await metadata(id);
        return m.referencedByMilestoneIndex ? m : undefined;
      },
      30_000,
      `${id} referenced`,
    );
  /** A fresh wallet funded by the faucet with 10 Mi; resolves with its one output. */
  const funded = async (): Promise<{ w: Wallet; outputId: Uint8Array }> => {
    const w = wallet(randomBytes(32));
    const res = await postJson("/api/plugins/faucet/enqueue", { address: encodeAddress("atoi", w.address) });
    assert.equal(res.status, 202, await res.text());
    const ids = await waitFor(
      async () => {
        const o = (await get(`/api/v1/addresses/ed25519/${toHex(w.address)}/outputs`)).body.data
          .outputIds as string[];
        return o.length > 0 ? o : undefined;
      },
      30_000,
      "the faucet's output",
    );
    return { w, outputId: Buffer.from(ids[0]!, "hex") };
  };

  before(async () => {
    devnet = await startDevnet({ gateway: true, milestoneInterval: 1 });
    url = devnet.url;
    token = jwtFor(devnet.dataDir);
  });

  after(async () => {
    assert.equal(await devnet.stop(), 0, devnet.stderr());
    removeDir(devnet.dataDir);
  });

  it("devnet: a seed in DIR (0600) whose first address holds the supply, printed in the ready line", async () => {
    const line = /ready: .*seed (\S+), faucet (atoi1\S+)\)/.exec(devnet.stdout());
    assert.ok(line, devnet.stdout());
    assert.match(readFileSync(line[1]!, "utf8"), /^[0-9a-f]{64}\n$/);
    assert.equal(statSync(line[1]!).mode & 0o777, 0o600);
    const info = (await get("/api/plugins/faucet/info")).body.data;
    assert.equal(info.address, line[2]);
    assert.equal(info.balance, Number(TOTAL_SUPPLY));
    const balance = (await get(`/api/v1/addresses/${line[2]}`)).body.data;
    assert.equal(balance.balance, Number(TOTAL_SUPPLY));
  });

  it("a wallet directly against the node: faucet, send, sendMultiple, balances, outputs, included message", async () => {
    assertFlow(await walletFlow(url));
  });

  it("the same wallet through the devnet's HTTPS gateway", async () => {
    assertFlow(await walletFlow(devnet.gateway!.url, devnet.gateway!.caFile));
  });

  it("ledger routes answer as TIP-13's OpenAPI document says, errors included", async () => {
    const { w, outputId } = await funded();
    const hex = toHex(w.address);
    const bech32 = encodeAddress("atoi", w.address);
    for (const path of [
      `/api/v1/addresses/${bech32}`,
      `/api/v1/addresses/ed25519/${hex}`,
      `/api/v1/addresses/${bech32}/outputs`,
      `/api/v1/addresses/${bech32}/outputs?include-spent=true&type=0`,
      `/api/v1/addresses/ed25519/${hex}/outputs?type=1`,
      `/api/v1/outputs/${toHex(outputId)}`,
      "/api/v1/treasury",
      "/api/v1/receipts",
      "/api/v1/receipts/0",
    ])
      await conforming(path);
    const txId = toHex(outputId.subarray(0, 32));
    const included = (await conforming(`/api/v1/transactions/${txId}/included-message`)) as {
      data: { payload: { type: number } };
    };
    assert.equal(included.data.payload.type, 0);
    await conforming(`/api/v1/transactions/${txId}/included-message/metadata`);
    await conforming(`/api/v1/transactions/${txId}/included-message/children`);
    const raw = await get(`/api/v1/transactions/${txId}/included-message/raw`);
    assert.equal(raw.status, 200);
    const meta = await metadata(
      (await get(`/api/v1/outputs/${toHex(outputId)}`)).body.data.messageId as string,
    );
    const changes = (await conforming(
      `/api/v1/milestones/${meta.referencedByMilestoneIndex}/utxo-changes`,
    )) as {
      data: { createdOutputs: string[] };
    };
    assert.ok(changes.data.createdOutputs.includes(toHex(outputId)));
    const balance = (await conforming(`/api/v1/addresses/${bech32}`)) as { data: Record<string, unknown> };
    assert.deepEqual(
      { ...balance.data, ledgerIndex: 0 },
      {
        addressType: 0,
        address: hex,
        balance: 10_000_000,
        dustAllowed: false,
        ledgerIndex: 0,
      },
    );
    // Errors: unknown → 404, malformed → 400, each in the document's error shape.
    await conforming(`/api/v1/outputs/${"00".repeat(33)}01`, 404);
    await conforming(`/api/v1/outputs/abc`, 400);
    await conforming(`/api/v1/transactions/${"11".repeat(32)}/included-message`, 404);
    await conforming(`/api/v1/transactions/xyz/included-message`, 400);
    await conforming(
      `/api/v1/addresses/iota1qrhacyfwlcnzkvzteumekfkrrwks98mpdm37cj4xx3drvmjvnep6xqgyzyx`,
      400,
    );
    await conforming(`/api/v1/addresses/atoi1qbad`, 400);
    await conforming(`/api/v1/addresses/ed25519/zz${hex.slice(2)}`, 400);
    await conforming(`/api/v1/addresses/${bech32}/outputs?type=7`, 400);
    await conforming("/api/v1/milestones/99999999/utxo-changes", 404);
    // An address the ledger never saw has nothing, it is not an error.
    const empty = (await conforming(`/api/v1/addresses/ed25519/${"ab".repeat(32)}`)) as {
      data: { balance: number };
    };
    assert.equal(empty.data.balance, 0);
  });

  it("two transactions spending one output: exactly one is included, the other conflicts", async () => {
    const { w, outputId } = await funded();
    const a = transaction(
      [{ outputId, owner: w }],
      [{ address: wallet(randomBytes(32)).address, amount: 10n * M }],
    );
    const b = transaction(
      [{ outputId, owner: w }],
      [{ address: wallet(randomBytes(32)).address, amount: 10n * M }],
    );
    const [idA, idB] = await Promise.all([submit(a), submit(b)]);
    const [ma, mb] = await Promise.all([referenced(idA), referenced(idB)]);
    const states = [ma, mb].map((m) => m.ledgerInclusionState).sort();
    assert.deepEqual(states, ["conflicting", "included"]);
    const loser = ma.ledgerInclusionState === "conflicting" ? ma : mb;
    // Referenced by the same milestone: spent earlier in it (2); by a later one: spent before (1).
    const sameMilestone = ma.referencedByMilestoneIndex === mb.referencedByMilestoneIndex;
    assert.equal(loser.conflictReason, sameMilestone ? 2 : 1);
    const out = (await get(`/api/v1/outputs/${toHex(outputId)}`)).body.data;
    assert.equal(out.isSpent, true);
    const winner = ma.ledgerInclusionState === "included" ? a : b;
    assert.equal(out.transactionIdSpent, toHex(outputsOf(winner)[0]!.subarray(0, 32)));
  });

  it("dust: 1 i to an address without allowance conflicts (6); after a dust allowance output it is included", async () => {
    const { w, outputId } = await funded();
    const target = wallet(randomBytes(32));
    const dust = transaction(
      [{ outputId, owner: w }],
      [
        { address: target.address, amount: 1n },
        { address: w.address, amount: 10n * M - 1n },
      ],
    );
    const m1 = await referenced(await submit(dust));
    assert.deepEqual([m1.ledgerInclusionState, m1.conflictReason], ["conflicting", 6]);
    // A 1 Mi dust allowance on the target (its own output) and the 1 i in the same transaction.
    const allowed = transaction(
      [{ outputId, owner: w }],
      [
        { address: target.address, amount: M, type: 1 },
        { address: target.address, amount: 1n },
        { address: w.address, amount: 9n * M - 1n },
      ],
    );
    const m2 = await referenced(await submit(allowed));
    assert.equal(m2.ledgerInclusionState, "included");
    const b = (await get(`/api/v1/addresses/ed25519/${toHex(target.address)}`)).body.data;
    assert.deepEqual([b.balance, b.dustAllowed], [1_000_001, true]);
  });

  it("a forged signature conflicts with reason 5, unequal sums with reason 4", async () => {
    const { w, outputId } = await funded();
    const forged = transaction([{ outputId, owner: w }], [{ address: w.address, amount: 10n * M }], {
      sign: (seed, h) => {
        const s = Uint8Array.from(ed25519Sign(seed, h));
        s[10]! ^= 0x40;
        return s;
      },
    });
    const m1 = await referenced(await submit(forged));
    assert.deepEqual([m1.ledgerInclusionState, m1.conflictReason], ["conflicting", 5]);
    const sums = transaction([{ outputId, owner: w }], [{ address: w.address, amount: 9n * M }]);
    const m2 = await referenced(await submit(sums));
    assert.deepEqual([m2.ledgerInclusionState, m2.conflictReason], ["conflicting", 4]);
    // Neither touched the ledger: the output is unspent still.
    assert.equal((await get(`/api/v1/outputs/${toHex(outputId)}`)).body.data.isSpent, false);
  });

  it("malformed transactions are refused with the exact reason", async () => {
    const { w, outputId } = await funded();
    const good = payloadToJson(
      transaction([{ outputId, owner: w }], [{ address: w.address, amount: 10n * M }]),
    ) as unknown as {
      essence: { outputs: { amount: unknown }[]; inputs: unknown[] };
      unlockBlocks: unknown[];
    };
    const cases: [string, unknown, RegExp][] = [
      ["no unlock blocks", { ...good, unlockBlocks: [] }, /unlock block/i],
      [
        "amount as a string",
        { ...good, essence: { ...good.essence, outputs: [{ ...good.essence.outputs[0], amount: "10" }] } },
        /amount/i,
      ],
      [
        "zero amount",
        { ...good, essence: { ...good.essence, outputs: [{ ...good.essence.outputs[0], amount: 0 }] } },
        /amount/i,
      ],
      ["no inputs", { ...good, essence: { ...good.essence, inputs: [] } }, /input/i],
      [
        "amount beyond the supply",
        {
          ...good,
          essence: {
            ...good.essence,
            outputs: [{ ...good.essence.outputs[0], amount: Number(TOTAL_SUPPLY) + 1 }],
          },
        },
        /amount|supply/i,
      ],
    ];
    for (const [what, payload, reason] of cases) {
      const res = await postJson("/api/v1/messages", { payload });
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "400");
      assert.match(body.error.message, reason, what);
    }
    // Raw bytes cut inside the transaction payload.
    const raw = await fetch(`${url}/api/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.concat([
        Buffer.alloc(8),
        Buffer.from([1]),
        Buffer.alloc(32),
        Buffer.from([40, 0, 0, 0, 0, 0, 0, 0, 0]),
      ]),
    });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { error: { message: string } }).error.message, /invalid message/);
  });

  it("faucet: 400 for a malformed or foreign address, 429 once an address holds faucet.maxAddressBalance", async () => {
    for (const address of [
      "nonsense",
      "iota1qrhacyfwlcnzkvzteumekfkrrwks98mpdm37cj4xx3drvmjvnep6xqgyzyx",
      42,
    ]) {
      const res = await postJson("/api/plugins/faucet/enqueue", { address });
      assert.equal(res.status, 400, String(address));
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "400");
    }
    // Two wallets get the faucet's 10 Mi; asked again, one that holds 10 Mi gets the small amount, 1 Mi.
    const [a, b] = await Promise.all([funded(), funded()]);
    const bechA = encodeAddress("atoi", a.w.address);
    const balanceOf = async (addr: string) =>
      (await get(`/api/v1/addresses/${addr}`)).body.data.balance as number;
    assert.equal((await postJson("/api/plugins/faucet/enqueue", { address: bechA })).status, 202);
    await waitFor(async () => (await balanceOf(bechA)) === 11_000_000, 30_000, "the small amount");
    // Both move everything to a third address: 21 Mi, above faucet.maxAddressBalance (20 Mi).
    const rich = wallet(randomBytes(32));
    const richBech32 = encodeAddress("atoi", rich.address);
    const spends = [
      ...((await get(`/api/v1/addresses/${bechA}/outputs`)).body.data.outputIds as string[]).map((id) => ({
        outputId: Buffer.from(id, "hex"),
        owner: a.w,
      })),
      { outputId: b.outputId, owner: b.w },
    ];
    const m = await referenced(
      await submit(transaction(spends, [{ address: rich.address, amount: 21n * M }])),
    );
    assert.equal(m.ledgerInclusionState, "included");
    const refused = await postJson("/api/plugins/faucet/enqueue", { address: richBech32 });
    assert.equal(refused.status, 429);
    assert.ok(refused.headers.get("retry-after"));
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "429");
  });

  it("the ledger verifies: unspent outputs plus treasury hold the supply, every balance its outputs", async () => {
    const r = await get("/api/plugins/stinger/ledger/verify", { authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    const v = r.body.data as {
      ok: boolean;
      problems: string[];
      supply: number;
      stateHash: string;
      recomputedStateHash: string;
    };
    assert.deepEqual(v.problems, []);
    assert.equal(v.ok, true);
    assert.equal(v.supply, Number(TOTAL_SUPPLY));
    assert.equal(v.stateHash, v.recomputedStateHash);
    // Without a token the route is protected.
    assert.equal((await get("/api/plugins/stinger/ledger/verify")).status, 401);
  });
});
