import { resolve } from "node:path";
import type { Command } from "commander";
import { issueApiToken } from "../../node/api/jwt.ts";
import { loadOrCreateIdentity } from "../../node/identity/identity.ts";
import { fail } from "../errors.ts";

export function registerJwt(program: Command): void {
  program
    .command("jwt")
    .description("print an API token (JWT) for a node's protected routes, like `hornet tool jwt-api`")
    .option("--data-dir <dir>", "the node's folder (holds p2pstore/identity.key)", "devnet")
    .option("--salt <salt>", "restAPI.jwtAuth.salt of the node", "HORNET")
    .action(async (opts: { dataDir: string; salt: string }) => {
      try {
        const identity = loadOrCreateIdentity(resolve(opts.dataDir, "p2pstore", "identity.key"));
        process.stdout.write(`${await issueApiToken(identity, opts.salt)}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
