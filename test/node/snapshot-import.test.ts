// Starting a database from snapshot files as Hornet writes them: a full snapshot whose ledger is newer
// than its solid entry points (its milestone diffs roll it back), then a delta snapshot (its diffs move
// it forward), with receipts moving the treasury. Real files, a real LMDB store; every refusal names
// the file and the milestone, and leaves the database empty.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Ledger } from "../../src/node/ledger/ledger.ts";
import { importSnapshots } from "../../src/node/snapshot/import.ts";
import {
  type SnapshotMilestoneDiff,
  type SnapshotOutput,
  writeSnapshotFile,
} from "../../src/node/snapshot/snapshot-file.ts";
import { Store } from "../../src/node/store/store.ts";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { toHex } from "../../src/protocol/hex.ts";
import { milestoneId, networkIdFromName, serializePayload } from "../../src/protocol/message.ts";
import { signMilestone, verifyMilestone } from "../../src/protocol/milestone.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import type { MilestonePayload } from "../../src/protocol/types.ts";
import { StingerError } from "../../src/util/errors.ts";
import { id32, sampleReceipt } from "../protocol/_helpers.ts";

const SEED = new Uint8Array(32).fill(7);
const OTHER_SEED = new Uint8Array(32).fill(8);
const NETWORK = networkIdFromName("stinger-test");
const checkMilestone = (ms: MilestonePayload) =>
  verifyMilestone(ms, { applicableKeys: [ed25519PublicKey(SEED)], threshold: 1 });

const dirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "stinger-snapimport-"));
  dirs.push(dir);
  return dir;
}

function milestone(index: number, opts: { receipt?: boolean; seed?: Uint8Array } = {}): MilestonePayload {
  return signMilestone(
    {
      index,
      timestamp: 1_600_000_000 + index,
      parents: [id32(index), id32(index + 1)],
      inclusionMerkleProof: id32(0xee),
      receipt: opts.receipt ? sampleReceipt() : null,
    },
    [opts.seed ?? SEED],
  );
}

function output(n: number, amount: bigint): SnapshotOutput {
  const outputId = new Uint8Array(34).fill(0x5a);
  new DataView(outputId.buffer).setUint32(0, n);
  return { messageId: id32(0x40 + n), outputId, outputType: 0, address: id32(n), amount };
}

const spentBy = (o: SnapshotOutput) => ({ ...o, targetTransactionId: id32(0x90) });
const M = 1_000_000n;
// The sample receipt leaves a treasury of 100 Mi and migrates 6 Mi (two entries of 1 and 5).
const TREASURY_BEFORE = 106n * M;
const TREASURY_AFTER = 100n * M;

/**
 * History: at milestone 10 the ledger is {a, b, rest} plus a treasury of 106 Mi; 11 spends a into c
 * and d; 12 carries a receipt (6 Mi migrated to two outputs, treasury 100 Mi); 13 spends b into e;
 * 14 spends c into f.
 */
const ms11 = milestone(11);
const ms12 = milestone(12, { receipt: true });
const ms13 = milestone(13);
const ms14 = milestone(14);
const a = output(1, 10n * M);
const b = output(2, 20n * M);
const rest = output(3, TOTAL_SUPPLY - TREASURY_BEFORE - 30n * M);
const c = output(4, 4n * M);
const d = output(5, 6n * M);
const e = output(6, 20n * M);
const f = output(7, 4n * M);
function migrated(i: number, amount: bigint, address: number): SnapshotOutput {
  const outputId = new Uint8Array(34);
  outputId.set(milestoneId(ms12));
  outputId[32] = i;
  return { messageId: id32(0x12), outputId, outputType: 0, address: id32(address), amount };
}
const m1 = migrated(0, 1n * M, 3);
const m2 = migrated(1, 5n * M, 4);
const treasury12 = { milestoneId: milestoneId(ms12), amount: TREASURY_AFTER };
const treasuryBefore = { milestoneId: id32(9), amount: TREASURY_BEFORE };

