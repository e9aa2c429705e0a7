import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { toHex } from "../../protocol/hex.ts";
import { messageToJson } from "../../protocol/json.ts";
import { deserializeMessage } from "../../protocol/message.ts";
import { StingerError } from "../../util/errors.ts";
import { type LingerLimits, lingerBeforeClose } from "../../util/lingering-close.ts";
import type { Faucet } from "../faucet/faucet.ts";
import { FAUCET_ROUTES, registerFaucetRoutes } from "../faucet/routes.ts";
import type { GossipService } from "../gossip/service.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { MqttBroker } from "../mqtt/broker.ts";
import type { PowPool } from "../pow/pool.ts";
import type { Store } from "../store/store.ts";
import type { RateMeter } from "../tangle/rates.ts";
import type { Tangle } from "../tangle/tangle.ts";
import { type ControlActions, registerControlRoutes } from "./control-routes.ts";
import { badRequest, errorBody, notFound, notSynced } from "./errors.ts";
import { verifyApiToken } from "./jwt.ts";
import { registerLedgerRoutes } from "./ledger-routes.ts";
import { parseIdParam, parseMilestoneIndex } from "./params.ts";
import { childrenResponse } from "./responses.ts";
import { createRoutePolicy } from "./route-policy.ts";
import { registerSnapshotRoutes, type SnapshotFiles } from "./snapshot-routes.ts";
import { PowSlots, submitMessage } from "./submit.ts";

export interface ApiDeps {
  tangle: Tangle;
  gossip: GossipService | null;
  rates: RateMeter;
  store: Store;
  ledger: Ledger;
  faucet: Faucet | null;
  mqtt: MqttBroker | null;
  pow: PowPool | null;
  identity: NodeIdentity;
  log: Logger;
  metrics: NodeMetrics | null;
  networkName: string;
  networkId: bigint;
  bech32HRP: string;
  minPoWScore: number;
  version: string;
  bodyLimit: number;
  /** lingering close after a 413 (see util/lingering-close.ts) */
  linger: LingerLimits;
  maxResults: number;
  jwtSalt: string;
  publicRoutes: string[];
  protectedRoutes: string[];
  refreshTipsMs: number;
  powTimeoutMs: number;
  /** concurrent remote-PoW jobs one client IP may have */
  powJobsPerClient: number;
  /** proxies whose X-Forwarded-For is believed for the client IP (per-client PoW limit, logs) */
  trustedProxies: string[];
  control: ControlActions;
  snapshotFiles: SnapshotFiles;
  /** the database's file and used sizes, in bytes (see StingerNode.databaseSize) */
  databaseSize: () => { file: number; used: number; tangle: number; ledger: number };
}

const BASE = "/api/v1";
const MAX_INDEX_BYTES = 64;

