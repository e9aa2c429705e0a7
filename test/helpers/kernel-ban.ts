// The pieces of a kernel-ban setup in a namespace pair, shared by the test and `npm run bench -- kernel-ban`:
// the firewall `stinger harden` writes for a gateway port, `stinger ban-helper` in the server namespace,
// and the ban-clients fixture (attacker / honest / exempt clients) in the client namespace.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { buildNftables } from "../../src/audit/harden/nftables.ts";
import { BIN, waitFor } from "./devnet.ts";
import type { NetnsPair } from "./netns.ts";
import { spawnOwned, stopOwned } from "./owned.ts";

const CLIENTS = new URL("../fixtures/ban-clients.mjs", import.meta.url).pathname;

/** Loads the harden table (policy drop, the gateway port open, the ban sets and their drop rules). */
export async function loadGatewayFirewall(pair: NetnsPair, port: number): Promise<void> {
  const rules = buildNftables({
    publicPorts: [{ port, protocol: "tcp", service: "gateway (HTTP)" }],
    sshPorts: [22],
    sshdDirectives: [],
    sshBackend: "auto",
  });
  await pair.run(pair.server, ["nft", "-f", "-"], rules);
}

/** The IPv4 addresses in the gateway's ban set right now. */
export async function bannedNow(pair: NetnsPair): Promise<string[]> {
  const doc = JSON.parse(
    await pair.run(pair.server, ["nft", "-j", "list", "set", "inet", "stinger", "gateway_ban_v4"]),
  );
  const set = doc.nftables.find((x: { set?: unknown }) => x.set).set;
  return (set.elem ?? []).map((e: { elem: { val: string } }) => e.elem.val);
}

/** Starts `stinger ban-helper` in the server namespace and waits for its ready line. */
export async function startBanHelper(
  pair: NetnsPair,
  socket: string,
  never: string[] = [],
): Promise<ChildProcess> {
  const helper = spawnOwned(
    "ip",
    [
      "netns",
      "exec",
      pair.server,
      process.execPath,
      BIN,
      "ban-helper",
      "--socket",
      socket,
      ...never.flatMap((n) => ["--never", n]),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  helper.stdout!.on("data", (d) => {
    out += d;
  });
  await waitFor(async () => out.includes("ban-helper ready"), 20_000, "the ban helper");
  return helper;
}

export interface BanClients {
  /** one command of test/fixtures/ban-clients.mjs, answered in order */
  ask(cmd: object): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Runs the clients fixture in the client namespace against `url`. */
export function startBanClients(pair: NetnsPair, url: string): BanClients {
  const proc = spawnOwned("ip", ["netns", "exec", pair.client, process.execPath, CLIENTS, url], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  let queue = Promise.resolve();
  return {
    ask(cmd) {
      const answer = queue.then(async () => {
        proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
        const next = await lines.next();
        if (next.done) throw new Error("the client process ended");
        return JSON.parse(next.value) as Record<string, unknown>;
      });
      queue = answer.then(
        () => {},
        () => {},
      );
      return answer;
    },
    async stop() {
      proc.stdin!.end();
      await stopOwned(proc);
    },
  };
}
