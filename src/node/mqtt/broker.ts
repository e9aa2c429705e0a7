import type { Server as HttpServer, IncomingMessage } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Aedes, type Client } from "aedes";
import { generate } from "mqtt-packet";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { createWebSocketStream, WebSocketServer } from "ws";
import { joinHostPort, splitHostPort } from "../../config/common.ts";
import { filterMatches, isSubscribable, SubscriptionIndex } from "./topics.ts";

export interface MqttOptions {
  /** TCP listener ("" = none) */
  bindAddress: string;
  maxConnections: number;
  maxSubscriptionsPerClient: number;
  /** bytes a client may have waiting to be sent before it is disconnected as too slow */
  maxClientBuffer: number;
  topicCleanupThreshold: number;
}

/** A QoS 0, not retained PUBLISH frame: encoded once, written to every subscriber as is. */
function publishFrame(topic: string, payload: Buffer | string): Buffer {
  return generate({
    cmd: "publish",
    topic,
    payload: typeof payload === "string" ? Buffer.from(payload) : payload,
    qos: 0,
    retain: false,
    dup: false,
  });
}

function createMqttMetrics(registry: Registry | null) {
  const r = registry ? [registry] : [];
  return {
    clients: new Gauge({ name: "stinger_node_mqtt_clients", help: "Connected MQTT clients", registers: r }),
    subscriptions: new Gauge({
      name: "stinger_node_mqtt_subscriptions",
      help: "Active MQTT subscriptions",
      registers: r,
    }),
    sent: new Counter({
      name: "stinger_node_mqtt_messages_sent_total",
      help: "MQTT messages delivered to clients",
      registers: r,
    }),
    droppedSlow: new Counter({
      name: "stinger_node_mqtt_dropped_slow_clients_total",
      help: "Clients disconnected because they did not read fast enough",
      registers: r,
    }),
    refused: new Counter({
      name: "stinger_node_mqtt_refused_total",
      help: "Refused client actions, by kind",
      labelNames: ["kind"] as const,
      registers: r,
    }),
  };
}

/**
 * The node's MQTT 3.1.1 broker (aedes): TCP on `mqtt.bindAddress` and WebSocket at `/mqtt` on the REST
 * server, as Hornet serves it. Only the node publishes (QoS 0, never retained); clients may subscribe to
 * TIP-16 topics, within a per-client cap; a client whose unsent data passes `maxClientBuffer` is
 * disconnected, so a subscriber that stops reading cannot make the node's memory grow.
 */
