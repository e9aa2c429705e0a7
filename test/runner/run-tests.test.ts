// scripts/run-tests.mjs, the runner behind `npm test`, on fixture test files: a failed before hook ends
// the run with that failure and leaves no process; a leak, a hang and an overlong run are reported with
// what was running, and stopped; skipped tests fail a CI run.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { removeDir, tempDir } from "../helpers/devnet.ts";

const RUNNER = new URL("../../scripts/run-tests.mjs", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/runner/", import.meta.url).pathname;

interface RunResult {
  code: number | null;
  out: string;
}

/** Runs the runner on fixture files; fails (and kills it) if the runner itself does not end. */
function runRunner(files: string[], env: NodeJS.ProcessEnv, deadlineMs = 90_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [RUNNER, ...files.map((f) => join(FIXTURES, f))], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`the runner did not end within ${deadlineMs} ms:\n${out}`));
    }, deadlineMs);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0 until its parent reaps it; it runs nothing.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("the test runner", () => {
  const dir = tempDir();
  const pidFile = join(dir, "pid");
  const pid = () => Number(readFileSync(pidFile, "utf8"));

  after(() => removeDir(dir));

  it("a before hook that fails after starting a devnet: the run ends with that failure, no process left", async () => {
    const r = await runRunner(["before-fails.ts"], { RUNNER_PIDFILE: pidFile });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /before hook failed on purpose/);
    assert.match(r.out, /run-tests: FAILED: .*before-fails\.ts/);
    // The fixture stopped its devnet itself: nothing for the runner to clean up.
    assert.doesNotMatch(r.out, /left \d+ process/);
    assert.equal(alive(pid()), false, "the devnet is still running");
  });

  it("a process started outside any fixture is reported, killed, and fails its file", async () => {
    const r = await runRunner(["leaks.ts"], { RUNNER_PIDFILE: pidFile });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /leaks\.ts left 1 process\(es\) running \(killed now\):\n[\s│]+\d+ .*setInterval/);
    assert.equal(alive(pid()), false);
  });

  it("a file over its time limit is stopped, with what was still running", async () => {
    const r = await runRunner(["hangs.ts"], { RUNNER_PIDFILE: pidFile, STINGER_TEST_FILE_TIMEOUT: "4" });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /hangs\.ts exceeded its time limit of 4 s; still running:/);
    assert.match(r.out, new RegExp(`\\n[\\s│]+${pid()} .*setInterval`));
    assert.equal(alive(pid()), false);
  });

  it("a run over its limit says which files were running and stops them", async () => {
    const r = await runRunner(["hangs.ts"], {
      RUNNER_PIDFILE: pidFile,
      STINGER_TEST_FILE_TIMEOUT: "600",
      STINGER_TEST_RUN_TIMEOUT: "4",
    });
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /the run exceeded its limit of 4 s; still running:\n\s+.*hangs\.ts \(for /);
    assert.equal(alive(pid()), false);
  });

  it("skipped tests pass locally and fail under CI=true", async () => {
    const local = await runRunner(["skips.ts"], { CI: "false" });
    assert.equal(local.code, 0, local.out);
    assert.match(local.out, /1 passed, 0 failed, 0 cancelled, 1 skipped/);
    const ci = await runRunner(["skips.ts"], { CI: "true" });
    assert.equal(ci.code, 1, ci.out);
    assert.match(ci.out, /1 skipped and 0 todo tests; CI treats them as failures/);
  });
});
