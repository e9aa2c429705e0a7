// Readable logs on a terminal, JSON lines otherwise: `stinger devnet` run on a pseudo-terminal
// (util-linux `script`), with --log-format json on it, and with plain pipes; a bad --log-format is a
// usage error. Per-milestone lines stay at debug unless asked for.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

const dirs: string[] = [];
const PORTS = ["api", "metrics", "gossip", "agent-check", "mqtt", "dashboard"].flatMap((p) => [
  `--${p}-port`,
  "0",
]);

function devnetArgs(extra: string[]): string[] {
  const dir = tempDir();
  dirs.push(dir);
  return ["devnet", "--data-dir", dir, "--no-gateway", "--milestone-interval", "0.3", ...PORTS, ...extra];
}

/** Runs until `done(output)` holds or 40 s pass, then SIGTERM; resolves with everything printed. */
function run(cmd: string, args: string[], done: (out: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TERM: "xterm" } });
    let out = "";
    const stop = () => p.kill("SIGTERM");
    const timer = setTimeout(stop, 40_000);
    const read = (d: Buffer) => {
      out += d.toString();
      if (done(out)) stop();
    };
    p.stdout.on("data", read);
    p.stderr.on("data", read);
    p.on("exit", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** `stinger ARGS` on a pseudo-terminal: stdout and stderr are both a tty. */
const onTerminal = (args: string[], done: (out: string) => boolean) =>
  run(
    "script",
    ["-qefc", [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"],
    done,
  );
const piped = (args: string[], done: (out: string) => boolean) => run(process.execPath, [BIN, ...args], done);

const isUp = (out: string) => /stinger devnet is up/.test(out) && /peer|node started/.test(out);
/** Without colour codes and the terminal's carriage returns. */
const ESC = String.fromCharCode(27);
const plain = (s: string) => s.replaceAll(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "").replace(/\r/g, "");

describe("log format", () => {
  after(() => {
    for (const d of dirs) removeDir(d);
  });

  it("prints readable lines on a terminal, the readiness summary, no per-milestone lines at info", async () => {
    const out = plain(await onTerminal(devnetArgs([]), isUp));
    assert.match(out, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: node 0: node started \{"api":"http:/m, out);
    assert.doesNotMatch(out, /^\{"level":/m, "no JSON lines");
    assert.match(out, /^stinger devnet ready: API http:\/\/127\.0\.0\.1:\d+ /m, "the stable ready line");
    assert.match(out, /^stinger devnet is up: 2 node\(s\)$/m);
    assert.match(out, /^ {2}API {8}http:\/\/127\.0\.0\.1:\d+ {2}\(node 0, coordinator and faucet\)$/m);
    assert.match(out, /^ {2}data {7}\//m);
    assert.doesNotMatch(out, /milestone (issued|confirmed)/);
  });

  it("prints per-milestone lines at --log-level debug", async () => {
    const out = plain(
      await onTerminal(devnetArgs(["--log-level", "debug"]), (o) => /milestone confirmed/.test(o)),
    );
    assert.match(out, /DEBUG: node 0 tangle: milestone confirmed \{"index":\d+/);
  });

  it("prints JSON lines with --log-format json on a terminal, and when piped", async () => {
    for (const [how, start] of [
      ["terminal", () => onTerminal(devnetArgs(["--log-format", "json"]), isUp)],
      ["pipe", () => piped(devnetArgs([]), isUp)],
    ] as const) {
      const out = await start();
      const lines = out.split(/\r?\n/).filter((l) => l.startsWith("{"));
      assert.ok(lines.length >= 3, `${how}: JSON lines\n${out}`);
      for (const l of lines) {
        const j = JSON.parse(l) as { level: number; msg: string; time: string };
        assert.equal(typeof j.level, "number", how);
        assert.equal(typeof j.msg, "string", how);
      }
      assert.ok(
        lines.some((l) => JSON.parse(l).msg === "node started"),
        how,
      );
      assert.doesNotMatch(out, /^\[\d\d:\d\d/m, `${how}: no pretty lines`);
    }
  });

  it("refuses a bad --log-format with one line and exit 2", async () => {
    const p = spawn(process.execPath, [BIN, "node", "--config", "x.json", "--log-format", "fancy"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    const code = await new Promise<number | null>((r) => p.on("exit", r));
    assert.equal(code, 2);
    assert.equal(err.trim(), 'stinger: --log-format: must be one of auto, json, pretty, got "fancy"');
  });
});
