// Gossip between stinger nodes over libp2p on loopback: propagation, shared confirmation, catch-up after
// downtime, refusal of unknown peers, disconnection of a peer that sends garbage, and the peers API.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SingleNodeClient } from "@iota/iota.js";
import { Converter } from "@iota/util.js";
import pino from "pino";
import { GossipTransport, type TransportHandlers } from "../../src/node/gossip/transport.ts";
import { ed25519PublicKey } from "../../src/protocol/ed25519.ts";
import { messageId } from "../../src/protocol/message.ts";
import {
  type RunningDevnet,
  type RunningNode,
  removeDir,
  startDevnet,
  startNode,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { freePort, jwtFor, newIdentity } from "../helpers/peers.ts";

interface Meta {
  referencedByMilestoneIndex?: number;
  ledgerInclusionState?: string;
  isSolid: boolean;
}

/** A libp2p host speaking our gossip protocol that the node may or may not know: a test's stand-in peer. */
async function outsider(
  id: { seed: Uint8Array; pub: Uint8Array },
  handlers: TransportHandlers,
): Promise<GossipTransport> {
  const t = new GossipTransport(
    {
      privateKey: Buffer.concat([id.seed, id.pub]),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      protocol: "/iota-gossip/8453507715857476362/1.0.0",
      isAllowed: () => true,
      maxConnections: 4,
      log: pino({ level: "silent" }),
    },
    handlers,
  );
  await t.start();
  return t;
}

async function getJson<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function submit(url: string, data: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      payload: { type: 2, index: Converter.utf8ToHex("gossip"), data: Converter.utf8ToHex(data) },
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { data: { messageId: string } }).data.messageId;
}

async function metadata(url: string, id: string): Promise<Meta | undefined> {
  const r = await getJson<{ data: Meta }>(`${url}/api/v1/messages/${id}/metadata`);
  return r.status === 200 ? r.body.data : undefined;
}

describe("three peered nodes (stinger devnet --nodes 3)", () => {
  let devnet: RunningDevnet;
  let urls: string[] = [];

  before(async () => {
    devnet = await startDevnet({ nodes: 3, milestoneInterval: 1 });
    urls = [devnet.url, ...devnet.nodeUrls];
    assert.equal(urls.length, 3);
  });

  after(async () => {
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
  });

  it("all nodes sync to the coordinator's milestones", async () => {
    for (const url of urls) {
      await waitFor(async () => (await getJson(`${url}/health`)).status === 200, 30_000, `${url} healthy`);
    }
  });

  it("a message submitted to A through iota.js is returned by B and C, and confirmed identically", async () => {
    const a = new SingleNodeClient(urls[0]!);
    const id = await a.messageSubmit({ payload: { type: 2, index: Converter.utf8ToHex("g"), data: "00" } });
    for (const url of urls.slice(1)) {
      const other = new SingleNodeClient(url);
      const msg = await waitFor(
        async () => other.message(id).catch(() => undefined),
        10_000,
        `message on ${url}`,
      );
      assert.equal((msg.payload as { index: string }).index, Converter.utf8ToHex("g"));
    }
    const metas = await Promise.all(
      urls.map((url) =>
        waitFor(
          async () => {
            const m = await metadata(url, id);
            return m?.referencedByMilestoneIndex ? m : undefined;
          },
          20_000,
          `referenced on ${url}`,
        ),
      ),
    );
    assert.ok(metas[0]!.referencedByMilestoneIndex! >= 1);
    for (const m of metas) assert.deepEqual(m, metas[0]);
  });

  it("messages submitted to B and C reach A", async () => {
    const fromB = await submit(urls[1]!, "from-b");
    const fromC = await submit(urls[2]!, "from-c");
    for (const id of [fromB, fromC]) {
      await waitFor(
        async () => (await getJson(`${urls[0]}/api/v1/messages/${id}`)).status === 200,
        10_000,
        "propagation to A",
      );
    }
  });
});

