#!/usr/bin/env node
// Assembles src/protocol/curl/wasm/curl.wat into dist/protocol/curl/wasm/curl.wasm, beside the compiled
// loader; the loader run from src/ (tsx) reads the same file. `--check` only compares, for the tests.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import wabt from "wabt";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}src/protocol/curl/wasm/curl.wat`;
const target = `${root}dist/protocol/curl/wasm/curl.wasm`;

const tools = await wabt();
const mod = tools.parseWat("curl.wat", readFileSync(source, "utf8"), { simd: true });
mod.validate();
const bytes = mod.toBinary({}).buffer;
mod.destroy();

if (process.argv.includes("--check")) {
  let built = null;
  try {
    built = readFileSync(target);
  } catch {}
  if (built === null || Buffer.compare(built, Buffer.from(bytes)) !== 0) {
    console.error(
      `build-wasm: dist/protocol/curl/wasm/curl.wasm is missing or older than curl.wat; run npm run build:wasm`,
    );
    process.exit(1);
  }
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
  console.log(`build-wasm: dist/protocol/curl/wasm/curl.wasm (${bytes.length} bytes)`);
}
