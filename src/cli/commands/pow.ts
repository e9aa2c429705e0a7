import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import type { Command } from "commander";
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

export function registerPow(program: Command): void {
  program
    .command("pow")
    .description("mine a nonce for a serialized message (its last 8 bytes are replaced by the nonce)")
    .requiredOption("--message <hexOrFile>", "message bytes as hex, or a file with hex text or raw bytes")
    .requiredOption("--score <score>", "target PoW score (e.g. 4000)", parseNumberOption("--score", 0))
    .option("--workers <n>", "worker threads (default: cores - 1)", parseIntOption("--workers", 1, 256))
    .option("--json", "print one JSON object: nonce, score, hashes, hashesPerSecond, ms")
    .action(async (opts: { message: string; score: number; workers?: number; json?: boolean }) => {
      let pool: PowPool | undefined;
      try {
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
