// Hornet 1.x snapshot files: round trips, the exact byte layout, and every way a file can be wrong.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeGenesisSnapshot } from "../../src/node/snapshot/genesis.ts";
import {
  openSnapshotFile,
  type ReadMilestoneDiff,
  readSnapshotFile,
  readSnapshotHeader,
  type SnapshotHeader,
  type SnapshotMilestoneDiff,
  type SnapshotOutput,
  type SnapshotSpent,
  writeSnapshotFile,
} from "../../src/node/snapshot/snapshot-file.ts";
import { deserializePayload, networkIdFromName, serializePayload } from "../../src/protocol/message.ts";
import { signMilestone } from "../../src/protocol/milestone.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import { StingerError } from "../../src/util/errors.ts";
import { removeDir, tempDir } from "../helpers/devnet.ts";
import { id32, sampleReceipt } from "../protocol/_helpers.ts";

const SEED = new Uint8Array(32).fill(7);

function milestonePayload(index: number, withReceipt: boolean): Uint8Array {
  const ms = signMilestone(
    {
      index,
      timestamp: 1_600_000_000 + index,
      parents: [id32(index), id32(index + 1)],
      inclusionMerkleProof: id32(0xee),
      receipt: withReceipt ? sampleReceipt() : null,
    },
    [SEED],
  );
  return serializePayload(ms);
}

/** A distinct output ID for each n: n in the transaction ID's first bytes, index n % 100. */
function outputId(n: number): Uint8Array {
  const id = new Uint8Array(34).fill(0x5a);
  new DataView(id.buffer).setUint32(0, n);
  id[32] = n % 100;
  id[33] = 0;
  return id;
}

function le64(x: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(x);
  return out;
}

function output(n: number, amount: bigint, type: 0 | 1 = 0): SnapshotOutput {
  return {
    messageId: id32(0x40 + (n % 100)),
    outputId: outputId(n),
    outputType: type,
    address: id32(n % 256),
    amount,
  };
}

function spent(n: number, amount: bigint): SnapshotSpent {
  return { ...output(n, amount), targetTransactionId: id32(0x90 + (n % 50)) };
}

/** Outputs holding exactly `total`: `count - 1` of `each` and the rest in the last one. */
function outputsHolding(total: bigint, count: number, each = 1_000_000n): SnapshotOutput[] {
  const out: SnapshotOutput[] = [];
  for (let i = 1; i < count; i++) out.push(output(i, each, i % 3 === 0 ? 1 : 0));
  out.push(output(count, total - each * BigInt(count - 1)));
  return out;
}

function fullHeader(treasury = 1_000_000_000n): SnapshotHeader {
  return {
    type: "full",
    timestamp: 1_650_000_000,
    networkId: networkIdFromName("stinger-test"),
    sepMilestoneIndex: 10,
    ledgerMilestoneIndex: 12,
    treasury: { milestoneId: id32(0x77), amount: treasury },
  };
}

function diffs(): SnapshotMilestoneDiff[] {
  return [
    {
      milestonePayload: milestonePayload(12, true),
      spentTreasury: { milestoneId: id32(0x66), amount: 1_100_000_000n },
      created: [output(201, 5_000_000n), output(202, 7_000_000n, 1)],
      consumed: [spent(203, 12_000_000n)],
    },
    {
      milestonePayload: milestonePayload(11, false),
      created: [],
      consumed: [spent(204, 3_000_000n), spent(205, 4n)],
    },
  ];
}

/** Read diffs without the decoded milestone (which is checked separately). */
function plain(d: ReadMilestoneDiff): SnapshotMilestoneDiff {
  const { milestone, ...rest } = d;
  assert.deepEqual(milestone, deserializePayload(d.milestonePayload));
  return rest;
}

function assertInvalid(err: unknown, path: string, part?: string | RegExp): true {
  assert.ok(err instanceof StingerError, `expected StingerError, got ${String(err)}`);
  assert.equal(err.code, "SNAPSHOT_INVALID", err.message);
  assert.ok(err.message.startsWith(`${path}: `), err.message);
  assert.ok(!err.message.includes("\n"), err.message);
  if (typeof part === "string") assert.ok(err.message.includes(part), err.message);
  else if (part) assert.match(err.message, part);
  return true;
}

let dir: string;
before(() => {
  dir = tempDir("stinger-snapshot-");
});
after(() => removeDir(dir));

let fileNo = 0;
const fresh = (name = "snap") => join(dir, `${name}-${++fileNo}.bin`);

