// `stinger ban-helper` against real nftables: it runs in a throwaway network namespace (`unshare -n`) with
// the table `stinger harden` writes, and the test speaks its line protocol over the Unix socket.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildNftables } from "../../src/audit/harden/nftables.ts";
import { BIN, removeDir, tempDir, waitFor } from "../helpers/devnet.ts";
import { sh } from "../helpers/netns.ts";
import { exited, spawnOwned, stopOwned } from "../helpers/owned.ts";

const RULES = buildNftables({
  publicPorts: [{ port: 443, protocol: "tcp", service: "gateway (HTTPS)" }],
  sshPorts: [22],
  sshdDirectives: [],
  sshBackend: "auto",
});

describe("stinger ban-helper with real nft", () => {
  const dir = tempDir();
  const socketPath = join(dir, "ban.sock");
  let helper: ChildProcess;
  let client: Socket;
  let stderr = "";
  const answers: string[] = [];

  /** nft inside the helper's namespace */
  const nft = (...args: string[]) => sh(["nsenter", "-t", String(helper.pid), "-n", "nft", ...args]);
  const elements = async (set: string) => {
    const doc = JSON.parse(await nft("-j", "list", "set", "inet", "stinger", set));
    const s = doc.nftables.find((x: { set?: unknown }) => x.set).set;
    return (s.elem ?? []).map((e: { elem: { val: unknown } }) => {
      const v = e.elem.val as string | { prefix: { addr: string; len: number } };
      return typeof v === "string" ? v : `${v.prefix.addr}/${v.prefix.len}`;
    });
  };
  const ask = async (line: string) => {
    const n = answers.length;
    client.write(`${line}\n`);
    await waitFor(async () => answers.length > n, 10_000, `an answer to "${line}"`);
    return answers[n]!;
  };

  before(async () => {
    writeFileSync(join(dir, "rules.nft"), RULES);
    helper = spawnOwned(
      "unshare",
      [
        "-n",
        "sh",
        "-ec",
        `nft -f "$1"; exec "$2" "$3" ban-helper --socket "$4" --never 192.0.2.50 --never 2001:db8:9:9::1`,
        "sh",
        join(dir, "rules.nft"),
        process.execPath,
        BIN,
        socketPath,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    helper.stderr!.on("data", (d) => {
      stderr += d;
    });
    let out = "";
    helper.stdout!.on("data", (d) => {
      out += d;
    });
    await waitFor(async () => out.includes("stinger ban-helper ready"), 20_000, `helper ready (${stderr})`);
    client = connect(socketPath);
    await new Promise((r) => client.once("connect", r));
    let buf = "";
    client.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      answers.push(...lines);
    });
  });

  after(async () => {
    client?.destroy();
    if (helper) assert.equal(await stopOwned(helper), 0, stderr);
    removeDir(dir);
  });

  it("puts IPv4 addresses and IPv6 prefixes into the sets with their timeout", async () => {
    assert.equal(await ask("ban 198.51.100.7 600"), "ok 198.51.100.7");
    assert.equal(await ask("ban 2001:db8:1:2::/64 600"), "ok 2001:db8:1:2::/64");
    assert.deepEqual(await elements("gateway_ban_v4"), ["198.51.100.7"]);
    assert.deepEqual(await elements("gateway_ban_v6"), ["2001:db8:1:2::/64"]);
    // Asked twice (two gateways, say): still one element, no error.
    assert.equal(await ask("ban 198.51.100.7 600"), "ok 198.51.100.7");
    assert.deepEqual(await elements("gateway_ban_v4"), ["198.51.100.7"]);
  });

  it("the kernel forgets a ban when its timeout passes", async () => {
    assert.equal(await ask("ban 198.51.100.8 1"), "ok 198.51.100.8");
    assert.ok((await elements("gateway_ban_v4")).includes("198.51.100.8"));
    await waitFor(
      async () => !(await elements("gateway_ban_v4")).includes("198.51.100.8"),
      10_000,
      "the 1 s ban to expire",
    );
  });

  it("refuses exempt addresses, loopback, wide prefixes and anything that is not a ban line", async () => {
    for (const [line, expect] of [
      ["ban 192.0.2.50 60", /^error 192\.0\.2\.50 is exempt$/],
      ["ban 127.0.0.1 60", /^error 127\.0\.0\.1 is exempt$/],
      // The /64 holds an address on the never list.
      ["ban 2001:db8:9:9::/64 60", /^error .* is exempt$/],
      ["ban 2001:db8::/16 60", /^error expected/],
      ["ban 198.51.100.9 0", /^error expected/],
      ["ban 198.51.100.9 9999999", /^error expected/],
      ["ban 198.51.100.9/24 60", /^error expected/],
      ["ban 1.2.3.4 } ; flush ruleset ; { 60", /^error expected/],
      ["unban 198.51.100.7", /^error expected/],
    ] as const)
      assert.match(await ask(line), expect, line);
    assert.ok(!(await elements("gateway_ban_v4")).includes("192.0.2.50"));
    // The table is whole: nothing flushed it.
    assert.match(await nft("list", "table", "inet", "stinger"), /chain input/);
  });

  it("an oversized line closes that connection only; the helper keeps serving", async () => {
    const rogue = connect(socketPath);
    await new Promise((r) => rogue.once("connect", r));
    const closed = new Promise((r) => rogue.once("close", r));
    rogue.on("error", () => {});
    // Flowing, so the helper's answer is read and the end of the stream (then "close") is seen.
    rogue.resume();
    rogue.write("x".repeat(10_000));
    await closed;
    assert.equal(await ask("ban 198.51.100.10 60"), "ok 198.51.100.10");
  });

  it("prints its usage; refuses a bad --never and a path that is not a socket with exit code 2", async () => {
    const help = await sh([process.execPath, BIN, "ban-helper", "--help"]);
    assert.match(help, /--socket <path>/);
    const bad = spawnOwned(
      process.execPath,
      [BIN, "ban-helper", "--socket", join(dir, "x.sock"), "--never", "nope"],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    bad.stderr!.on("data", (d) => {
      err += d;
    });
    assert.equal(await exited(bad), 2);
    assert.match(err, /^stinger: .*"nope" is not an IP address or CIDR\n$/);
    // A path that holds something else is not taken over.
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "keep me");
    const taken = spawnOwned(process.execPath, [BIN, "ban-helper", "--socket", file], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let takenErr = "";
    taken.stderr!.on("data", (d) => {
      takenErr += d;
    });
    assert.equal(await exited(taken), 2);
    assert.match(takenErr, /exists and is not a socket/);
    assert.equal(readFileSync(file, "utf8"), "keep me");
  });
});
