// `stinger snapshot genesis`: Hornet's snap-gen as a command, read back with our own reader.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readSnapshotFile } from "../../src/node/snapshot/snapshot-file.ts";
import { encodeAddress } from "../../src/protocol/bech32.ts";
import { fromHex } from "../../src/protocol/hex.ts";
import { networkIdFromName } from "../../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

const MINT = "6920b176f613ec7be59e68fc68f597eb3393af80f74c7c3db78198147d5f1f92";

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 20_000 });
}

let dir: string;
before(() => {
  dir = tempDir("stinger-snapshot-cli-");
});
after(() => removeDir(dir));

let n = 0;
const out = () => join(dir, `genesis-${++n}.bin`);

describe("stinger snapshot genesis", () => {
  it("--help works for snapshot and snapshot genesis", () => {
    for (const args of [
      ["snapshot", "--help"],
      ["snapshot", "genesis", "--help"],
    ]) {
      const r = run(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^Usage: stinger snapshot/m);
    }
    assert.match(run("snapshot", "genesis", "--help").stdout, /--mint-address/);
  });

  it("writes a full snapshot at milestone 0 with the supply on the mint address and the treasury", async () => {
    const file = out();
    const before = Math.floor(Date.now() / 1000);
    const r = run(
      "snapshot",
      "genesis",
      "--network-id",
      "private_tangle@1",
      "--mint-address",
      MINT,
      "--treasury",
      "500000000",
      "--out",
      file,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    const bech32 = encodeAddress("atoi", fromHex(MINT));
    for (const part of [
      file,
      MINT,
      bech32,
      String(TOTAL_SUPPLY - 500000000n),
      "treasury 500000000",
      "private_tangle@1",
    ]) {
      assert.ok(lines[0]!.includes(part), `${part} in: ${lines[0]}`);
    }

    const snap = await readSnapshotFile(file);
    const { timestamp, ...header } = snap.header;
    assert.ok(
      timestamp >= before && timestamp <= Math.floor(Date.now() / 1000) + 1,
      `timestamp ${timestamp}`,
    );
    assert.deepEqual(header, {
      type: "full",
      networkId: networkIdFromName("private_tangle@1"),
      sepMilestoneIndex: 0,
      ledgerMilestoneIndex: 0,
      treasury: { milestoneId: new Uint8Array(32), amount: 500000000n },
    });
    assert.deepEqual(snap.solidEntryPoints, [new Uint8Array(32)]);
    assert.deepEqual(snap.outputs, [
      {
        messageId: new Uint8Array(32),
        outputId: new Uint8Array(34),
        outputType: 0,
        address: fromHex(MINT),
        amount: TOTAL_SUPPLY - 500000000n,
      },
    ]);
    assert.deepEqual(snap.milestoneDiffs, []);
    assert.equal(readFileSync(file).length, 230);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(".tmp")),
      [],
    );
  });

  it("takes a bech32 mint address; the treasury defaults to 0; --bech32-hrp sets the printed HRP", async () => {
    const file = out();
    const iota = encodeAddress("iota", fromHex(MINT));
    const r = run(
      "snapshot",
      "genesis",
      "--network-id",
      "mainnet-like",
      "--mint-address",
      iota,
      "--out",
      file,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(iota), r.stdout);
    const snap = await readSnapshotFile(file);
    assert.deepEqual(snap.outputs[0]!.address, fromHex(MINT));
    assert.equal(snap.outputs[0]!.amount, TOTAL_SUPPLY);
    assert.equal(snap.header.treasury!.amount, 0n);
    assert.equal(snap.header.networkId, networkIdFromName("mainnet-like"));

    const r2 = run(
      "snapshot",
      "genesis",
      "--network-id",
      "x",
      "--mint-address",
      MINT,
      "--bech32-hrp",
      "iota",
      "--out",
      out(),
    );
    assert.equal(r2.status, 0, r2.stderr);
    assert.ok(r2.stdout.includes(iota), r2.stdout);
  });

  it("usage errors: one line on stderr, exit 2, no file", () => {
    const existing = join(dir, "existing.bin");
    writeFileSync(existing, "keep me");
    const target = join(dir, "never.bin");
    const base = ["snapshot", "genesis"];
    const cases: [string[], RegExp][] = [
      [["--mint-address", MINT, "--out", target], /--network-id/],
      [["--network-id", "x", "--out", target], /--mint-address/],
      [["--network-id", "x", "--mint-address", MINT], /--out/],
      [["--network-id", "x", "--mint-address", "zz", "--out", target], /--mint-address/],
      [["--network-id", "x", "--mint-address", MINT.slice(2), "--out", target], /--mint-address/],
      [["--network-id", "x", "--mint-address", `${MINT}00`, "--out", target], /--mint-address/],
      [
        ["--network-id", "x", "--mint-address", "atoi1qqqqqqqq", "--out", target],
        /--mint-address: not a bech32/,
      ],
      [["--network-id", "x", "--mint-address", MINT, "--treasury", "1.5", "--out", target], /--treasury/],
      [["--network-id", "x", "--mint-address", MINT, "--treasury", "-1", "--out", target], /--treasury/],
      [
        [
          "--network-id",
          "x",
          "--mint-address",
          MINT,
          "--treasury",
          String(TOTAL_SUPPLY + 1n),
          "--out",
          target,
        ],
        /--treasury: .*total supply/,
      ],
      [
        ["--network-id", "x", "--mint-address", MINT, "--treasury", String(TOTAL_SUPPLY), "--out", target],
        /--treasury: .*leaves nothing/,
      ],
      [["--network-id", "", "--mint-address", MINT, "--out", target], /--network-id/],
      [["--network-id", "x", "--mint-address", MINT, "--out", existing], /--out: .*already exists/],
      [
        ["--network-id", "x", "--mint-address", MINT, "--bech32-hrp", "BAD HRP", "--out", target],
        /--bech32-hrp/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = run(...base, ...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
      assert.equal(r.stdout, "");
    }
    assert.ok(!existsSync(target));
    assert.equal(readFileSync(existing, "utf8"), "keep me");
  });
});

describe("stinger snapshot info", () => {
  it("prints what a snapshot holds, as text and as JSON, after checking every entry", () => {
    const file = out();
    assert.equal(
      run(
        "snapshot",
        "genesis",
        "--network-id",
        "private_tangle1",
        "--mint-address",
        MINT,
        "--treasury",
        "1000",
        "--out",
        file,
      ).status,
      0,
    );
    const text = run("snapshot", "info", file);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /full snapshot of network \d+/);
    assert.match(text.stdout, /1 unspent outputs on 1 addresses holding 2779530283276761; treasury 1000/);
    const json = run("snapshot", "info", file, "--json");
    assert.equal(json.status, 0, json.stderr);
    const info = JSON.parse(json.stdout);
    assert.equal(info.type, "full");
    assert.equal(info.networkId, networkIdFromName("private_tangle1").toString());
    assert.equal(BigInt(info.outputsAmount) + BigInt(info.treasury.amount), TOTAL_SUPPLY);
    assert.deepEqual(
      [info.ledgerMilestoneIndex, info.solidEntryPoints, info.outputs, info.milestoneDiffs],
      [0, 1, 1, 0],
    );
  });

  it("refuses a missing, truncated or tampered file in one line, exit 2", () => {
    const file = out();
    run("snapshot", "genesis", "--network-id", "x", "--mint-address", MINT, "--out", file);
    const bytes = readFileSync(file);
    const truncated = join(dir, "truncated.bin");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 3));
    // The last 8 bytes of the genesis output are its amount: one more token than the supply allows.
    const tampered = join(dir, "tampered.bin");
    const t = Buffer.from(bytes);
    t.writeBigUInt64LE(t.readBigUInt64LE(t.length - 8) + 1n, t.length - 8);
    writeFileSync(tampered, t);
    for (const [path, message] of [
      [join(dir, "missing.bin"), /no such file/],
      [truncated, /truncated\.bin: .*ends/],
      [tampered, /tampered\.bin: /],
      [dir, /is a folder/],
    ] as const) {
      const r = run("snapshot", "info", path);
      assert.equal(r.status, 2, `${path}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, message);
    }
  });
});
