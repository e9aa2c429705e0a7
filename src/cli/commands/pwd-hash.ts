import type { Command } from "commander";
import { hashPassword } from "../../node/dashboard-auth.ts";
import { fail, UsageError } from "../errors.ts";

/** The password from stdin (one line), or from STINGER_PASSWORD: never from the command line, which `ps` shows. */
async function readPassword(): Promise<string> {
  const fromEnv = process.env.STINGER_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  if (process.stdin.isTTY)
    process.stderr.write("password (input is not hidden; pipe it in to keep it off screen): ");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export function registerPwdHash(program: Command): void {
  program
    .command("pwd-hash")
    .description(
      "hash a dashboard password as Hornet's `tool pwd-hash` (scrypt): prints dashboard.auth.passwordHash and passwordSalt",
    )
    .option("--salt <hex>", "use this salt (64 hex characters) instead of a random one")
    .option("--json", "print {passwordHash, passwordSalt}")
    .action(async (opts: { salt?: string; json?: boolean }) => {
      try {
        if (opts.salt !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.salt))
          throw new UsageError("--salt: must be 64 hex characters (32 bytes)");
        const password = await readPassword();
        if (password.length === 0)
          throw new UsageError("the password is empty (give it on stdin or in STINGER_PASSWORD)");
        const h = opts.salt ? hashPassword(password, Buffer.from(opts.salt, "hex")) : hashPassword(password);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(h)}\n`
            : `dashboard.auth.passwordHash ${h.passwordHash}\ndashboard.auth.passwordSalt ${h.passwordSalt}\n`,
        );
      } catch (err) {
        fail(err);
      }
    });
}
