import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, type RunningNode, removeDir, startNode, tempDir } from "./devnet.ts";
import { freePort, jwtFor, newIdentity } from "./peers.ts";

export interface ClusterNode {
  dir: string;
  url: string;
  /** the node's API token (for its protected routes, e.g. the load report) */
  token: string;
  running: RunningNode | undefined;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** Starts node i again with the same config, data, ports and identity. */
  restart(i: number): Promise<void>;
  /** SIGTERM every running node, then remove the data. */
  stop(): Promise<void>;
}

/**
 * N separate `stinger node` processes on loopback, all peered by gossip, node 0 running the coordinator:
 * unlike `stinger devnet --nodes N` (one process), one of them can be killed and restarted alone.
 * Ports are fixed up front so a restarted node comes back at the same address.
 */
export async function startCluster(
  n: number,
  opts: { minPoWScore?: number; milestoneInterval?: string; restAPI?: Record<string, unknown> } = {},
): Promise<Cluster> {
  const keys = spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" });
  const coo = (JSON.parse(keys.stdout) as { keys: { publicKey: string; privateKey: string }[] }).keys[0]!;
  const specs = await Promise.all(
    Array.from({ length: n }, async () => ({
      dir: tempDir(),
      id: newIdentity(),
      api: await freePort(),
      gossip: await freePort(),
    })),
  );
  const configs = specs.map((s, i) => {
    mkdirSync(join(s.dir, "p2pstore"), { recursive: true });
    writeFileSync(join(s.dir, "p2pstore", "identity.key"), s.id.pem, { mode: 0o600 });
    const file = join(s.dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        node: { alias: `node-${i}` },
        protocol: {
          networkID: "private_tangle1",
          minPoWScore: opts.minPoWScore ?? 1,
          milestonePublicKeyCount: 1,
          publicKeyRanges: [{ key: coo.publicKey }],
        },
        restAPI: { bindAddress: `127.0.0.1:${s.api}`, powEnabled: true, powWorkerCount: 1, ...opts.restAPI },
        coordinator: { enabled: i === 0, interval: opts.milestoneInterval ?? "1s" },
        prometheus: { enabled: false },
        p2p: {
          bindMultiAddresses: [`/ip4/127.0.0.1/tcp/${s.gossip}`],
          peers: specs
            .filter((o) => o !== s)
            .map((o) => ({ multiAddress: `/ip4/127.0.0.1/tcp/${o.gossip}/p2p/${o.id.peerId}` })),
          reconnectInterval: "1s",
          heartbeatInterval: "1s",
        },
        logger: { level: "warn" },
      }),
    );
    return file;
  });
  const env = (i: number) => (i === 0 ? { COO_PRV_KEYS: coo.privateKey } : {});
  const nodes: ClusterNode[] = specs.map((s) => ({
    dir: s.dir,
    url: `http://127.0.0.1:${s.api}`,
    token: jwtFor(s.dir),
    running: undefined,
  }));
  await Promise.all(
    nodes.map(async (node, i) => {
      node.running = await startNode(configs[i]!, env(i));
    }),
  );
  return {
    nodes,
    async restart(i) {
      nodes[i]!.running = await startNode(configs[i]!, env(i));
    },
    async stop() {
      for (const node of nodes) {
        const p = node.running?.proc;
        if (p && p.exitCode === null && p.signalCode === null) await node.running!.stop();
        removeDir(node.dir);
      }
    },
  };
}
