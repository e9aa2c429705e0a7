// The files an operator hands stinger, random and cut short: node and gateway configs, snapshot
// files, coordinator key files and node identity keys. Each bad one is refused with one line that
// names the file, never another kind of exception (fast-check, in process); and `stinger node` on a
// bad config, identity or snapshot exits 2 with one line.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { gatewayConfigSchema } from "../../src/config/gateway.ts";
import { ConfigError, loadConfigFile } from "../../src/config/load.ts";
import { nodeConfigSchema } from "../../src/config/node.ts";
import { readKeyFile } from "../../src/node/coordinator/keys.ts";
import { loadOrCreateIdentity } from "../../src/node/identity/identity.ts";
import { writeGenesisSnapshot } from "../../src/node/snapshot/genesis.ts";
import { readSnapshotFile } from "../../src/node/snapshot/snapshot-file.ts";
import { StingerError } from "../../src/util/errors.ts";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

const RUNS = 300;
const dir = tempDir("stinger-file-fuzz-");

/** One line that names the file, from the expected error type. */
function refusedWithOneLine(err: unknown, file: string, kind: (e: unknown) => boolean): void {
  assert.ok(kind(err), `unexpected ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  const message = (err as Error).message;
  assert.ok(!message.includes("\n"), `one line: ${message}`);
  assert.ok(message.includes(file), `names the file: ${message}`);
}

/** Random bytes, random JSON, and cuts of a valid text. */
const contents = (valid: string) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.json({ maxDepth: 4 }).map((j) => Buffer.from(j)),
    fc.nat({ max: Math.max(0, valid.length - 1) }).map((n) => Buffer.from(valid.slice(0, n))),
    fc
      .tuple(fc.nat({ max: Math.max(0, valid.length - 1) }), fc.string({ maxLength: 5 }))
      .map(([at, junk]) => Buffer.from(valid.slice(0, at) + junk + valid.slice(at + 1))),
  );

let n = 0;
const write = (name: string, bytes: Buffer | string) => {
  const file = join(dir, `${n++}-${name}`);
  writeFileSync(file, bytes);
  return file;
};

/**
 * Feeds `runs` random and cut versions of `valid` (as files named `name`) to `load`: each refusal must
 * be one line naming the file, of the expected kind. Returns how many were refused.
 */
function fuzzLoader(
  name: string,
  valid: string,
  load: (file: string) => unknown,
  expected: (e: unknown) => boolean,
  runs: number,
): number {
  let refused = 0;
  fc.assert(
    fc.property(contents(valid), (bytes) => {
      const file = write(name, bytes);
      try {
        load(file);
      } catch (err) {
        refusedWithOneLine(err, file, expected);
        refused++;
      }
    }),
    { numRuns: runs },
  );
  return refused;
}

const isKeyInvalid = (e: unknown) => e instanceof StingerError && e.code === "KEY_INVALID";

describe("bad files are refused with one line", () => {
  after(() => removeDir(dir));

  const configs: [string, Parameters<typeof loadConfigFile>[0], string][] = [
    [
      "node",
      nodeConfigSchema,
      JSON.stringify({
        restAPI: { bindAddress: "127.0.0.1:14265" },
        pruning: { milestones: { enabled: true } },
      }),
    ],
    [
      "gateway",
      gatewayConfigSchema,
      JSON.stringify({ upstreams: ["http://127.0.0.1:14265"], rateLimit: { capacity: 10 } }),
    ],
  ];
  for (const [name, schema, valid] of configs) {
    it(`${name} configs: ${RUNS} random and cut files`, () => {
      const refused = fuzzLoader(
        `${name}.json`,
        valid,
        (file) => loadConfigFile(schema, file, {}),
        (e) => e instanceof ConfigError,
        RUNS,
      );
      assert.ok(refused > RUNS / 2, `most were refused (${refused})`);
    });
  }

  it(`snapshot files: ${RUNS} random and cut files`, async () => {
    const valid = join(dir, "genesis.bin");
    await writeGenesisSnapshot({ path: valid, networkName: "fuzz", mintAddress: new Uint8Array(32).fill(1) });
    const good = readFileSync(valid);
    const cuts = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.nat({ max: good.length - 1 }).map((k) => good.subarray(0, k)),
      fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = Buffer.from(good);
        b[at] = b[at]! ^ x;
        return b;
      }),
    );
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(cuts, async (bytes) => {
        const file = write("snapshot.bin", bytes);
        try {
          await readSnapshotFile(file);
        } catch (err) {
          refusedWithOneLine(err, file, (e) => e instanceof StingerError && e.code === "SNAPSHOT_INVALID");
          refused++;
        }
      }),
      { numRuns: RUNS },
    );
    // Some flips land in bytes the format cannot check (an address, a timestamp): those read fine.
    assert.ok(refused > RUNS / 2, `most were refused (${refused})`);
  });

  it(`coordinator key files: ${RUNS} random and cut files`, () => {
    const valid = JSON.stringify({ seeds: ["ab".repeat(32)] });
    fuzzLoader("coordinator.keys", valid, readKeyFile, isKeyInvalid, RUNS);
  });

  it(`identity keys: ${RUNS / 3} random and cut files`, () => {
    const validDir = join(dir, "valid-identity");
    loadOrCreateIdentity(join(validDir, "identity.key"));
    const valid = readFileSync(join(validDir, "identity.key"), "utf8");
    fuzzLoader("identity.key", valid, loadOrCreateIdentity, isKeyInvalid, RUNS / 3);
  });

  it("stinger node exits 2 with one line on a bad config, identity key or snapshot", () => {
    const cases: [string, (d: string) => void, RegExp][] = [
      [
        "config",
        (d) => writeFileSync(join(d, "config.json"), '{"restAPI": {"bindAddress": '),
        /not valid JSON/,
      ],
      [
        "identity",
        (d) => {
          mkdirSync(join(d, "p2pstore"), { recursive: true });
          writeFileSync(join(d, "p2pstore", "identity.key"), "-----BEGIN PRIVATE KEY-----\nnope\n");
        },
        /identity\.key: not a PEM private key/,
      ],
      [
        "snapshot",
        (d) => {
          mkdirSync(join(d, "snapshots"), { recursive: true });
          writeFileSync(join(d, "snapshots", "full_snapshot.bin"), Buffer.from([1, 0, 1, 2, 3]));
        },
        /full_snapshot\.bin: file ends inside the header/,
      ],
    ];
    for (const [name, spoil, why] of cases) {
      const d = join(dir, `node-${name}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(
        join(d, "config.json"),
        JSON.stringify({
          restAPI: { bindAddress: "127.0.0.1:0" },
          p2p: { bindMultiAddresses: ["/ip4/127.0.0.1/tcp/0"] },
          prometheus: { enabled: false },
          mqtt: { bindAddress: "127.0.0.1:0" },
        }),
      );
      spoil(d);
      const r = spawnSync(process.execPath, [BIN, "node", "--config", join(d, "config.json")], {
        encoding: "utf8",
        timeout: 60_000,
      });
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("stinger: "));
      assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
      assert.match(lines[0]!, why, name);
    }
  });
});
