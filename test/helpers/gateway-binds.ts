import type { GatewayEngine } from "./devnet.ts";
import { freePort } from "./peers.ts";

/** The gateway's two addresses for a test: any free port (0) for the node engine; HAProxy binds fixed ports. */
export async function gatewayBinds(
  engine: GatewayEngine,
): Promise<{ bindAddress: string; adminBindAddress: string }> {
  const port = async () => (engine === "haproxy" ? freePort() : 0);
  return { bindAddress: `127.0.0.1:${await port()}`, adminBindAddress: `127.0.0.1:${await port()}` };
}
