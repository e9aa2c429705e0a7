import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeGenesisSnapshot } from "../../src/node/snapshot/genesis.ts";
import { writeSnapshotFile } from "../../src/node/snapshot/snapshot-file.ts";
import { generateEd25519Seed } from "../../src/protocol/keys.ts";
import { networkIdFromName } from "../../src/protocol/message.ts";
import { TOTAL_SUPPLY } from "../../src/protocol/params.ts";
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
  /** its gossip address with its peer ID, for other nodes' peer lists */
  multiAddress: string;
  running: RunningNode | undefined;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** Starts node i again with the same config, data, ports and identity. */
  restart(i: number): Promise<void>;
  /**
   * Starts one more (follower) node, peered both ways with every running node. With `snapshot`, that
   * file is its `snapshots.fullPath` (what its empty database starts from); otherwise the genesis, if
   * the cluster has one.
   */
  addNode(opts?: {
    snapshot?: string;
    /** a delta snapshot to go with `snapshot` (its `snapshots.deltaPath`) */
    delta?: string;
    config?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
  }): Promise<ClusterNode>;
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
  /**
   * With `genesis`: also this many outputs of 1 Mi to other addresses (a ledger big enough that writing
   * and loading a snapshot takes a while); the mint holds the rest.
   */
  genesisOutputs?: number;
  /** More config for node i (top-level sections replace the defaults' sections of the same name). */
  config?: (i: number) => Record<string, unknown>;
}

export interface GenesisCluster extends Cluster {
  /** the wallet that owns the genesis output (ID: 34 zero bytes, the whole supply) */
  mint: Wallet;
}

/** The genesis output (ID 0, to `mint`) and `count` outputs of 1 Mi each to addresses nobody holds. */
async function writeBigGenesis(path: string, mint: Wallet, count: number): Promise<void> {
  const each = 1_000_000n;
  function* outputs() {
    yield {
      messageId: new Uint8Array(32),
      outputId: new Uint8Array(34),
      outputType: 0 as const,
      address: mint.address,
      amount: TOTAL_SUPPLY - each * BigInt(count),
    };
    for (let i = 1; i <= count; i++) {
      const outputId = new Uint8Array(34);
      new DataView(outputId.buffer).setUint32(0, i);
      const address = new Uint8Array(32);
      new DataView(address.buffer).setUint32(0, i);
      yield { messageId: new Uint8Array(32), outputId, outputType: 0 as const, address, amount: each };
    }
  }
  await writeSnapshotFile(
    path,
    {
      type: "full",
      timestamp: Math.floor(Date.now() / 1000),
      networkId: networkIdFromName(CLUSTER_NETWORK),
      sepMilestoneIndex: 0,
      ledgerMilestoneIndex: 0,
      treasury: { milestoneId: new Uint8Array(32), amount: 0n },
    },
    { solidEntryPoints: [new Uint8Array(32)], outputs: outputs(), milestoneDiffs: [] },
  );
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
  const newSpec = async () => ({
    dir: tempDir(),
    id: newIdentity(),
    api: await freePort(),
    gossip: await freePort(),
  });
  type Spec = Awaited<ReturnType<typeof newSpec>>;
  const specs: Spec[] = await Promise.all(Array.from({ length: n }, newSpec));
  const multiAddress = (s: Spec) => `/ip4/127.0.0.1/tcp/${s.gossip}/p2p/${s.id.peerId}`;
  const writeConfig = (s: Spec, i: number, extra: Record<string, unknown>) => {
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
          peers: specs.filter((o) => o !== s).map((o) => ({ multiAddress: multiAddress(o) })),
          reconnectInterval: "1s",
          heartbeatInterval: "1s",
        },
        logger: { level: "warn" },
        ...extra,
      }),
    );
    return file;
  };
  const configs = specs.map((s, i) => writeConfig(s, i, opts.config?.(i) ?? {}));
  let mint: Wallet | undefined;
  if (opts.genesis) {
    // One file, copied: every node starts from byte-identical ledger state. The path is the config
    // default, snapshots/full_snapshot.bin beside config.json.
    mint = wallet(generateEd25519Seed());
    const files = specs.map((s) => join(s.dir, "snapshots", "full_snapshot.bin"));
    for (const s of specs) mkdirSync(join(s.dir, "snapshots"), { recursive: true });
    if (opts.genesisOutputs) await writeBigGenesis(files[0]!, mint, opts.genesisOutputs);
    else
      await writeGenesisSnapshot({
        path: files[0]!,
        networkName: CLUSTER_NETWORK,
        mintAddress: mint.address,
      });
    for (const f of files.slice(1)) copyFileSync(files[0]!, f);
    // Nodes replace their full_snapshot.bin with local snapshots: nodes added later start from a copy.
    copyFileSync(files[0]!, join(specs[0]!.dir, "snapshots", "genesis.bin"));
  }
  const env = (i: number) => (i === 0 ? { COO_PRV_KEYS: coo.privateKey } : {});
  const clusterNode = (s: Spec): ClusterNode => ({
    dir: s.dir,
    url: `http://127.0.0.1:${s.api}`,
    token: jwtFor(s.dir),
    multiAddress: multiAddress(s),
    running: undefined,
  });
  const nodes: ClusterNode[] = specs.map(clusterNode);
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
    async addNode(add = {}) {
      const spec = await newSpec();
      const i = specs.length;
      const file = writeConfig(spec, i, add.config ?? {});
      specs.push(spec);
      configs.push(file);
      const node = clusterNode(spec);
      nodes.push(node);
      const from =
        add.snapshot ?? (opts.genesis ? join(specs[0]!.dir, "snapshots", "genesis.bin") : undefined);
      if (from) {
        mkdirSync(join(spec.dir, "snapshots"), { recursive: true });
        copyFileSync(from, join(spec.dir, "snapshots", "full_snapshot.bin"));
        if (add.delta) copyFileSync(add.delta, join(spec.dir, "snapshots", "delta_snapshot.bin"));
      }
      for (const other of nodes) {
        if (other === node || !other.running) continue;
        const r = await fetch(`${other.url}/api/v1/peers`, {
          method: "POST",
          headers: { authorization: `Bearer ${other.token}`, "content-type": "application/json" },
          body: JSON.stringify({ multiAddress: node.multiAddress, alias: `node-${i}` }),
        });
        if (r.status !== 201 && r.status !== 200)
          throw new Error(`peering with node-${i}: ${r.status} ${await r.text()}`);
      }
      node.running = await startNode(file, add.env ?? {});
      return node;
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