export function createApiServer(deps: ApiDeps): FastifyInstance {
  const { tangle, store } = deps;
  const app = Fastify({
    bodyLimit: deps.bodyLimit,
    routerOptions: { maxParamLength: 128 },
    connectionTimeout: 0,
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    // Behind stinger gateway every request comes from the gateway's address: only trusted hops may
    // name the real client, or one busy client would use up everyone's share of remote PoW.
    trustProxy: deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
    // iota.js sends "Content-Type: application/json" on GETs too; an empty body must not be an error.
    logger: false,
  });

  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_req, body: Buffer, done) => {
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString("utf8")));
    } catch {
      done(badRequest("invalid JSON body"), undefined);
    }
  });
  // Anything that is not JSON is a raw message, as in Hornet (iota.js sends application/octet-stream).
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  const policy = createRoutePolicy(
    deps.faucet ? [...deps.publicRoutes, FAUCET_ROUTES] : deps.publicRoutes,
    deps.protectedRoutes,
  );
  const submitDeps = { ...deps, powSlots: new PowSlots(deps.powJobsPerClient) };
  /** The route policy's answer for a request: null to let it through, else the status to refuse with. */
  const denial = async (
    url: string,
    authorization: string | undefined,
  ): Promise<{ status: number; message: string } | null> => {
    const access = policy(url);
    if (access === "public") return null;
    if (access === "forbidden") return { status: 403, message: "route is not exposed" };
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (!token) return { status: 401, message: "missing or malformed jwt" };
    if (!(await verifyApiToken(token, deps.identity, deps.jwtSalt)))
      return { status: 401, message: "invalid or expired jwt" };
    return null;
  };
  app.addHook("onRequest", async (req, reply) => {
    const d = await denial(req.url, req.headers.authorization);
    if (d) return sendError(reply, d.status, d.message);
  });
  // MQTT over WebSocket on the REST port, under the same route policy as any request to /mqtt.
  deps.mqtt?.attachWebSocket(
    app.server,
    async (req) => (await denial(req.url ?? "/", req.headers.authorization))?.status ?? null,
  );

  app.addHook("onResponse", async (req, reply) => {
    deps.metrics?.httpRequests.inc({
      route: req.routeOptions.url ?? "unknown",
      status: String(reply.statusCode),
    });
  });

  app.setNotFoundHandler((_req, reply) => sendError(reply, 404, "route not found"));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof StingerError) {
      if (err.retryAfterSeconds !== undefined) reply.header("retry-after", String(err.retryAfterSeconds));
      return sendError(reply, err.status, err.message);
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      deps.log.error({ err, reqId: req.id, url: req.url }, "request failed");
      return sendError(reply, 500, `internal error (request ${req.id})`);
    }
    // Fastify answers a too-large body with "Connection: close" while the client may still be sending it.
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") lingerBeforeClose(req.raw, deps.linger);
    const message =
      err.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? `request body is larger than ${deps.bodyLimit} bytes`
        : err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? "unsupported content type"
          : err.message;
    return sendError(reply, status, message);
  });

  app.get("/health", async (_req, reply) => reply.code(tangle.isHealthy() ? 200 : 503).send());

  app.get("/api/routes", async () => ({ routes: ["v1", "plugins/stinger"] }));

  app.get(`${BASE}/info`, async () => ({
    data: {
      name: "stinger",
      version: deps.version,
      isHealthy: tangle.isHealthy(),
      networkId: deps.networkName,
      bech32HRP: deps.bech32HRP,
      minPoWScore: deps.minPoWScore,
      ...deps.rates.rates(),
      latestMilestoneTimestamp: tangle.latestMilestoneTime,
      latestMilestoneIndex: tangle.latestMilestoneIndex,
      confirmedMilestoneIndex: tangle.confirmedMilestoneIndex,
      pruningIndex: store.pruningIndex,
      features: deps.pow ? ["PoW"] : [],
      peerId: deps.identity.peerId,
    },
  }));

  app.get(`${BASE}/tips`, async () => {
    if (!tangle.isAlmostSynced()) throw notSynced();
    const tips = tangle.selectTips();
    if (tips.length === 0) throw new StingerError("API_NO_TIPS", "no tips available", { status: 503 });
    return { data: { tipMessageIds: tips.map(toHex) } };
  });

  app.post(`${BASE}/messages`, async (req, reply) => {
    const isJson = (req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json");
    // Only remote PoW needs to notice a client that goes away; most submits never ask.
    let abort: AbortController | undefined;
    const onClose = () => abort?.abort();
    const disconnectSignal = () => {
      if (!abort) {
        abort = new AbortController();
        req.raw.socket.once("close", onClose);
      }
      return abort.signal;
    };
    try {
      const { id } = await submitMessage(submitDeps, req.body, isJson, { client: req.ip, disconnectSignal });
      const hex = toHex(id);
      return reply
        .code(201)
        .header("location", hex)
        .send({ data: { messageId: hex } });
    } finally {
      if (abort) req.raw.socket.off("close", onClose);
    }
  });

  app.get(`${BASE}/messages`, async (req) => {
    const index = (req.query as Record<string, unknown>).index;
    if (typeof index !== "string" || index.length === 0) throw badRequest("query parameter index is missing");
    if (!/^([0-9a-fA-F]{2})+$/.test(index)) throw badRequest(`invalid index: ${index}: must be hex`);
    if (index.length / 2 > MAX_INDEX_BYTES)
      throw badRequest(`invalid index: longer than ${MAX_INDEX_BYTES} bytes`);
    const ids = store.messagesByIndex(Buffer.from(index, "hex"), deps.maxResults);
    return { data: { index, maxResults: deps.maxResults, count: ids.length, messageIds: ids.map(toHex) } };
  });

  const stored = (req: FastifyRequest): { id: Uint8Array; bytes: Uint8Array } => {
    const id = parseIdParam((req.params as { id?: string }).id);
    const bytes = store.getMessage(id);
    if (!bytes) throw notFound(`message not found: ${toHex(id)}`);
    return { id, bytes };
  };

  app.get(`${BASE}/messages/:id`, async (req) => ({
    data: messageToJson(deserializeMessage(stored(req).bytes, { validate: false })),
  }));

  app.get(`${BASE}/messages/:id/metadata`, async (req) => {
    if (!tangle.isAlmostSynced()) throw notSynced();
    const { id, bytes } = stored(req);
    return { data: tangle.metadataJson(id, bytes) };
  });

  app.get(`${BASE}/messages/:id/raw`, async (req, reply) =>
    reply.type("application/octet-stream").send(Buffer.from(stored(req).bytes)),
  );

  app.get(`${BASE}/messages/:id/children`, async (req) =>
    childrenResponse(store, parseIdParam((req.params as { id?: string }).id), deps.maxResults),
  );

  app.get(`${BASE}/milestones/:index`, async (req) => {
    const index = parseMilestoneIndex((req.params as { index?: string }).index);
    const ms = store.getMilestone(index);
    if (!ms) throw notFound(`milestone not found: ${index}`);
    return { data: { index, messageId: toHex(ms.messageId), timestamp: ms.timestamp } };
  });

  if (deps.faucet) registerFaucetRoutes(app, deps.faucet);
  registerLedgerRoutes(app, {
    ledger: deps.ledger,
    tangle,
    store,
    bech32HRP: deps.bech32HRP,
    maxResults: deps.maxResults,
  });

  // Hornet's peers API (protected by default: /api/v1/* outside the public list).
  const gossip = (): GossipService => {
    if (!deps.gossip)
      throw new StingerError("API_GOSSIP_DISABLED", "gossip is disabled on this node", { status: 503 });
    return deps.gossip;
  };
  const peerParam = (req: FastifyRequest) => (req.params as { peerId?: string }).peerId ?? "";

  app.get(`${BASE}/peers`, async () => ({ data: gossip().peerList() }));

  app.get(`${BASE}/peers/:peerId`, async (req) => {
    const peer = gossip().peer(peerParam(req));
    if (!peer) throw notFound(`peer not found: ${peerParam(req)}`);
    return { data: peer };
  });

  app.post(`${BASE}/peers`, async (req) => {
    const body = req.body as { multiAddress?: unknown; alias?: unknown } | undefined;
    if (typeof body?.multiAddress !== "string") throw badRequest("multiAddress is missing");
    if (body.alias !== undefined && (typeof body.alias !== "string" || body.alias.length > 64)) {
      throw badRequest("alias must be a string of at most 64 characters");
    }
    return { data: gossip().addPeer(body.multiAddress, body.alias as string | undefined) };
  });

  app.delete(`${BASE}/peers/:peerId`, async (req, reply) => {
    if (!(await gossip().removePeer(peerParam(req)))) throw notFound(`peer not found: ${peerParam(req)}`);
    return reply.code(204).send();
  });

  registerControlRoutes(app, deps.control);
  registerSnapshotRoutes(app, deps.snapshotFiles);

  // Protected (like every plugin route by default): what the database holds, for operators and tests.
  app.get("/api/plugins/stinger/database", async () => {
    const size = deps.databaseSize();
    return {
      data: {
        fileBytes: size.file,
        usedBytes: size.used,
        tangleBytes: size.tangle,
        ledgerBytes: size.ledger,
        pruningIndex: store.pruningIndex,
      },
    };
  });

  // Cheap load report for load balancers (protected: it reveals the node's capacity).
  // Event-loop utilization since the previous report (a gateway polls it), not since start.
  let lastElu = performance.eventLoopUtilization();
  app.get("/api/plugins/stinger/load", async () => {
    const elu = performance.eventLoopUtilization();
    const recent = performance.eventLoopUtilization(elu, lastElu).utilization;
    lastElu = elu;
    return {
      data: {
        pow: deps.pow?.load() ?? null,
        eventLoopUtilization: recent,
        latestMilestoneIndex: tangle.latestMilestoneIndex,
        confirmedMilestoneIndex: tangle.confirmedMilestoneIndex,
      },
    };
  });

  return app;
}

function sendError(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).type("application/json").send(errorBody(status, message));
}
