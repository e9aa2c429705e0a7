import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeGenesisSnapshot } from "../../src/node/snapshot/genesis.ts";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { BIN, type RunningNode, removeDir, startNode, tempDir } from "./devnet.ts";
import { freePort, jwtFor, newIdentity } from "./peers.ts";
import { type Wallet, wallet } from "./transactions.ts";

/** The network name every cluster node has (`protocol.networkID`); the message network ID derives from it. */
export const CLUSTER_NETWORK = "private_tangle1";

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

export interface ClusterOptions {
  minPoWScore?: number;
  milestoneInterval?: string;
  restAPI?: Record<string, unknown>;
  /**
   * Give every node the same genesis snapshot (at the default `snapshots.fullPath`), minting the whole
   * supply to a fresh wallet returned as `mint`. Without it the nodes have no snapshot: their ledgers
   * start empty and every transaction conflicts (input not found).
   */
  genesis?: boolean;
}

export interface GenesisCluster extends Cluster {
  /** the wallet that owns the genesis output (ID: 34 zero bytes, the whole supply) */
  mint: Wallet;
}

/**
 * N separate `stinger node` processes on loopback, all peered by gossip, node 0 running the coordinator:
 * unlike `stinger devnet --nodes N` (one process), one of them can be killed and restarted alone.
 * Ports are fixed up front so a restarted node comes back at the same address.
 */
export async function startCluster(
  n: number,
  opts: ClusterOptions & { genesis: true },
): Promise<GenesisCluster>;
export async function startCluster(n: number, opts?: ClusterOptions): Promise<Cluster>;
export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<Cluster | GenesisCluster> {
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
          networkID: CLUSTER_NETWORK,
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
  let mint: Wallet | undefined;
  if (opts.genesis) {
    // One file, copied: every node starts from byte-identical ledger state. The path is the config
    // default, snapshots/full_snapshot.bin beside config.json.
    mint = wallet(generateEd25519Seed());
    const files = specs.map((s) => join(s.dir, "snapshots", "full_snapshot.bin"));
    for (const s of specs) mkdirSync(join(s.dir, "snapshots"), { recursive: true });
    await writeGenesisSnapshot({ path: files[0]!, networkName: CLUSTER_NETWORK, mintAddress: mint.address });
    for (const f of files.slice(1)) copyFileSync(files[0]!, f);
  }
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
  const cluster: Cluster = {
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
  return mint ? { ...cluster, mint } : cluster;
}
