import { Command, CommanderError } from "commander";
import { VERSION } from "../node/node.ts";
import { registerAudit } from "./commands/audit.ts";
import { registerDevnet } from "./commands/devnet.ts";
import { registerGateway } from "./commands/gateway.ts";
import { registerHarden } from "./commands/harden.ts";
import { registerJwt } from "./commands/jwt.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerNode } from "./commands/node.ts";
import { registerPow } from "./commands/pow.ts";
import { fail, UsageError } from "./errors.ts";

const program = new Command()
  .name("stinger")
  .description("A secure IOTA Chrysalis node stack: node, private network and tools")
  .version(VERSION)
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerNode(program);
registerDevnet(program);
registerKeys(program);
registerJwt(program);
registerPow(program);
registerGateway(program);
registerAudit(program);
registerHarden(program);

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