describe("snapshot file round trip", () => {
  it("full: header, SEPs, outputs, diffs with and without a receipt", async () => {
    const path = fresh();
    const header = fullHeader();
    const seps = [id32(1), id32(2), id32(3)];
    const outputs = outputsHolding(TOTAL_SUPPLY - header.treasury!.amount, 7);
    const written = await writeSnapshotFile(path, header, {
      solidEntryPoints: seps,
      outputs,
      milestoneDiffs: diffs(),
    });
    assert.deepEqual(
      { s: written.solidEntryPoints, o: written.outputs, d: written.milestoneDiffs },
      { s: 3, o: 7, d: 2 },
    );
    assert.equal(written.bytes, readFileSync(path).length);
    const back = await readSnapshotFile(path);
    assert.deepEqual(back.header, header);
    assert.deepEqual(back.solidEntryPoints, seps);
    assert.deepEqual(back.outputs, outputs);
    assert.deepEqual(back.milestoneDiffs.map(plain), diffs());
    assert.notEqual(back.milestoneDiffs[0]!.milestone.receipt, null);
    assert.equal(back.milestoneDiffs[1]!.milestone.receipt, null);
    assert.equal(back.milestoneDiffs[1]!.spentTreasury, undefined);
    assert.deepEqual(await readSnapshotHeader(path), {
      header,
      counts: { solidEntryPoints: 3, outputs: 7, milestoneDiffs: 2 },
    });
  });

  it("delta: no treasury, no outputs; diffs with and without a receipt", async () => {
    const path = fresh();
    const header: SnapshotHeader = {
      type: "delta",
      timestamp: 1_650_000_100,
      networkId: 0xffff_ffff_ffff_ffffn,
      sepMilestoneIndex: 0xffff_ffff,
      ledgerMilestoneIndex: 10,
    };
    await writeSnapshotFile(path, header, { solidEntryPoints: [id32(9)], milestoneDiffs: diffs() });
    const bytes = readFileSync(path);
    assert.equal(bytes[1], 1);
    const back = await readSnapshotFile(path);
    assert.deepEqual(back.header, header);
    assert.ok(!("treasury" in back.header));
    assert.deepEqual(back.solidEntryPoints, [id32(9)]);
    assert.deepEqual(back.outputs, []);
    assert.deepEqual(back.milestoneDiffs.map(plain), diffs());
  });

  it("an empty delta snapshot is 42 bytes", async () => {
    const path = fresh();
    const header: SnapshotHeader = {
      type: "delta",
      timestamp: 0,
      networkId: 0n,
      sepMilestoneIndex: 0,
      ledgerMilestoneIndex: 0,
    };
    await writeSnapshotFile(path, header, { solidEntryPoints: [] });
    assert.equal(readFileSync(path).length, 42);
    assert.deepEqual(await readSnapshotFile(path), {
      header,
      solidEntryPoints: [],
      outputs: [],
      milestoneDiffs: [],
    });
  });

  it("streams: async generators in, a reader with iterators out, many chunks long", async () => {
    const path = fresh();
    const header = fullHeader(0n);
    const count = 6000; // 6000 × 108 bytes: more than two read chunks
    const outputs = outputsHolding(TOTAL_SUPPLY, count, 100_000_000n);
    async function* gen<T>(items: T[]): AsyncGenerator<T> {
      for (const item of items) yield item;
    }
    const seps = Array.from({ length: 3000 }, (_, i) => id32(i % 256));
    await writeSnapshotFile(path, header, {
      solidEntryPoints: gen(seps),
      outputs: gen(outputs),
      milestoneDiffs: gen(diffs()),
    });
    const reader = await openSnapshotFile(path);
    try {
      assert.deepEqual(reader.counts, { solidEntryPoints: 3000, outputs: count, milestoneDiffs: 2 });
      let n = 0;
      for await (const sep of reader.solidEntryPoints()) assert.deepEqual(sep, seps[n++]);
      assert.equal(n, 3000);
      n = 0;
      for await (const o of reader.outputs()) assert.deepEqual(o, outputs[n++]);
      assert.equal(n, count);
      const got: ReadMilestoneDiff[] = [];
      for await (const d of reader.milestoneDiffs()) got.push(d);
      assert.deepEqual(got.map(plain), diffs());
      await reader.finish();
    } finally {
      await reader.close();
    }
  });

  it("a later section read first reads and checks the earlier ones; going back is refused", async () => {
    const path = fresh();
    const header = fullHeader();
    const outputs = outputsHolding(TOTAL_SUPPLY - header.treasury!.amount, 3);
    await writeSnapshotFile(path, header, { solidEntryPoints: [id32(1)], outputs, milestoneDiffs: diffs() });
    const reader = await openSnapshotFile(path);
    try {
      const got: SnapshotOutput[] = [];
      for await (const o of reader.outputs()) got.push(o);
      assert.deepEqual(got, outputs);
      await assert.rejects(
        async () => {
          for await (const _ of reader.solidEntryPoints());
        },
        (err: unknown) => err instanceof StingerError && err.code === "SNAPSHOT_READ_ORDER",
      );
      await reader.finish();
    } finally {
      await reader.close();
    }
  });
});

