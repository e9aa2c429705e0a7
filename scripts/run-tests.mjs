#!/usr/bin/env node
// Runs every *.test.ts under test/ (or the files / name fragments given) with node's test runner, one
// process group per file, two files at a time. A file gets a time limit and the whole run gets one; a
// file that overruns is stopped with everything it spawned, and the run says what was still running.
// Whatever a file leaves running when it ends is killed and reported as a failure of that file.
// Under CI=true a skipped or todo test fails the run: CI must prove everything it claims.
//
//   STINGER_TEST_FILE_TIMEOUT   seconds one file may take (default 300)
//   STINGER_TEST_RUN_TIMEOUT    seconds the whole run may take (default 1200)
//   STINGER_TEST_CONCURRENCY    files at a time (default 2, one per core here)
//   STINGER_TEST_VERBOSE=1      print every file's report, not only failing ones
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const FILE_LIMIT_S = Number(process.env.STINGER_TEST_FILE_TIMEOUT ?? 300);
const RUN_LIMIT_S = Number(process.env.STINGER_TEST_RUN_TIMEOUT ?? 1200);
const CONCURRENCY = Math.max(1, Number(process.env.STINGER_TEST_CONCURRENCY ?? 2));
const VERBOSE = process.env.STINGER_TEST_VERBOSE === "1";
/** How long a file's leftovers get to exit on their own after SIGTERM before SIGKILL. */
const GRACE_MS = 3000;

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

function selectFiles(args) {
  const explicit = args.filter((a) => existsSync(a) && statSync(a).isFile());
  const fragments = args.filter((a) => !explicit.includes(a));
  const found = fragments.length === 0 && explicit.length > 0 ? [] : collect("test");
  return [
    ...explicit,
    ...found.filter((f) => fragments.length === 0 || fragments.some((s) => f.includes(s))),
  ];
}

