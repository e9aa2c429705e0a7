import { Command, CommanderError } from "commander";
import { VERSION } from "../version.ts";
import { fail, UsageError } from "./errors.ts";

const program = new Command()
  .name("stinger")
  .description("A secure IOTA Chrysalis node stack: node, private network and tools")
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

type Register = (program: Command) => void;

// Each command's module is loaded only when that command runs (or for the top-level help): the node's
// modules (libp2p, LMDB, ...) take most of a second to load, which `stinger audit` should not pay.
const COMMANDS: Record<string, () => Promise<Register>> = {
  node: async () => (await import("./commands/node.ts")).registerNode,
  devnet: async () => (await import("./commands/devnet.ts")).registerDevnet,
  keys: async () => (await import("./commands/keys.ts")).registerKeys,
  jwt: async () => (await import("./commands/jwt.ts")).registerJwt,
  pow: async () => (await import("./commands/pow.ts")).registerPow,
  gateway: async () => (await import("./commands/gateway.ts")).registerGateway,
  "ban-helper": async () => (await import("./commands/ban-helper.ts")).registerBanHelper,
  audit: async () => (await import("./commands/audit.ts")).registerAudit,
  harden: async () => (await import("./commands/harden.ts")).registerHarden,
  snapshot: async () => (await import("./commands/snapshot.ts")).registerSnapshot,
  "pwd-hash": async () => (await import("./commands/pwd-hash.ts")).registerPwdHash,
  status: async () => (await import("./commands/status.ts")).registerStatus,
};
const requested = process.argv[2];
const load = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const name of load) (await COMMANDS[name]!())(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UsageError) fail(err);
  fail(err);
}