describe("snapshot file layout", () => {
  it("a genesis snapshot, field by field", async () => {
    const path = fresh("genesis");
    const mint = id32(0xab);
    await writeGenesisSnapshot({
      path,
      networkName: "private_tangle@1",
      mintAddress: mint,
      treasury: 123n,
      timestamp: 1_600_000_000,
    });
    const b = readFileSync(path);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const zeros = (n: number) => Buffer.alloc(n);
    assert.equal(b.length, 230);
    assert.equal(b[0], 1, "format version");
    assert.equal(b[1], 0, "type full");
    assert.equal(v.getBigUint64(2, true), 1_600_000_000n, "timestamp");
    assert.equal(v.getBigUint64(10, true), networkIdFromName("private_tangle@1"), "network ID");
    assert.equal(v.getUint32(18, true), 0, "SEP milestone index");
    assert.equal(v.getUint32(22, true), 0, "ledger milestone index");
    assert.equal(v.getBigUint64(26, true), 1n, "SEP count");
    assert.equal(v.getBigUint64(34, true), 1n, "output count");
    assert.equal(v.getBigUint64(42, true), 0n, "milestone diff count");
    assert.deepEqual(b.subarray(50, 82), zeros(32), "treasury milestone ID");
    assert.equal(v.getBigUint64(82, true), 123n, "treasury amount");
    assert.deepEqual(b.subarray(90, 122), zeros(32), "SEP: null message ID");
    assert.deepEqual(b.subarray(122, 154), zeros(32), "output message ID");
    assert.deepEqual(b.subarray(154, 188), zeros(34), "output ID");
    assert.equal(b[188], 0, "SigLockedSingleOutput");
    assert.equal(b[189], 0, "Ed25519 address type");
    assert.deepEqual(b.subarray(190, 222), Buffer.from(mint), "address");
    assert.equal(v.getBigUint64(222, true), TOTAL_SUPPLY - 123n, "amount");
    // the same bytes, spelled out
    const expected = Buffer.concat([
      Buffer.from([1, 0]),
      le64(1_600_000_000n),
      le64(networkIdFromName("private_tangle@1")),
      zeros(8),
      le64(1n),
      le64(1n),
      le64(0n),
      zeros(32),
      le64(123n),
      zeros(32),
      zeros(32 + 34 + 1 + 1),
      Buffer.from(mint),
      le64(TOTAL_SUPPLY - 123n),
    ]);
    assert.deepEqual(b, expected);
  });

  it("a milestone diff: length-prefixed payload, spent treasury only with a receipt, counted lists", async () => {
    const path = fresh();
    const [withReceipt, without] = diffs();
    const header: SnapshotHeader = {
      type: "delta",
      timestamp: 1,
      networkId: 2n,
      sepMilestoneIndex: 3,
      ledgerMilestoneIndex: 4,
    };
    await writeSnapshotFile(path, header, { solidEntryPoints: [], milestoneDiffs: [withReceipt!, without!] });
    const b = readFileSync(path);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let at = 42;
    const p1 = withReceipt!.milestonePayload;
    assert.equal(v.getUint32(at, true), p1.length);
    assert.deepEqual(new Uint8Array(b.subarray(at + 4, at + 4 + p1.length)), p1);
    at += 4 + p1.length;
    assert.deepEqual(b.subarray(at, at + 32), Buffer.from(id32(0x66)), "spent treasury milestone ID");
    assert.equal(v.getBigUint64(at + 32, true), 1_100_000_000n, "spent treasury amount");
    at += 40;
    assert.equal(v.getBigUint64(at, true), 2n, "created count");
    at += 8 + 2 * 108;
    assert.equal(v.getBigUint64(at, true), 1n, "consumed count");
    at += 8;
    assert.deepEqual(b.subarray(at + 108, at + 140), Buffer.from(id32(0x90 + 3)), "target transaction ID");
    at += 140;
    const p2 = without!.milestonePayload;
    assert.equal(v.getUint32(at, true), p2.length);
    at += 4 + p2.length;
    assert.equal(v.getBigUint64(at, true), 0n, "created count right after the payload: no receipt");
    assert.equal(v.getBigUint64(at + 8, true), 2n, "consumed count");
    assert.equal(b.length, at + 16 + 2 * 140);
  });
});

