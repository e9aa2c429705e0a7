// The CLI's contract: --help everywhere, one-line errors with exit code 2 for bad input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { powScore } from "../../src/protocol/curl/pow.ts";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

function run(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 20_000 });
}

describe("stinger CLI", () => {
  for (const cmd of [[], ["node"], ["devnet"], ["keys"], ["jwt"], ["pow"], ["gateway"]]) {
    it(`stinger ${cmd.join(" ")} --help`, () => {
      const out = run(...cmd, "--help");
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, /^Usage: stinger/m);
    });
  }

  it("keys prints Hornet-form key pairs", () => {
    const out = run("keys", "--count", "2");
    assert.equal(out.status, 0);
    const { keys } = JSON.parse(out.stdout) as { keys: { publicKey: string; privateKey: string }[] };
    assert.equal(keys.length, 2);
    for (const k of keys) {
      assert.match(k.publicKey, /^[0-9a-f]{64}$/);
      assert.equal(k.privateKey.slice(64), k.publicKey);
    }
    assert.notEqual(keys[0]!.publicKey, keys[1]!.publicKey);
  });

  it("keys --peer-id prints a node's gossip identity, the same on every call", () => {
    const dir = tempDir();
    try {
      const first = run("keys", "--peer-id", dir);
      assert.equal(first.status, 0, first.stderr);
      const { peerId } = JSON.parse(first.stdout) as { peerId: string };
      assert.match(peerId, /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
      assert.equal((JSON.parse(run("keys", "--peer-id", dir).stdout) as { peerId: string }).peerId, peerId);
      assert.equal(statSync(join(dir, "p2pstore", "identity.key")).mode & 0o777, 0o600);
    } finally {
      removeDir(dir);
    }
  });

  it("pow --json mines a message to the target score (TIP-12 example bytes)", () => {
    const out = run(
      "pow",
      "--message",
      "48656c6c6f2c20576f726c64215ee6aaaaaaaaaaaa",
      "--score",
      "4000",
      "--workers",
      "1",
      "--json",
    );
    assert.equal(out.status, 0, out.stderr);
    const r = JSON.parse(out.stdout) as {
      nonce: string;
      score: number;
      hashes: number;
      hashesPerSecond: number;
      ms: number;
    };
    assert.deepEqual(Object.keys(r).sort(), ["hashes", "hashesPerSecond", "ms", "nonce", "score"]);
    const mined = Buffer.from("48656c6c6f2c20576f726c64215ee6aaaaaaaaaaaa", "hex");
    mined.writeBigUInt64LE(BigInt(r.nonce), mined.length - 8);
    assert.equal(r.score, powScore(mined));
    assert.ok(r.score >= 4000);
    assert.ok(r.hashes >= 1);
  });

  it("pow refuses bad messages with exit 2", () => {
    for (const args of [
      ["--message", "zz"],
      ["--message", "0102"],
      ["--message", "00".repeat(40_000)],
    ]) {
      const out = run("pow", ...args, "--score", "10");
      assert.equal(out.status, 2, out.stderr);
      assert.match(out.stderr, /^stinger: --message: /);
    }
  });

  it("gateway --hash-key prints the SHA-256 of the key; a gateway config without upstreams is refused", () => {
    const out = run("gateway", "--hash-key", "abc");
    assert.equal(out.stdout.trim(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // SHA-256("abc"), FIPS 180-2
    const dir = tempDir();
    try {
      writeFileSync(join(dir, "gw.json"), JSON.stringify({ upstreams: [] }));
      const bad = run("gateway", "--config", join(dir, "gw.json"));
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^stinger: .*gw\.json: upstreams: at least one node is needed/);
      assert.equal(run("gateway").status, 2);
    } finally {
      removeDir(dir);
    }
  });

  it("unknown command or bad flag value -> exit 2", () => {
    assert.equal(run("nonsense").status, 2);
    const bad = run("devnet", "--api-port", "70000");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--api-port: must be an integer from 0 to 65535/);
  });

  describe("invalid config files: one line naming the key, exit 2", () => {
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      ["missing.json", "", /missing\.json: cannot read/],
      ["not-json.json", "{ nope", /not-json\.json: not valid JSON/],
      ["bad-type.json", JSON.stringify({ protocol: { minPoWScore: "high" } }), /protocol\.minPoWScore: /],
      ["unknown-key.json", JSON.stringify({ restAPI: { bindAdress: "x" } }), /restAPI: .*bindAdress/],
      [
        "bad-bind.json",
        JSON.stringify({ restAPI: { bindAddress: "nowhere" } }),
        /restAPI\.bindAddress: must be "host:port"/,
      ],
      [
        "bad-key.json",
        JSON.stringify({ protocol: { publicKeyRanges: [{ key: "abc" }] } }),
        /protocol\.publicKeyRanges\.0\.key: must be 64 hex/,
      ],
    ];
    for (const [name, content, expected] of cases) {
      it(name, () => {
        const file = join(dir, name);
        if (content) writeFileSync(file, content);
        const out = run("node", "--config", file);
        assert.equal(out.status, 2, out.stderr);
        assert.match(out.stderr, expected);
        assert.equal(out.stderr.trim().split("\n").length, 1, `expected one line, got:\n${out.stderr}`);
        assert.match(out.stderr, /^stinger: /);
      });
    }
    it("cleanup", () => removeDir(dir));
  });
});