/** Processes whose process group is `pgid` (Linux /proc), as "pid command line". */
function groupMembers(pgid) {
  const members = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command (which may hold spaces) start after the last ')': state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid || fields[0] === "Z") continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      members.push(`${name} ${cmd.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already empty
  }
}

/** SIGTERM the group, give it GRACE_MS, then SIGKILL whatever is left. */
async function stopGroup(pgid) {
  killGroup(pgid, "SIGTERM");
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && groupMembers(pgid).length > 0) await new Promise((r) => setTimeout(r, 100));
  killGroup(pgid, "SIGKILL");
}

function counts(text) {
  const n = (key) => Number(new RegExp(`ℹ ${key} (\\d+)`).exec(text)?.[1] ?? 0);
  return {
    tests: n("tests"),
    pass: n("pass"),
    fail: n("fail"),
    cancelled: n("cancelled"),
    skipped: n("skipped"),
    todo: n("todo"),
  };
}

// Every REST response the tests receive is checked against TIP-13's OpenAPI document (see
// test/helpers/conformance-hook.ts); STINGER_CONFORMANCE=0 turns that off.
const CONFORMANCE = process.env.STINGER_CONFORMANCE !== "0";
const CONFORMANCE_HOOK = new URL("../test/helpers/conformance-hook.ts", import.meta.url).href;
const CONFORMANCE_LOG = join(tmpdir(), `stinger-conformance-${process.pid}.jsonl`);

function fileEnv() {
  const env = {
    ...process.env,
    ...(CONFORMANCE ? { STINGER_CONFORMANCE_LOG: CONFORMANCE_LOG } : {}),
    TSX_TSCONFIG_PATH: "tsconfig.base.json",
    FORCE_COLOR: process.stdout.isTTY ? "1" : "0",
  };
  // Set by node's runner for the files it runs; a runner started from a test (test/runner) runs its
  // files as a top-level run, not as a nested one that node would refuse.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const running = new Map(); // pgid -> { file, started }

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        ...(CONFORMANCE ? ["--import", CONFORMANCE_HOOK] : []),
        "--test",
        "--test-force-exit",
        "--test-reporter=spec",
        file,
      ],
      {
        // Its own process group: the file, its test process and everything its fixtures start.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        // tsconfig.json maps iota.js typings for tsc; tsx must resolve the real packages instead.
        env: fileEnv(),
      },
    );
    const pgid = child.pid;
    running.set(pgid, { file, started });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(async () => {
      timedOut = true;
      const still = groupMembers(pgid);
      output += `\n✖ ${file} exceeded its time limit of ${FILE_LIMIT_S} s; still running:\n${still.map((m) => `    ${m}`).join("\n")}\n`;
      await stopGroup(pgid);
    }, FILE_LIMIT_S * 1000);
    child.on("close", async (code, signal) => {
      clearTimeout(timer);
      // Fixtures stop their processes; anything still here was left behind.
      let leftovers = groupMembers(pgid);
      if (leftovers.length > 0) {
        await new Promise((r) => setTimeout(r, 500));
        leftovers = groupMembers(pgid);
      }
      if (leftovers.length > 0) {
        output += `\n✖ ${file} left ${leftovers.length} process(es) running (killed now):\n${leftovers.map((m) => `    ${m}`).join("\n")}\n`;
        await stopGroup(pgid);
      }
      running.delete(pgid);
      const c = counts(output);
      // A file that ran no test proves nothing (a crash at import, a filter that matched nothing).
      if (c.tests === 0) output += `\n✖ ${file} ran no tests\n`;
      const ok =
        !timedOut && leftovers.length === 0 && code === 0 && c.fail === 0 && c.cancelled === 0 && c.tests > 0;
      resolve({ file, ok, ms: Date.now() - started, output, code, signal, ...c });
    });
  });
}

async function stopEverything() {
  await Promise.all([...running.keys()].map(stopGroup));
}

/** Sums up the TIP-13 checks of the run; false when a response deviates in a way not listed. */
async function reportConformance() {
  if (!existsSync(CONFORMANCE_LOG)) return true;
  const { deviationOf } = await import("../test/helpers/conformance-deviations.mjs");
  const checked = readFileSync(CONFORMANCE_LOG, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  rmSync(CONFORMANCE_LOG, { force: true });
  const byDesign = new Map();
  const unexpected = [];
  for (const c of checked) {
    if (c.ok) continue;
    const d = deviationOf(c);
    if (d) byDesign.set(d.id, (byDesign.get(d.id) ?? 0) + 1);
    else unexpected.push(c);
  }
  const operations = new Set(checked.filter((c) => c.ok).map((c) => `${c.operation} ${c.status}`));
  console.log(
    `run-tests: TIP-13: ${checked.length} responses checked, ${checked.length - [...byDesign.values()].reduce((a, b) => a + b, 0) - unexpected.length} conform ` +
      `(${operations.size} operation/status pairs); by design: ${[...byDesign].map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
  );
  if (unexpected.length === 0) return true;
  console.error(
    `run-tests: ${unexpected.length} responses deviate from TIP-13 (not listed in test/helpers/conformance-deviations.mjs):`,
  );
  const seen = new Set();
  for (const c of unexpected) {
    const key = `${c.method} ${c.operation ?? c.path} ${c.status} ${c.errors[0]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    console.error(`  ${c.file}: ${c.method} ${c.path} -> ${c.status}: ${c.errors.join("; ")}`);
  }
  return false;
}

async function main() {
  const files = selectFiles(process.argv.slice(2));
  if (files.length === 0) {
    console.error("run-tests: no test files matched");
    process.exit(2);
  }
  const runStarted = Date.now();
  for (const sig of ["SIGINT", "SIGTERM"])
    process.on(sig, async () => {
      console.error(`run-tests: ${sig}: stopping ${running.size} running file(s)`);
      await stopEverything();
      process.exit(130);
    });
  const runTimer = setTimeout(async () => {
    console.error(`\nrun-tests: the run exceeded its limit of ${RUN_LIMIT_S} s; still running:`);
    for (const [pgid, { file, started }] of running) {
      console.error(`  ${file} (for ${seconds(Date.now() - started)})`);
      for (const m of groupMembers(pgid)) console.error(`    ${m}`);
    }
    await stopEverything();
    process.exit(1);
  }, RUN_LIMIT_S * 1000);
  console.log(
    `run-tests: ${files.length} file(s), ${CONCURRENCY} at a time, ${FILE_LIMIT_S} s per file, ${RUN_LIMIT_S} s in all`,
  );
  const results = [];
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file);
      results.push(r);
      const status = r.ok ? "✔" : "✖";
      console.log(
        `${status} ${relative(".", file)} (${r.pass}/${r.tests} passed${r.skipped ? `, ${r.skipped} skipped` : ""}, ${seconds(r.ms)})`,
      );
      if (!r.ok || VERBOSE) console.log(r.output.replace(/^/gm, "  │ "));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker));
  clearTimeout(runTimer);
  const sum = (k) => results.reduce((n, r) => n + r[k], 0);
  const failed = results.filter((r) => !r.ok);
  const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 5);
  console.log(
    `\nrun-tests: ${results.length} files, ${sum("tests")} tests: ${sum("pass")} passed, ${sum("fail")} failed, ` +
      `${sum("cancelled")} cancelled, ${sum("skipped")} skipped, ${sum("todo")} todo, in ${seconds(Date.now() - runStarted)}`,
  );
  console.log(
    `run-tests: slowest: ${slowest.map((r) => `${relative(".", r.file)} ${seconds(r.ms)}`).join(", ")}`,
  );
  const conformanceOk = CONFORMANCE ? await reportConformance() : true;
  if (failed.length > 0) {
    console.error(`run-tests: FAILED: ${failed.map((r) => relative(".", r.file)).join(", ")}`);
    process.exit(1);
  }
  if (!conformanceOk) process.exit(1);
  if (process.env.CI === "true" && sum("skipped") + sum("todo") > 0) {
    console.error(
      `run-tests: ${sum("skipped")} skipped and ${sum("todo")} todo tests; CI treats them as failures`,
    );
    process.exit(1);
  }
}

await main();
