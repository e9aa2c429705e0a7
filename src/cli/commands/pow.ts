import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import type { Command } from "commander";
import {
  DEFAULT_POW_SCORE,
  measureHashRate,
  recommendPow,
  TYPICAL_MESSAGE_SIZE,
} from "../../node/pow/benchmark.ts";
import { PowPool } from "../../node/pow/pool.ts";
import { powScore } from "../../protocol/curl/pow.ts";
import { fail, parseIntOption, parseNumberOption, UsageError } from "../errors.ts";

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Message bytes from a hex string, or from a file holding hex text or raw bytes. */
export function readMessageArgument(value: string): Uint8Array {
  let bytes: Uint8Array;
  if (HEX.test(value)) bytes = Buffer.from(value, "hex");
  else if (existsSync(value)) {
    const raw = readFileSync(value);
    const text = raw.toString("utf8").trim();
    bytes = HEX.test(text) ? Buffer.from(text, "hex") : raw;
  } else throw new UsageError(`--message: neither hex nor a readable file: ${value.slice(0, 80)}`);
  if (bytes.length < 8)
    throw new UsageError("--message: a message needs at least 8 bytes (its last 8 are the nonce)");
  if (bytes.length > 32768)
    throw new UsageError(`--message: ${bytes.length} bytes is over the 32768-byte message limit`);
  return bytes;
}

interface PowOptions {
  message?: string;
  score?: number;
  workers?: number;
  json?: boolean;
  benchmark?: boolean;
  messageSize?: number;
  quick?: boolean;
}

/** Measures 1..cores workers (progress on stderr), then prints the figures and the recommendation. */
async function benchmark(opts: PowOptions): Promise<void> {
  try {
    const score = opts.score ?? DEFAULT_POW_SCORE;
    if (!Number.isFinite(score) || score < 1 || score > 1e9)
      throw new UsageError(`--score: a network's minPoWScore is from 1 to 1e9, got ${score}`);
    const messageSize = opts.messageSize ?? TYPICAL_MESSAGE_SIZE;
    const cores = availableParallelism();
    const counts = opts.quick ? [1] : Array.from({ length: cores }, (_, i) => i + 1);
    const ms = opts.quick ? 300 : 1500;
    const rates: number[] = [];
    for (const n of counts) {
      process.stderr.write(`stinger pow: measuring ${n} worker(s) for ${ms} ms...\n`);
      rates.push(await measureHashRate(n, ms));
    }
    const b = recommendPow({ cores, rates, score, messageSize });
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(b)}\n`);
      return;
    }
    const r = b.recommendation;
    const lines = [
      `cores ${b.cores}; score ${b.score}, ${b.messageSize}-byte message: ${b.targetZeros} trailing zeros, ${b.expectedHashes.toLocaleString("en-US")} hashes per job on average`,
      ...b.byWorkers.map(
        (w) =>
          `  ${w.workers} worker(s): ${w.hashesPerSecond.toLocaleString("en-US")} hashes/s (${Math.round(w.hashesPerSecond / w.workers).toLocaleString("en-US")} per worker)`,
      ),
      r.enable ? `remote PoW: enable; ${r.reason}` : `remote PoW: ${r.reason}`,
      `node:    restAPI.powEnabled ${r.enable}, restAPI.powWorkerCount ${r["restAPI.powWorkerCount"]}, restAPI.pow.maxQueue ${r["restAPI.pow.maxQueue"]}, restAPI.pow.maxJobsPerClient ${r["restAPI.pow.maxJobsPerClient"]}`,
      `gateway: rateLimit.powSubmitCost ${r["rateLimit.powSubmitCost"]}, rateLimit.maxPowSubmitsPerClient ${r["rateLimit.maxPowSubmitsPerClient"]}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } catch (err) {
    fail(err);
  }
}

export function registerPow(program: Command): void {
  program
    .command("pow")
    .description(
      "mine a nonce for a serialized message (its last 8 bytes are replaced by the nonce), or --benchmark this host",
    )
    .option("--message <hexOrFile>", "message bytes as hex, or a file with hex text or raw bytes")
    .option("--score <score>", "target PoW score (e.g. 4000)", parseNumberOption("--score", 0))
    .option("--workers <n>", "worker threads (default: cores - 1)", parseIntOption("--workers", 1, 256))
    .option("--benchmark", "measure this host's PoW capacity and recommend a remote-PoW setting")
    .option(
      "--message-size <bytes>",
      `with --benchmark: the message size to cost (default ${TYPICAL_MESSAGE_SIZE})`,
      parseIntOption("--message-size", 9, 32768),
    )
    .option("--quick", "with --benchmark: one short measurement of one worker (what stinger audit runs)")
    .option("--json", "print one JSON object (mining: nonce, score, hashes, hashesPerSecond, ms)")
    .action(async (opts: PowOptions) => {
      if (opts.benchmark) return benchmark(opts);
      let pool: PowPool | undefined;
      try {
        if (opts.message === undefined)
          throw new UsageError("--message <hexOrFile> is required (or --benchmark)");
        if (opts.score === undefined) throw new UsageError("--score <score> is required");
        const bytes = readMessageArgument(opts.message);
        pool = new PowPool(opts.workers ?? Math.max(1, cpus().length - 1), 1);
        const result = await pool.mineDetailed(bytes, opts.score);
        const mined = Uint8Array.from(bytes);
        new DataView(mined.buffer).setBigUint64(mined.length - 8, result.nonce!, true);
        const out = {
          nonce: result.nonce!.toString(),
          score: powScore(mined),
          hashes: result.hashes,
          hashesPerSecond: Math.round(result.hashes / (result.ms / 1000)),
          ms: Math.round(result.ms),
        };
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(out)}\n`
            : `nonce ${out.nonce}  score ${out.score.toFixed(2)}  hashes ${out.hashes}  ` +
                `${out.hashesPerSecond.toLocaleString("en-US")} hashes/s  ${out.ms} ms\n`,
        );
        await pool.close();
      } catch (err) {
        await pool?.close();
        fail(err);
      }
    });
}