describe("a follower node: catch-up after downtime, unknown and misbehaving peers, peers API", () => {
  let devnet: RunningDevnet;
  const followerDir = tempDir();
  const follower = newIdentity();
  let followerPort = 0;
  let followerNode: RunningNode | undefined;
  let followerUrl = "";
  let token = "";

  async function startFollower(): Promise<void> {
    const seeds = (
      JSON.parse(readFileSync(join(devnet.dataDir, "coordinator.keys"), "utf8")) as { seeds: string[] }
    ).seeds;
    const config = {
      protocol: {
        networkID: "private_tangle1",
        minPoWScore: 1,
        milestonePublicKeyCount: seeds.length,
        publicKeyRanges: seeds.map((s) => ({
          key: Buffer.from(ed25519PublicKey(Buffer.from(s, "hex"))).toString("hex"),
        })),
      },
      restAPI: { bindAddress: "127.0.0.1:0" },
      prometheus: { enabled: false },
      p2p: {
        bindMultiAddresses: [`/ip4/127.0.0.1/tcp/${followerPort}`],
        peers: [{ multiAddress: devnet.gossipAddress, alias: "devnet" }],
        reconnectInterval: "2s",
        heartbeatInterval: "1s",
      },
    };
    writeFileSync(join(followerDir, "config.json"), JSON.stringify(config));
    followerNode = await startNode(join(followerDir, "config.json"));
    followerUrl = followerNode.url;
  }

  async function stopFollower(signal: NodeJS.Signals): Promise<void> {
    await followerNode!.stop(signal);
  }

  async function cmi(url: string): Promise<number> {
    return (await getJson<{ data: { confirmedMilestoneIndex: number } }>(`${url}/api/v1/info`)).body.data
      .confirmedMilestoneIndex;
  }

  before(async () => {
    // One milestone a second: at two a second a follower on a loaded 2-core machine could fall more
    // than two milestones behind for good, and then (rightly) answer metadata 503 "not synced".
    devnet = await startDevnet({ milestoneInterval: 1 });
    token = jwtFor(devnet.dataDir);
    followerPort = await freePort();
    mkdirSync(join(followerDir, "p2pstore"), { recursive: true });
    writeFileSync(join(followerDir, "p2pstore", "identity.key"), follower.pem, { mode: 0o600 });
    // The devnet node accepts the follower only once it is a known peer.
    const res = await fetch(`${devnet.url}/api/v1/peers`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        multiAddress: `/ip4/127.0.0.1/tcp/${followerPort}/p2p/${follower.peerId}`,
        alias: "follower",
      }),
    });
    assert.equal(res.status, 200);
    await startFollower();
  });

  after(async () => {
    const running =
      followerNode && followerNode.proc.exitCode === null && followerNode.proc.signalCode === null;
    if (running) await stopFollower("SIGTERM");
    assert.equal(await devnet.stop(), 0);
    removeDir(devnet.dataDir);
    removeDir(followerDir);
  });

  it("the follower syncs from milestone 1 and becomes healthy", async () => {
    await waitFor(
      async () => (await getJson(`${followerUrl}/health`)).status === 200,
      30_000,
      "follower healthy",
    );
    assert.ok((await cmi(followerUrl)) >= 1);
  });

  it("the peers API needs a JWT and shows the connected follower with gossip metrics", async () => {
    assert.equal((await getJson(`${devnet.url}/api/v1/peers`)).status, 401);
    const auth = { authorization: `Bearer ${token}` };
    const list = await getJson<{
      data: {
        id: string;
        connected: boolean;
        alias?: string;
        gossip?: { metrics: { sentMessages: number } };
      }[];
    }>(`${devnet.url}/api/v1/peers`, auth);
    assert.equal(list.status, 200);
    const peer = list.body.data.find((p) => p.id === follower.peerId)!;
    assert.equal(peer.alias, "follower");
    assert.equal(peer.connected, true);
    assert.ok(peer.gossip!.metrics.sentMessages > 0);
    const one = await getJson<{ data: { id: string } }>(
      `${devnet.url}/api/v1/peers/${follower.peerId}`,
      auth,
    );
    assert.equal(one.body.data.id, follower.peerId);
    assert.equal((await getJson(`${devnet.url}/api/v1/peers/12D3KooWNotAPeer`, auth)).status, 404);
  });

  it("an unknown peer is refused", async () => {
    const stranger = newIdentity();
    const streams: string[] = [];
    const t = await outsider(stranger, {
      onPeerStream: (id) => streams.push(id),
      onData: () => {},
      onPeerGone: () => {},
    });
    try {
      await t.connect(devnet.gossipAddress).then(
        () => {},
        () => {},
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(t.connectedPeers(), []);
      assert.equal((await getJson(`${devnet.url}/health`)).status, 200);
    } finally {
      await t.stop();
    }
  });

  it("a known peer that sends garbage is disconnected and the node keeps serving", async () => {
    const rogue = newIdentity();
    const auth = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const added = await fetch(`${devnet.url}/api/v1/peers`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ multiAddress: `/ip4/127.0.0.1/tcp/1/p2p/${rogue.peerId}`, alias: "rogue" }),
    });
    assert.equal(added.status, 200);
    const gone: string[] = [];
    const opened: string[] = [];
    const t = await outsider(rogue, {
      onPeerStream: (id) => opened.push(id),
      onData: () => {},
      onPeerGone: (id) => gone.push(id),
    });
    try {
      await t.connect(devnet.gossipAddress);
      await waitFor(async () => opened.length > 0, 5_000, "stream to devnet");
      t.send(opened[0]!, Uint8Array.from([9, 3, 0, 1, 2, 3]));
      await waitFor(async () => gone.length > 0, 10_000, "the node to hang up on garbage");
      assert.equal((await getJson(`${devnet.url}/health`)).status, 200);
      const del = await fetch(`${devnet.url}/api/v1/peers/${rogue.peerId}`, {
        method: "DELETE",
        headers: auth,
      });
      assert.equal(del.status, 204);
      assert.equal((await getJson(`${devnet.url}/api/v1/peers/${rogue.peerId}`, auth)).status, 404);
    } finally {
      await t.stop();
    }
  });

  it("a known peer that keeps sending invalid messages is disconnected; nothing invalid is stored", async () => {
    const rogue = newIdentity();
    const auth = { "content-type": "application/json", authorization: `Bearer ${token}` };
    const added = await fetch(`${devnet.url}/api/v1/peers`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ multiAddress: `/ip4/127.0.0.1/tcp/1/p2p/${rogue.peerId}` }),
    });
    assert.equal(added.status, 200);
    const gone: string[] = [];
    const opened: string[] = [];
    const t = await outsider(rogue, {
      onPeerStream: (id) => opened.push(id),
      onData: () => {},
      onPeerGone: (id) => gone.push(id),
    });
    try {
      await t.connect(devnet.gossipAddress);
      await waitFor(async () => opened.length > 0, 5_000, "stream to devnet");
      // Well-framed message frames whose content is no valid message (wrong network, no parents...).
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const body = Buffer.alloc(60, i + 1);
        ids.push(Buffer.from(messageId(body)).toString("hex"));
        t.send(opened[0]!, Buffer.concat([Buffer.from([2, body.length, 0]), body]));
      }
      await waitFor(async () => gone.length > 0, 10_000, "the node to hang up on invalid messages");
      for (const id of ids) assert.equal((await getJson(`${devnet.url}/api/v1/messages/${id}`)).status, 404);
      assert.equal((await getJson(`${devnet.url}/health`)).status, 200);
      const metrics = await (await fetch(devnet.metricsUrl)).text();
      assert.match(metrics, /stinger_node_gossip_penalties_total\{reason="invalid_messages"\} 1/);
    } finally {
      await t.stop();
    }
  });

  it("a follower stopped while 200 messages and several milestones are issued catches up with identical metadata", async () => {
    await stopFollower("SIGKILL");
    const before = await cmi(devnet.url);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(await submit(devnet.url, `offline-${i}`));
    // Every one of them, not just the last: a message outside the last one's cone can be referenced by a
    // later milestone, and a follower learns a message it missed only through a milestone's cone.
    let unreferenced = ids;
    await waitFor(
      async () => {
        const left: string[] = [];
        for (const id of unreferenced)
          if (!(await metadata(devnet.url, id))?.referencedByMilestoneIndex) left.push(id);
        unreferenced = left;
        if (left.length > 0)
          throw new Error(
            `${left.length} not referenced yet, e.g. ${JSON.stringify(await metadata(devnet.url, left[0]!))} ` +
              `(cmi ${await cmi(devnet.url)})`,
          );
        return true;
      },
      30_000,
      "all 200 referenced by a milestone",
    );
    assert.ok((await cmi(devnet.url)) >= before + 2, "several milestones while the follower was down");
    await startFollower();
    const target = await cmi(devnet.url);
    await waitFor(async () => (await cmi(followerUrl)) >= target, 60_000, "follower catch-up");
    for (const id of ids) {
      // The coordinator goes on issuing milestones: while the follower is more than two behind the
      // latest it answers metadata with 503 (not synced), as Hornet does. Wait for an answer.
      const seen = await waitFor(
        async () => {
          const r = await getJson<{ data: Meta }>(`${followerUrl}/api/v1/messages/${id}/metadata`);
          if (r.status === 200) return r.body.data;
          const info = (await getJson<{ data: Record<string, unknown> }>(`${followerUrl}/api/v1/info`)).body
            .data;
          const there = await metadata(devnet.url, id);
          throw new Error(
            `${r.status}, follower lmi ${info.latestMilestoneIndex} cmi ${info.confirmedMilestoneIndex}; ` +
              `on the coordinator's node: ${JSON.stringify(there)}`,
          );
        },
        30_000,
        `metadata of ${id} on the follower`,
      );
      assert.deepEqual(seen, await metadata(devnet.url, id), `metadata of ${id}`);
    }
  });
});
