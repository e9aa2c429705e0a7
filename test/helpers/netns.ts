// Named network namespaces joined by a veth pair, for tests that need real packets between two hosts
// (a gateway in one, its clients in the other) and real nftables in the gateway's. Needs root and iproute2;
// names carry the test's pid so parallel files never collide, and remove() deletes both namespaces.
import { execFile } from "node:child_process";

export interface NetnsPair {
  /** namespace names */
  server: string;
  client: string;
  serverAddress: string;
  /** addresses the client namespace holds (its first is the veth's primary) */
  clientAddresses: string[];
  /** `ip netns exec NS` as a command prefix */
  wrap(ns: string): string[];
  /** runs a command inside a namespace; rejects with its stderr on failure */
  run(ns: string, cmd: string[], input?: string): Promise<string>;
  remove(): Promise<void>;
}

export function sh(cmd: string[], input?: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd[0]!, cmd.slice(1), { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/**
 * Creates two namespaces joined by a veth pair on a /24 of 10.x.y.0 picked from the pid: the server holds .1,
 * the client .2 … .(1+clientCount).
 */
export async function createNetnsPair(tag: string, clientCount: number): Promise<NetnsPair> {
  const id = process.pid % 250;
  const server = `st-${tag}-s${process.pid}`;
  const client = `st-${tag}-c${process.pid}`;
  const net = `10.${200 + (id % 50)}.${id}`;
  const serverAddress = `${net}.1`;
  const clientAddresses = Array.from({ length: clientCount }, (_, i) => `${net}.${i + 2}`);
  const pair: NetnsPair = {
    server,
    client,
    serverAddress,
    clientAddresses,
    wrap: (ns) => ["ip", "netns", "exec", ns],
    run: (ns, cmd, input) => sh(["ip", "netns", "exec", ns, ...cmd], input),
    async remove() {
      for (const ns of [server, client]) await sh(["ip", "netns", "del", ns]).catch(() => {});
    },
  };
  await pair.remove();
  try {
    await sh(["ip", "netns", "add", server]);
    await sh(["ip", "netns", "add", client]);
    await sh([
      "ip",
      "link",
      "add",
      "veth-s",
      "netns",
      server,
      "type",
      "veth",
      "peer",
      "name",
      "veth-c",
      "netns",
      client,
    ]);
    await sh(["ip", "-n", server, "addr", "add", `${serverAddress}/24`, "dev", "veth-s"]);
    for (const a of clientAddresses)
      await sh(["ip", "-n", client, "addr", "add", `${a}/24`, "dev", "veth-c"]);
    for (const [ns, dev] of [
      [server, "veth-s"],
      [client, "veth-c"],
    ] as const) {
      await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
      await sh(["ip", "-n", ns, "link", "set", dev, "up"]);
    }
  } catch (err) {
    await pair.remove();
    throw err;
  }
  return pair;
}