const diff = (
  ms: MilestonePayload,
  created: SnapshotOutput[],
  consumed: SnapshotOutput[],
): SnapshotMilestoneDiff => ({
  milestonePayload: serializePayload(ms),
  spentTreasury: ms.receipt ? treasuryBefore : undefined,
  created,
  consumed: consumed.map(spentBy),
});
const diff11 = diff(ms11, [c, d], [a]);
const diff12 = diff(ms12, [m1, m2], []);
const diff13 = diff(ms13, [e], [b]);
const diff14 = diff(ms14, [f], [c]);

/** Full snapshot: ledger at 12, entry points at 10, diffs 12 and 11 (newest first). */
async function writeFull(dir: string, diffs = [diff12, diff11], ledger = [rest, b, c, d, m1, m2]) {
  const path = join(dir, "full.bin");
  await writeSnapshotFile(
    path,
    {
      type: "full",
      timestamp: 1_600_000_012,
      networkId: NETWORK,
      sepMilestoneIndex: 10,
      ledgerMilestoneIndex: 12,
      treasury: treasury12,
    },
    { solidEntryPoints: [id32(0xa0)], outputs: ledger, milestoneDiffs: diffs },
  );
  return path;
}

/** Delta snapshot after the full one (entry points at 10): diffs 11 to 14. */
async function writeDelta(dir: string, diffs = [diff11, diff12, diff13, diff14], base = 10, sep = 14) {
  const path = join(dir, "delta.bin");
  await writeSnapshotFile(
    path,
    {
      type: "delta",
      timestamp: 1_600_000_014,
      networkId: NETWORK,
      sepMilestoneIndex: sep,
      ledgerMilestoneIndex: base,
    },
    { solidEntryPoints: [id32(0xb0), id32(0xb1)], milestoneDiffs: diffs },
  );
  return path;
}

function freshDb(): { store: Store; ledger: Ledger } {
  const store = new Store(tmp());
  return { store, ledger: new Ledger(store.root) };
}

const unspentIds = (ledger: Ledger) => [...ledger.unspentOutputs()].map((o) => toHex(o.outputId)).sort();
const hexTreasury = (t: { milestoneId: Uint8Array; amount: bigint }) => `${toHex(t.milestoneId)}:${t.amount}`;
const ids = (...os: SnapshotOutput[]) => os.map((o) => toHex(o.outputId)).sort();

async function refused(run: Promise<unknown>, part: RegExp): Promise<void> {
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof StingerError, String(err));
    assert.equal(err.code, "SNAPSHOT_INVALID");
    assert.match(err.message, part);
    assert.ok(!err.message.includes("\n"), "one line");
    return true;
  });
}

