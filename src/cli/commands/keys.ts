import type { Command } from "commander";
import { ed25519PublicKey, generateEd25519Seed } from "../../protocol/ed25519.ts";
import { toHex } from "../../protocol/hex.ts";
import { parseIntOption } from "../errors.ts";

export function registerKeys(program: Command): void {
  program
    .command("keys")
    .description("generate coordinator Ed25519 key pairs (prints JSON; keep the private keys secret)")
    .option("-n, --count <n>", "number of key pairs", parseIntOption("--count", 1, 16), 1)
    .action((opts: { count: number }) => {
      const keys = Array.from({ length: opts.count }, () => {
        const seed = generateEd25519Seed();
        const pub = ed25519PublicKey(seed);
        // privateKey is Hornet's COO_PRV_KEYS form: seed || public key.
        return { publicKey: toHex(pub), privateKey: toHex(seed) + toHex(pub) };
      });
      process.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`);
    });
}