describe("snapshot file checks on read", () => {
  let sample: Buffer;
  let sampleOutputs: SnapshotOutput[];
  const TREASURY = 1_000_000_000n;

  before(async () => {
    const path = fresh("sample");
    sampleOutputs = outputsHolding(TOTAL_SUPPLY - TREASURY, 2);
    const d = diffs()[0]!;
    await writeSnapshotFile(path, fullHeader(TREASURY), {
      solidEntryPoints: [id32(5)],
      outputs: sampleOutputs,
      milestoneDiffs: [{ ...d, created: d.created.slice(0, 1) }],
    });
    sample = readFileSync(path);
  });

  async function readBytes(bytes: Uint8Array, opts?: { checkSupply?: boolean }) {
    const path = fresh("case");
    writeFileSync(path, bytes);
    return { path, result: readSnapshotFile(path, opts) };
  }

  async function rejects(bytes: Uint8Array, part?: string | RegExp): Promise<void> {
    const { path, result } = await readBytes(bytes);
    await assert.rejects(result, (err) => assertInvalid(err, path, part));
  }

  it("the sample reads", async () => {
    const { result } = await readBytes(sample);
    const back = await result;
    assert.deepEqual(back.outputs, sampleOutputs);
  });

  it("every truncation gives a one-line SNAPSHOT_INVALID naming where the file ends", async () => {
    const payloadLength = sample.readUInt32LE(90 + 32 + 2 * 108);
    const diffStart = 90 + 32 + 2 * 108;
    const section = (len: number): RegExp => {
      if (len < 90)
        return /inside the header \((version|type|timestamp|network ID|SEP milestone index|ledger milestone index|SEP count|output count|milestone diff count|treasury milestone ID|treasury amount)\)/;
      if (len < 122) return /inside solid entry point 1 of 1/;
      if (len < 230) return /inside output 1 of 2 \(/;
      if (len < diffStart) return /inside output 2 of 2 \(/;
      if (len < diffStart + 4) return /inside milestone diff 1 of 1 \(milestone payload length\)/;
      if (len < diffStart + 4 + payloadLength)
        return /inside milestone diff 1 of 1 \(milestone payload of \d+ bytes\)/;
      if (len < diffStart + 4 + payloadLength + 40)
        return /inside milestone diff 1 of 1 \(spent treasury output\) \(/;
      if (len < diffStart + 4 + payloadLength + 48) return /inside milestone diff 1 of 1 \(created count\)/;
      if (len < diffStart + 4 + payloadLength + 48 + 108)
        return /inside milestone diff 1 of 1, created output 1 of 1 \(/;
      if (len < diffStart + 4 + payloadLength + 48 + 108 + 8)
        return /inside milestone diff 1 of 1 \(consumed count\)/;
      return /inside milestone diff 1 of 1, consumed output 1 of 1 \(/;
    };
    for (let len = 0; len < sample.length; len++) {
      await rejects(sample.subarray(0, len), section(len));
    }
    await rejects(sample.subarray(0, 0), "file ends inside the header (version) (at byte 0)");
    await rejects(sample.subarray(0, 1), "file ends inside the header (type) (at byte 1)");
    await rejects(sample.subarray(0, 50), "(treasury milestone ID) (at byte 50)");
    await rejects(sample.subarray(0, 122 + 100), "output 1 of 2 (amount) (at byte 222)");
  });

  it("every truncation of a delta snapshot too", async () => {
    const path = fresh("delta-sample");
    const header: SnapshotHeader = {
      type: "delta",
      timestamp: 7,
      networkId: 8n,
      sepMilestoneIndex: 9,
      ledgerMilestoneIndex: 5,
    };
    await writeSnapshotFile(path, header, { solidEntryPoints: [id32(4)], milestoneDiffs: [diffs()[1]!] });
    const delta = readFileSync(path);
    for (let len = 0; len < delta.length; len++) {
      const where =
        len < 42
          ? /inside the header/
          : len < 74
            ? /inside solid entry point 1 of 1 \(at byte/
            : /inside milestone diff 1 of 1/;
      await rejects(delta.subarray(0, len), where);
    }
    await rejects(delta.subarray(0, 41), "file ends inside the header (milestone diff count) (at byte 41)");
  });

  it("trailing bytes", async () => {
    await rejects(Buffer.concat([sample, Buffer.from([0])]), "1 trailing byte after the last milestone diff");
    await rejects(Buffer.concat([sample, Buffer.alloc(5)]), "5 trailing bytes");
  });

  function patched(at: number, bytes: number[] | Uint8Array): Buffer {
    const b = Buffer.from(sample);
    b.set(bytes, at);
    return b;
  }

  it("unsupported version and unknown type", async () => {
    await rejects(patched(0, [2]), "unsupported snapshot format version 2");
    await rejects(patched(0, [0]), "unsupported snapshot format version 0");
    await rejects(patched(1, [2]), "unknown snapshot type 2");
    await rejects(patched(0, [2]).subarray(0, 1), "unsupported snapshot format version 2");
  });

  const OUT2 = 122 + 108;

  it("address type, output type, zero amount", async () => {
    await rejects(patched(122 + 67, [1]), "output 1 of 2: address type 1 is not Ed25519 (0)");
    await rejects(patched(OUT2 + 66, [2]), "output 2 of 2: unknown output type 2");
    const zero = patched(122 + 100, new Uint8Array(8));
    await rejects(zero, "output 1 of 2: amount is zero");
    const created = 90 + 32 + 216 + 4 + sample.readUInt32LE(90 + 32 + 216) + 40 + 8;
    await rejects(patched(created + 67, [3]), "milestone diff 1 of 1, created output 1 of 1: address type 3");
  });

  it("duplicate output IDs", async () => {
    await rejects(
      patched(OUT2 + 32, sample.subarray(122 + 32, 122 + 66)),
      "output 2 of 2: output ID repeats an earlier one",
    );
  });

  it("a milestone payload that does not decode, or is not a milestone", async () => {
    const diffStart = 90 + 32 + 216;
    await rejects(
      patched(diffStart + 4, [2]),
      /milestone diff 1 of 1: (payload type 2 is not a milestone|milestone payload is invalid)/,
    );
    await rejects(
      patched(diffStart + 4 + 4 + 4 + 8, [9]),
      "milestone diff 1 of 1: milestone payload is invalid",
    );
    await rejects(patched(diffStart, [0, 0, 0, 0]), "milestone payload length 0");
    await rejects(patched(diffStart, [0xff, 0xff, 0, 0]), "milestone payload length 65535");
  });

  it("the supply: outputs plus treasury must be the total supply, unless told otherwise", async () => {
    const b = patched(122 + 100, le64(sampleOutputs[0]!.amount + 1n));
    await rejects(b, `hold ${TOTAL_SUPPLY + 1n}, not the total supply ${TOTAL_SUPPLY}`);
    const { result } = await readBytes(b, { checkSupply: false });
    assert.equal((await result).outputs[0]!.amount, sampleOutputs[0]!.amount + 1n);
    const t = patched(82, le64(TREASURY - 1n));
    await rejects(t, "not the total supply");
  });
});

describe("snapshot file writes", () => {
  const header = fullHeader();
  const good = () => outputsHolding(TOTAL_SUPPLY - header.treasury!.amount, 4);

  function onlyFiles(sub: string): string[] {
    return readdirSync(join(dir, sub)).sort();
  }

  async function subdirWithFile(name: string): Promise<{ path: string; sub: string; before: Buffer }> {
    const sub = `w${++fileNo}`;
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, sub));
    const path = join(dir, sub, name);
    await writeSnapshotFile(path, header, { solidEntryPoints: [id32(1)], outputs: good() });
    return { path, sub, before: readFileSync(path) };
  }

  it("a failure mid-write leaves the previous file as it was and no temp file", async () => {
    const { path, sub, before: old } = await subdirWithFile("full.bin");
    function* failing(): Generator<SnapshotOutput> {
      const outputs = good();
      yield outputs[0]!;
      yield outputs[1]!;
      throw new Error("disk on fire");
    }
    await assert.rejects(
      writeSnapshotFile(path, fullHeader(5n), { solidEntryPoints: [id32(2)], outputs: failing() }),
      /disk on fire/,
    );
    assert.deepEqual(readFileSync(path), old);
    assert.deepEqual(onlyFiles(sub), ["full.bin"]);

    // a bad entry in the middle, a supply that does not add up, a receipt without its spent treasury
    const bad = good();
    bad[2] = { ...bad[2]!, amount: 0n };
    await assert.rejects(
      writeSnapshotFile(path, header, { solidEntryPoints: [], outputs: bad }),
      (err: unknown) => {
        assert.ok(err instanceof StingerError && err.code === "SNAPSHOT_INVALID_INPUT", String(err));
        assert.match(err.message, /output 3 amount/);
        return true;
      },
    );
    await assert.rejects(
      writeSnapshotFile(path, header, { solidEntryPoints: [], outputs: good().slice(1) }),
      /not the total supply/,
    );
    const [withReceipt] = diffs();
    await assert.rejects(
      writeSnapshotFile(path, header, {
        solidEntryPoints: [],
        outputs: good(),
        milestoneDiffs: [{ ...withReceipt!, spentTreasury: undefined }],
      }),
      /milestone diff 1 \(its milestone has a receipt\) spent treasury is missing/,
    );
    await assert.rejects(
      writeSnapshotFile(path, header, {
        solidEntryPoints: [],
        outputs: good(),
        milestoneDiffs: [{ ...diffs()[1]!, spentTreasury: { milestoneId: id32(1), amount: 1n } }],
      }),
      /has a spent treasury output but its milestone has no receipt/,
    );
    const dup = good();
    dup[1] = { ...dup[1]!, outputId: dup[0]!.outputId };
    await assert.rejects(
      writeSnapshotFile(path, header, { solidEntryPoints: [], outputs: dup }),
      /repeats an output ID/,
    );
    assert.deepEqual(readFileSync(path), old);
    assert.deepEqual(onlyFiles(sub), ["full.bin"]);
  });

  it("replaces an existing file in one step, or refuses to with overwrite: false", async () => {
    const { path, sub, before: old } = await subdirWithFile("full.bin");
    await assert.rejects(
      writeSnapshotFile(
        path,
        fullHeader(),
        { solidEntryPoints: [id32(3)], outputs: good() },
        { overwrite: false },
      ),
      (err: unknown) => err instanceof StingerError && err.code === "SNAPSHOT_EXISTS",
    );
    assert.deepEqual(readFileSync(path), old);
    assert.deepEqual(onlyFiles(sub), ["full.bin"]);
    await writeSnapshotFile(path, fullHeader(), { solidEntryPoints: [id32(3)], outputs: good() });
    assert.deepEqual((await readSnapshotFile(path)).solidEntryPoints, [id32(3)]);
    assert.deepEqual(onlyFiles(sub), ["full.bin"]);
  });

  it("refuses headers and entries it cannot write", async () => {
    const path = fresh();
    const cases: [SnapshotHeader, Parameters<typeof writeSnapshotFile>[2], RegExp][] = [
      [{ ...header, treasury: undefined }, { solidEntryPoints: [] }, /treasury output is missing/],
      [{ ...header, type: "delta" }, { solidEntryPoints: [] }, /a delta snapshot has no treasury/],
      [{ ...header, sepMilestoneIndex: -1 }, { solidEntryPoints: [] }, /SEP milestone index/],
      [{ ...header, timestamp: 1.5 }, { solidEntryPoints: [] }, /timestamp/],
      [{ ...header, networkId: 1n << 64n }, { solidEntryPoints: [] }, /network ID/],
      [header, { solidEntryPoints: [new Uint8Array(31)] }, /solid entry point 1 must be 32 bytes/],
      [
        header,
        { solidEntryPoints: [], outputs: [{ ...good()[0]!, outputId: new Uint8Array(33) }] },
        /output ID must be 34 bytes/,
      ],
      [
        header,
        { solidEntryPoints: [], outputs: [{ ...good()[0]!, address: new Uint8Array(33) }] },
        /address must be 32 bytes/,
      ],
      [
        { type: "delta", timestamp: 0, networkId: 0n, sepMilestoneIndex: 0, ledgerMilestoneIndex: 0 },
        { solidEntryPoints: [], outputs: good() },
        /a delta snapshot has no outputs/,
      ],
      [
        header,
        {
          solidEntryPoints: [],
          outputs: good(),
          milestoneDiffs: [{ milestonePayload: Uint8Array.from([2, 0, 0, 0]), created: [], consumed: [] }],
        },
        /milestone diff 1 milestone payload is invalid/,
      ],
    ];
    for (const [h, data, message] of cases) {
      await assert.rejects(writeSnapshotFile(path, h, data), (err: unknown) => {
        assert.ok(err instanceof StingerError && err.code === "SNAPSHOT_INVALID_INPUT", String(err));
        assert.match(err.message, message);
        return true;
      });
    }
    assert.ok(!readdirSync(dir).some((f) => f.includes(path.split("/").pop()!)), "nothing written");
  });

  it("writes a full snapshot without the supply check when told so", async () => {
    const path = fresh();
    await writeSnapshotFile(
      path,
      header,
      { solidEntryPoints: [], outputs: [output(1, 5n)] },
      { checkSupply: false },
    );
    await assert.rejects(readSnapshotFile(path), (err) => assertInvalid(err, path, "not the total supply"));
    assert.deepEqual((await readSnapshotFile(path, { checkSupply: false })).outputs, [output(1, 5n)]);
  });
});

// ---- files written by Hornet 1.2.8 itself (github.com/iotaledger/hornet, tag v1.2.8) ------------------

/** integration-tests/assets/full_snapshot.bin */
const HORNET_GENESIS = [
  "AQBQ7DRgAAAAABD/n9lfu6BaAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGkgsXb2E+x75Z5o/Gj1l+szk6+A90x8PbeB",
  "mBR9Xx+SwV0t0/ffCQA=",
].join("");

/** integration-tests/assets/migration_full_snapshot.bin */
const HORNET_GENESIS_TREASURY = [
  "AQCwID5gAAAAABD/n9lfu6BaAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAADkC1QCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAGkgsXb2E+x75Z5o/Gj1l+szk6+A90x8PbeB",
  "mBR9Xx+SwXkhf/XfCQA=",
].join("");

/** integration-tests/assets/test_full_snapshot.bin */
const HORNET_TEST_FULL = [
  "AQDGEWxgAAAAABD/n9lfu6BaAQAAAAMAAAAKAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAEGaY9H33wkAmW2pJ/I7Dshy8kAAv2KLypVGQOyYteXyr+51wop+yMwZAJLfF/qZCMy0s6svzxvNo+8uWS9H",
  "0nmfJS/8cY3jBSAknk/onWj0oGn4KXvCXBBujpOHBvhEvd0akZVnIhOtSql3EFqsR8o9Xh+tmxilz+srfHPVkWhCAQhlrNU7",
  "baA6qVIl/4zI0Dzxb4qYsQFd+Fp1CfUbk7IgddWVumCg4Xwu9yVsrEQH+tziBvQjjQp6Fxj+eZbVejpErv3MkjjxqVm7J+0P",
  "DZ1p7uZWPBf5TF67RF7bCjzi9O5AfaCkHqhkGVsDY9t9p86PTHDGeYgaPt5WgtcYH+dQR2oVPRoU9tQgUh9Y+qFt2c8dD0yG",
  "7XuvWmCS9I+sR4oeMNMm+JOJybeNWZ03JtAkbBYJQXWhcMspuh8INxZalg/JQQ+kXVEGBgYGBgYGBgYGBgYGBgYGBgYGBgYG",
  "BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYAAAYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYG",
  "BgYGBgYGgJaYAAAAAAAFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUAAAUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFAC0xAQAAAAA/AQAAAQAAAAMAAAAAAAAAAAAAAAIA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAgICAgICAgIC",
  "AgICAgICAgICAgICAgICAgICAgICAgIAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQIAAAAAAAAABgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYG",
  "BgYGBgYGBgYGBgYGBgYGAAAGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBoCWmAAAAAAABQUFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFAAAFBQUFBQUFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUFBQUFBQAtMQEAAAAAAgAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEgJaYAAAAAAAEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD",
  "AwMDAwMDAwMDAwMDAwMDAwMDAwAAAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMALTEBAAAAAAMDAwMDAwMDAwMD",
  "AwMDAwMDAwMDAwMDAwMDAwMDAwMDPwEAAAEAAAACAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAAAAAAAA",
  "AAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQAAAAAC",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQECAAAAAAAAAAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAAABAQEBAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBASAlpgAAAAAAAMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD",
  "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwAAAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMALTEBAAAAAAIAAAAAAAAA",
  "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAAACAgIC",
  "AgICAgICAgICAgICAgICAgICAgICAgICAgICAoCWmAAAAAAAAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAC0xAQAAAAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ==",
].join("");

/** integration-tests/assets/test_delta_snapshot.bin */
const HORNET_TEST_DELTA = [
  "AQHGEWxgAAAAABD/n9lfu6BaBQAAAAEAAAAKAAAAAAAAAAQAAAAAAAAAOYOCWVhREdRCo44L4Rpban3byGOkf5iMyks0Jqni",
  "pGQ/K70z+NUtaUARbJHopu3Qnv/y7uQTBKcsPxkpX0Z5ymYgp32jpO/Fy31o1uCKlsy2A26POvDsQ59dsrOkP7uhyQ9/RP2Q",
  "842ErN+xhurufYiPns5ufszg2wmsRepggKufDl95B8n5LM6gwyFRy1zLPdTsJiyFCjMkoTUPrXK79SuB7VEjoX7QPt5ZYmYI",
  "cQAp9JkhXc0vXnUXr0FCvzcV3pU2F0nCkXWUMpvech5JiU5xIfK/td8mNPSNz8N2aafLzhvOfPdchq7EW2EwbmPLEMpDKIYD",
  "eaU6gXev7IvC8RUpvWXHPyFE1DFcWXX6/qD0czzAeZqOkjUnG77iUB27nCRW7xrAkegVWHNk+ftzXl3KsQWjEHqa2kf0CYfs",
  "gQU/AQAAAQAAAAIAAAAAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQIAAAAAAAAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
  "BICWmAAAAAAAAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD",
  "AwMDAAADAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwAtMQEAAAAAAgAAAAAAAAACAgICAgICAgICAgICAgICAgIC",
  "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAAAICAgICAgICAgICAgICAgICAgICAgIC",
  "AgICAgICAgICgJaYAAAAAAACAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEALTEBAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBPwEAAAEAAAADAAAAAAAAAAAAAAACAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQICAgICAgICAgICAgIC",
  "AgICAgICAgICAgICAgICAgICAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQECAAAAAAAAAAYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYG",
  "BgYGBgYGBgYGBgAABgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgaAlpgAAAAAAAUFBQUFBQUFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQAABQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUALTEBAAAAAAIAAAAAAAAABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBICWmAAAAAAABAQEBAQEBAQEBAQE",
  "BAQEBAQEBAQEBAQEBAQEBAQEBAQDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD",
  "AwMDAwMDAwMDAwMDAwMAAAMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAC0xAQAAAAADAwMDAwMDAwMDAwMDAwMD",
  "AwMDAwMDAwMDAwMDAwMDAz8BAAABAAAABAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQECAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgAAAAAAAAAAAgAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAgAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAgAAAAAAAAAICAgICAgICAgICAgI",
  "CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgAAAgICAgICAgICAgICAgICAgI",
  "CAgICAgICAgICAgICAgIgJaYAAAAAAAHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
  "BwcHBwcHBwcHBwcHBwcHBwcAAAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHAC0xAQAAAAACAAAAAAAAAAYGBgYG",
  "BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgAABgYGBgYGBgYG",
  "BgYGBgYGBgYGBgYGBgYGBgYGBgYGBgaAlpgAAAAAAAYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBgYGBQUFBQUFBQUF",
  "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFAAAFBQUFBQUFBQUFBQUF",
  "BQUFBQUFBQUFBQUFBQUFBQUFBQAtMQEAAAAABQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQXWAQAAAQAAAAUAAAAA",
  "AAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAAAAAAAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBlwAAAAMAAAApIwAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAICWmAAAAAAALgAAAAQA",
  "AAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACwQPL0PffCQACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",
  "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEGaY9H33wkAAQAA",
  "AAAAAAAJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkA",
  "AAkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJAFpiAgAAAAACAAAAAAAAAAgICAgICAgICAgICAgICAgICAgICAgI",
  "CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAAACAgICAgICAgICAgICAgICAgICAgICAgICAgI",
  "CAgICAiAlpgAAAAAAAcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
  "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHAAAHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH",
  "BwAtMQEAAAAABwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
].join("");

describe("snapshot files written by Hornet 1.2.8", () => {
  const bytes = (b64: string) => Buffer.from(b64, "base64");
  const onDisk = (b64: string) => {
    const path = fresh("hornet");
    writeFileSync(path, bytes(b64));
    return path;
  };

  it("its snap-gen genesis files are byte for byte what writeGenesisSnapshot writes", async () => {
    for (const [b64, treasury] of [
      [HORNET_GENESIS, 0n],
      [HORNET_GENESIS_TREASURY, 10_000_000_000n],
    ] as const) {
      const theirs = await readSnapshotFile(onDisk(b64));
      assert.equal(theirs.header.networkId, networkIdFromName("alphanet1"));
      assert.equal(theirs.header.treasury!.amount, treasury);
      const path = fresh("ours");
      await writeGenesisSnapshot({
        path,
        networkName: "alphanet1",
        mintAddress: theirs.outputs[0]!.address,
        treasury,
        timestamp: theirs.header.timestamp,
      });
      assert.deepEqual(readFileSync(path), bytes(b64));
    }
  });

  it("its test full and delta snapshots (the delta with a receipt) read, and write back identically", async () => {
    const full = await readSnapshotFile(onDisk(HORNET_TEST_FULL));
    assert.deepEqual(
      { ...full.header, treasury: full.header.treasury!.amount },
      {
        type: "full",
        timestamp: 1617695174,
        networkId: networkIdFromName("alphanet1"),
        sepMilestoneIndex: 1,
        ledgerMilestoneIndex: 3,
        treasury: 2779530253277761n,
      },
    );
    assert.equal(full.solidEntryPoints.length, 10);
    assert.deepEqual(
      full.outputs.map((o) => o.amount),
      [10_000_000n, 20_000_000n],
    );
    assert.deepEqual(
      full.milestoneDiffs.map((d) => [d.milestone.index, d.created.length, d.consumed.length]),
      [
        [3, 2, 2],
        [2, 2, 2],
      ],
    );
    const delta = await readSnapshotFile(onDisk(HORNET_TEST_DELTA));
    assert.equal(delta.header.type, "delta");
    assert.deepEqual(
      delta.milestoneDiffs.map((d) => [d.milestone.index, d.spentTreasury !== undefined]),
      [
        [2, false],
        [3, false],
        [4, false],
        [5, true],
      ],
    );
    for (const [snap, b64] of [
      [full, HORNET_TEST_FULL],
      [delta, HORNET_TEST_DELTA],
    ] as const) {
      const path = fresh("rewritten");
      await writeSnapshotFile(path, snap.header, snap);
      assert.deepEqual(readFileSync(path), bytes(b64));
    }
  });
});
