#!/usr/bin/env node
// Runs every *.test.ts under test/ with node's test runner (Node 20's --test does not expand globs).
// Under CI=true a skipped or todo test fails the run: CI must prove everything it claims.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = collect("test").filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(2);
}
const child = spawn(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  // tsconfig.json maps iota.js typings for tsc; tsx must resolve the real packages instead.
  { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, TSX_TSCONFIG_PATH: "tsconfig.base.json" } },
);
let tail = "";
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on("close", (code) => {
  const skipped = Number(/ℹ skipped (\d+)/.exec(tail)?.[1] ?? 0);
  const todo = Number(/ℹ todo (\d+)/.exec(tail)?.[1] ?? 0);
  if (process.env.CI === "true" && skipped + todo > 0) {
    console.error(`run-tests: ${skipped} skipped and ${todo} todo tests; CI treats them as failures`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
