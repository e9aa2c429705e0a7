import { resolve } from "node:path";
import type { Command } from "commander";
import { loadOrCreateIdentity } from "../../node/identity/identity.ts";
import { ed25519PublicKey, generateEd25519Seed } from "../../protocol/ed25519.ts";
import { toHex } from "../../protocol/hex.ts";
import { parseIntOption } from "../errors.ts";

export function registerKeys(program: Command): void {
  program
    .command("keys")
    .description("generate coordinator Ed25519 key pairs (prints JSON; keep the private keys secret)")
    .option("-n, --count <n>", "number of key pairs", parseIntOption("--count", 1, 16), 1)
    .option(
      "--peer-id <dataDir>",
      "instead: print the gossip peer ID of the node in <dataDir> (creating its identity)",
    )
    .action((opts: { count: number; peerId?: string }) => {
      if (opts.peerId !== undefined) {
        const identity = loadOrCreateIdentity(resolve(opts.peerId, "p2pstore", "identity.key"));
        process.stdout.write(
          `${JSON.stringify({ peerId: identity.peerId, publicKey: toHex(identity.publicKey) })}\n`,
        );
        return;
      }
      const keys = Array.from({ length: opts.count }, () => {
        const seed = generateEd25519Seed();
        const pub = ed25519PublicKey(seed);
        // privateKey is Hornet's COO_PRV_KEYS form: seed || public key.
        return { publicKey: toHex(pub), privateKey: toHex(seed) + toHex(pub) };
      });
      process.stdout.write(`${JSON.stringify({ keys }, null, 2)}\n`);
    });
}