describe("importing full and delta snapshots", () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("rolls a full snapshot back to its entry point index, receipts and all", async () => {
    const dir = tmp();
    const full = await writeFull(dir);
    const { store, ledger } = freshDb();
    const r = await importSnapshots(full, join(dir, "absent.bin"), store, ledger, {
      networkId: NETWORK,
      checkMilestone,
    });
    assert.deepEqual(
      { index: r.index, diffs: r.milestoneDiffs, delta: r.delta, treasury: r.treasury },
      { index: 10, diffs: 2, delta: false, treasury: TREASURY_BEFORE },
    );
    assert.deepEqual(unspentIds(ledger), ids(a, b, rest));
    assert.equal(ledger.index, 10);
    assert.equal(hexTreasury(ledger.treasury()), hexTreasury(treasuryBefore));
    assert.equal(ledger.verify().problems.length, 0);
    assert.deepEqual(store.getNodeState(), { latestMilestoneIndex: 10, confirmedMilestoneIndex: 10 });
    assert.equal(store.solidEntryPoints.get(id32(0xa0)), 10);
    store.close();
  });

  it("moves forward by the delta snapshot and takes its entry points", async () => {
    const dir = tmp();
    const full = await writeFull(dir);
    const delta = await writeDelta(dir);
    const { store, ledger } = freshDb();
    const r = await importSnapshots(full, delta, store, ledger, { networkId: NETWORK, checkMilestone });
    assert.deepEqual(
      { index: r.index, diffs: r.milestoneDiffs, delta: r.delta },
      { index: 14, diffs: 6, delta: true },
    );
    assert.deepEqual(unspentIds(ledger), ids(rest, d, e, f, m1, m2));
    assert.equal(hexTreasury(ledger.treasury()), hexTreasury(treasury12));
    const check = ledger.verify();
    assert.deepEqual(check.problems, []);
    assert.equal(check.unspentSum + check.treasury, TOTAL_SUPPLY);
    assert.equal(
      store.solidEntryPoints.get(id32(0xa0)),
      undefined,
      "the full snapshot's entry points are superseded",
    );
    assert.equal(store.solidEntryPoints.get(id32(0xb1)), 14);
    assert.equal(store.state.get("pruningIndex"), 14);
    store.close();
  });

  it("ignores a delta snapshot older than the full one", async () => {
    const dir = tmp();
    const full = await writeFull(dir);
    const delta = await writeDelta(dir, [], 9, 9);
    const { store, ledger } = freshDb();
    const r = await importSnapshots(full, delta, store, ledger, { networkId: NETWORK, checkMilestone });
    assert.equal(r.index, 10);
    assert.match(r.staleDelta ?? "", /ends at milestone 9/);
    store.close();
  });

  const cases: [string, (dir: string) => Promise<[string, string]>, RegExp][] = [
    [
      "a full snapshot diff out of order",
      async (dir) => [await writeFull(dir, [diff11, diff12]), ""],
      /milestone diff for milestone 11 where milestone 12 was due/,
    ],
    [
      "a full snapshot whose diffs stop short of its entry point index",
      async (dir) => [await writeFull(dir, [diff12]), ""],
      /diffs end at 11, not at the solid entry point index 10/,
    ],
    [
      "a milestone signed by another key",
      async (dir) => [
        await writeFull(dir, [
          diff12,
          { ...diff11, milestonePayload: serializePayload(milestone(11, { seed: OTHER_SEED })) },
        ]),
        "",
      ],
      /milestone 11: .*(key|signature)/i,
    ],
    [
      "a rolled-back creation that is not in the ledger",
      async (dir) => [await writeFull(dir, [diff12, diff11], [rest, b, c, m1, m2, output(9, d.amount)]), ""],
      /full\.bin: milestone 11 created output .*, which is not unspent/,
    ],
    [
      "a delta that spends what is not unspent",
      async (dir) => [
        await writeFull(dir),
        await writeDelta(dir, [diff11, diff12, diff13, diff(ms14, [f], [a])]),
      ],
      /delta\.bin: milestone 14 consumes output .*, which is not unspent/,
    ],
    [
      "a delta that follows another full snapshot",
      async (dir) => [await writeFull(dir), await writeDelta(dir, [diff12, diff13, diff14], 11, 14)],
      /follows milestone 11, the full snapshot ends at 10/,
    ],
    [
      "a delta whose receipt spends a treasury output that is not the current one",
      async (dir) => [
        await writeFull(dir),
        await writeDelta(dir, [
          diff11,
          { ...diff12, spentTreasury: { milestoneId: id32(1), amount: TREASURY_BEFORE } },
          diff13,
          diff14,
        ]),
      ],
      /milestone 12: its receipt spends a treasury output that is not the current one/,
    ],
    [
      "a delta of a gap",
      async (dir) => [await writeFull(dir), await writeDelta(dir, [diff11, diff13, diff14])],
      /milestone 13 where milestone 12 was due/,
    ],
  ];
  for (const [name, files, part] of cases) {
    it(`refuses ${name}, leaving the database empty`, async () => {
      const dir = tmp();
      const [full, delta] = await files(dir);
      const { store, ledger } = freshDb();
      await refused(
        importSnapshots(full, delta || undefined, store, ledger, { networkId: NETWORK, checkMilestone }),
        part,
      );
      assert.equal(ledger.initialized, false);
      assert.deepEqual([...store.solidEntryPoints.getKeys()], []);
      store.close();
    });
  }
});
