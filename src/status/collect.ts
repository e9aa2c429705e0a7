// What `stinger status` reads: each node's public info and, with a token, its peers, PoW pool and
// ledger; the gateway's health through its public door and, given its metrics URL, its view of each
// node. Every request is bounded in time; an unreachable part is reported, never thrown.
import { Agent, request } from "undici";
import { gatewayNodesFromMetrics } from "../gateway/metrics-view.ts";
import { parsePromText } from "../util/prom-text.ts";

export interface StatusTarget {
  url: string;
  token?: string;
}

export interface NodeStatus {
  url: string;
  reachable: boolean;
  error?: string;
  healthy: boolean;
  name?: string;
  version?: string;
  latestMilestoneIndex?: number;
  confirmedMilestoneIndex?: number;
  pruningIndex?: number;
  messagesPerSecond?: number;
  referencedMessagesPerSecond?: number;
  /** only with a token */
  peers?: { total: number; connected: number };
  pow?: { workers: number; busyWorkers: number; queueDepth: number; maxQueue: number } | null;
  ledger?: { index: number; stateHash: string };
  treasury?: string;
  /** what could not be read with the token given (or without one) */
  unauthorized?: string[];
}

export interface GatewayStatus {
  url: string;
  reachable: boolean;
  healthy: boolean;
  error?: string;
  /** per node, from the gateway's metrics (node engine) */
  nodes?: { node: string; healthy: boolean; inFlight: number }[];
}

export interface Status {
  healthy: boolean;
  /** why not, one line each */
  problems: string[];
  nodes: NodeStatus[];
  gateway?: GatewayStatus;
}

export interface CollectOptions {
  timeoutMs: number;
  /** extra CA certificate (PEM) for an https gateway with a private CA */
  ca?: Buffer;
}

type Answer = { status: number; json?: unknown; text: string };

async function get(url: string, opts: CollectOptions, token?: string): Promise<Answer> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const dispatcher = opts.ca ? new Agent({ connect: { ca: opts.ca } }) : undefined;
  try {
    const res = await request(url, {
      headers,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
      dispatcher,
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.statusCode, json, text };
  } finally {
    await dispatcher?.close();
  }
}

function dataOf<T>(a: Answer): T | undefined {
  return a.status === 200 ? ((a.json as { data?: T } | undefined)?.data ?? undefined) : undefined;
}

async function nodeStatus(target: StatusTarget, opts: CollectOptions): Promise<NodeStatus> {
  const base = target.url.replace(/\/+$/, "");
  const s: NodeStatus = { url: base, reachable: false, healthy: false };
  let info: Answer;
  try {
    info = await get(`${base}/api/v1/info`, opts);
  } catch (err) {
    s.error = (err as Error).message;
    return s;
  }
  const d = dataOf<Record<string, unknown>>(info);
  if (!d) {
    s.error = `GET /api/v1/info answered ${info.status}`;
    return s;
  }
  s.reachable = true;
  s.healthy = d.isHealthy === true;
  s.name = String(d.name ?? "");
  s.version = String(d.version ?? "");
  s.latestMilestoneIndex = Number(d.latestMilestoneIndex);
  s.confirmedMilestoneIndex = Number(d.confirmedMilestoneIndex);
  s.pruningIndex = Number(d.pruningIndex ?? 0);
  s.messagesPerSecond = Number(d.messagesPerSecond ?? 0);
  s.referencedMessagesPerSecond = Number(d.referencedMessagesPerSecond ?? 0);
  const treasury = await get(`${base}/api/v1/treasury`, opts).catch(() => undefined);
  const t = treasury && dataOf<{ amount: string }>(treasury);
  if (t) s.treasury = t.amount;
  const protectedParts: [string, string, (a: Answer) => void][] = [
    [
      "peers",
      "/api/v1/peers",
      (a) => {
        const peers = (dataOf<{ connected: boolean }[]>(a) ?? []) as { connected: boolean }[];
        s.peers = { total: peers.length, connected: peers.filter((p) => p.connected).length };
      },
    ],
    [
      "pow",
      "/api/plugins/stinger/load",
      (a) => {
        s.pow = dataOf<{ pow: NodeStatus["pow"] }>(a)?.pow ?? null;
      },
    ],
    [
      "ledger",
      "/api/plugins/stinger/ledger",
      (a) => {
        const l = dataOf<{ ledgerIndex: number; stateHash: string }>(a);
        if (l) s.ledger = { index: l.ledgerIndex, stateHash: l.stateHash };
      },
    ],
  ];
  await Promise.all(
    protectedParts.map(async ([name, path, read]) => {
      const a = await get(`${base}${path}`, opts, target.token).catch(() => undefined);
      if (a?.status === 200) read(a);
      else if (a?.status === 401 || a?.status === 403) (s.unauthorized ??= []).push(name);
    }),
  );
  return s;
}

/** Each node as the gateway sees it, from its metrics (node engine). */
function gatewayNodes(metrics: string): GatewayStatus["nodes"] {
  return gatewayNodesFromMetrics(parsePromText(metrics)).map(({ node, healthy, inFlight }) => ({
    node,
    healthy,
    inFlight,
  }));
}

async function gatewayStatus(
  url: string,
  metricsUrl: string | undefined,
  opts: CollectOptions,
): Promise<GatewayStatus> {
  const base = url.replace(/\/+$/, "");
  const g: GatewayStatus = { url: base, reachable: false, healthy: false };
  try {
    const health = await get(`${base}/health`, opts);
    g.reachable = true;
    g.healthy = health.status === 200;
    if (!g.healthy) g.error = `GET /health answered ${health.status}`;
  } catch (err) {
    g.error = (err as Error).message;
  }
  if (metricsUrl) {
    const m = await get(metricsUrl, opts).catch(() => undefined);
    if (m?.status === 200) g.nodes = gatewayNodes(m.text);
  }
  return g;
}

/** Reads everything and decides: healthy only when every node and the gateway are. */
export async function collectStatus(
  nodes: StatusTarget[],
  gateway: { url: string; metricsUrl?: string } | undefined,
  opts: CollectOptions,
): Promise<Status> {
  const [nodeStates, gw] = await Promise.all([
    Promise.all(nodes.map((n) => nodeStatus(n, opts))),
    gateway ? gatewayStatus(gateway.url, gateway.metricsUrl, opts) : Promise.resolve(undefined),
  ]);
  const problems: string[] = [];
  for (const n of nodeStates) {
    if (!n.reachable) problems.push(`node ${n.url}: unreachable (${n.error})`);
    else if (!n.healthy)
      problems.push(
        `node ${n.url}: not healthy (latest milestone ${n.latestMilestoneIndex}, confirmed ${n.confirmedMilestoneIndex})`,
      );
    else if (n.peers && n.peers.total > 0 && n.peers.connected === 0)
      problems.push(`node ${n.url}: no peer connected`);
  }
  if (gw && !gw.healthy)
    problems.push(`gateway ${gw.url}: ${gw.reachable ? "not healthy" : "unreachable"} (${gw.error})`);
  for (const n of gw?.nodes ?? [])
    if (!n.healthy) problems.push(`gateway: node ${n.node} is out of rotation`);
  return { healthy: problems.length === 0, problems, nodes: nodeStates, gateway: gw };
}