export class MqttBroker {
  readonly subscriptions: SubscriptionIndex;
  private readonly metrics;
  private broker: Aedes | undefined;
  private tcp: Server | undefined;
  private readonly ws = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    perMessageDeflate: false,
  });
  /** per connection: the bytes it has waiting (the stream's buffer plus, for WebSockets, the socket's) */
  private readonly buffered = new WeakMap<object, () => number>();
  private readonly perClient = new WeakMap<Client, Set<string>>();
  /** filter -> clients subscribed to it: the fan-out list (wildcard filters kept apart, they are few) */
  private readonly exactClients = new Map<string, Set<Client>>();
  private readonly wildcardClients = new Map<string, Set<Client>>();
  private readonly onSubscribe: ((topic: string, client: Client) => void)[] = [];
  tcpUrl = "";

  constructor(
    private readonly opts: MqttOptions,
    private readonly log: Logger,
    registry: Registry | null,
  ) {
    this.subscriptions = new SubscriptionIndex(opts.topicCleanupThreshold);
    this.metrics = createMqttMetrics(registry);
  }

  /** Called with each newly subscribed filter and its client (to send it the current state). */
  onNewSubscription(fn: (filter: string, client: Client) => void): void {
    this.onSubscribe.push(fn);
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker({
      // Clients of the event API only listen: the node is the sole publisher.
      authorizePublish: (client, _packet, done) => {
        if (client) {
          this.metrics.refused.inc({ kind: "publish" });
          done(new Error("publishing is not allowed on this broker"));
        } else done(null);
      },
      authorizeSubscribe: (client, sub, done) => {
        const mine = this.perClient.get(client) ?? new Set<string>();
        // done(null, null) answers SUBACK 128 for this filter; an error would drop the whole connection.
        if (!isSubscribable(sub.topic)) {
          this.metrics.refused.inc({ kind: "topic" });
          return done(null, null);
        }
        if (!mine.has(sub.topic) && mine.size >= this.opts.maxSubscriptionsPerClient) {
          this.metrics.refused.inc({ kind: "subscriptions" });
          return done(null, null);
        }
        done(null, { ...sub, qos: 0 });
      },
      preConnect: (_client, _packet, done) => {
        if (broker.connectedClients >= this.opts.maxConnections) {
          this.metrics.refused.inc({ kind: "connection" });
          return done(new Error("too many MQTT clients"), false);
        }
        done(null, true);
      },
      // Called once per client for what aedes delivers itself (the current state to a new subscriber).
      authorizeForward: (client, packet) => {
        // Deliveries queued before a slow client was closed still pass here: drop them uncounted.
        if (client.closed || this.tooSlow(client)) return null;
        this.metrics.sent.inc();
        return packet;
      },
    });
    this.broker = broker;
    broker.on("subscribe", (subs, client) => {
      const mine = this.perClient.get(client) ?? new Set<string>();
      this.perClient.set(client, mine);
      for (const s of subs) {
        if ((s.qos as number) === 128 || mine.has(s.topic)) continue;
        mine.add(s.topic);
        this.subscriptions.add(s.topic);
        this.clientsOf(s.topic, true)!.add(client);
        for (const fn of this.onSubscribe) fn(s.topic, client);
      }
      this.updateGauges();
    });
    broker.on("unsubscribe", (topics, client) => {
      const mine = this.perClient.get(client);
      for (const t of topics)
        if (mine?.delete(t)) {
          this.subscriptions.remove(t);
          this.dropClient(t, client);
        }
      this.updateGauges();
    });
    broker.on("clientDisconnect", (client) => this.forget(client));
    broker.on("clientError", (client) => this.forget(client));
    broker.on("client", () => this.updateGauges());
    if (this.opts.bindAddress) {
      const { host, port } = splitHostPort(this.opts.bindAddress);
      this.tcp = createServer((socket) => broker.handle(socket));
      await new Promise<void>((resolve, reject) => {
        this.tcp!.once("error", reject);
        this.tcp!.listen(port, host, () => resolve());
      });
      const a = this.tcp.address() as { address: string; port: number; family: string };
      this.tcpUrl = `mqtt://${joinHostPort(a.address, a.port)}`;
    }
  }

  /**
   * MQTT over WebSocket at `/mqtt` on the node's HTTP server. `allowed` applies the REST route policy
   * (public by Hornet's default) before the handshake.
   */
  attachWebSocket(server: HttpServer, allowed: (req: IncomingMessage) => Promise<number | null>): void {
    server.on("upgrade", async (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const path = (req.url ?? "").split("?")[0];
      const refuse = (status: number, text: string) => {
        const body = JSON.stringify({ error: { code: String(status), message: text } });
        socket.end(
          `HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      };
      socket.on("error", () => socket.destroy());
      if (path !== "/mqtt" || !this.broker) return refuse(404, "route not found");
      const denied = await allowed(req);
      if (socket.destroyed) return;
      if (denied !== null) return refuse(denied, denied === 401 ? "unauthorized" : "forbidden");
      this.ws.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on("error", () => stream.destroy());
        this.buffered.set(stream, () => stream.writableLength + ws.bufferedAmount);
        this.broker!.handle(stream as Duplex, req);
      });
    });
  }

  /**
   * Publishes to subscribers of `topic` only; `payload` is built only if someone listens. The node is
   * the only publisher and everything is QoS 0, so the PUBLISH frame is encoded once and the same bytes
   * are written to every subscriber's connection, instead of aedes encoding it again per client (which
   * made fan-out cost one packet encoding per subscriber and message).
   */
  publish(topic: string, payload: () => Buffer | string): void {
    if (!this.broker || !this.subscriptions.hasSubscribers(topic)) return;
    const targets = new Set<Client>(this.exactClients.get(topic));
    for (const [filter, clients] of this.wildcardClients)
      if (filterMatches(filter, topic)) for (const c of clients) targets.add(c);
    if (targets.size === 0) return;
    const frame = publishFrame(topic, payload());
    for (const client of targets) {
      if (client.closed || !client.connected || this.tooSlow(client)) continue;
      client.conn.write(frame);
      this.metrics.sent.inc();
    }
  }

  /** Disconnects a client whose unsent bytes passed the bound; true when it did. */
  private tooSlow(client: Client): boolean {
    const waiting = this.buffered.get(client.conn)?.() ?? client.conn.writableLength;
    if (waiting <= this.opts.maxClientBuffer) return false;
    this.metrics.droppedSlow.inc();
    this.log.warn({ client: client.id, waiting }, "MQTT client too slow; disconnected");
    client.close();
    return true;
  }

  private clientsOf(filter: string, create = false): Set<Client> | undefined {
    const map = filter.includes("+") || filter.includes("#") ? this.wildcardClients : this.exactClients;
    let set = map.get(filter);
    if (!set && create) map.set(filter, (set = new Set()));
    return set;
  }

  private dropClient(filter: string, client: Client): void {
    const map = filter.includes("+") || filter.includes("#") ? this.wildcardClients : this.exactClients;
    const set = map.get(filter);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) map.delete(filter);
  }

  /** Sends one message to one client only (the current state for a new subscription). */
  publishTo(client: Client, topic: string, payload: Buffer | string): void {
    // Written straight away, like every publish: were it queued through aedes, a live event written
    // meanwhile could overtake it (milestone 9 before the current state, 8).
    if (client.closed || this.tooSlow(client)) return;
    client.conn.write(publishFrame(topic, payload));
    this.metrics.sent.inc();
  }

  async close(): Promise<void> {
    for (const c of this.ws.clients) c.terminate();
    if (this.tcp) await new Promise<void>((r) => this.tcp!.close(() => r()));
    if (this.broker) await new Promise<void>((r) => this.broker!.close(() => r()));
  }

  private forget(client: Client): void {
    const mine = this.perClient.get(client);
    if (mine)
      for (const t of mine) {
        this.subscriptions.remove(t);
        this.dropClient(t, client);
      }
    this.perClient.delete(client);
    this.updateGauges();
  }

  /** Connected MQTT clients (TCP and WebSocket). */
  get clientCount(): number {
    return this.broker?.connectedClients ?? 0;
  }

  private updateGauges(): void {
    this.metrics.clients.set(this.broker?.connectedClients ?? 0);
    this.metrics.subscriptions.set(this.subscriptions.size);
  }
}
