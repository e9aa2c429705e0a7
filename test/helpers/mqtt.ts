// MQTT (TIP-16) test clients: the `mqtt` package with promises and deadlines around it, a hand-rolled raw
// MQTT 3.1.1 client over TCP (to see exact SUBACK codes and to stop reading at will), milestone logs, and
// Prometheus scraping. Every wait has a deadline, so no test hangs on a broker that never answers.
import { readFileSync } from "node:fs";
import { type Socket, connect as tcpConnect } from "node:net";
import { connect, type IClientOptions, type MqttClient } from "mqtt";

/** One sample of a Prometheus text exposition (the first whose labels include `labels`), or undefined. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[4]);
  }
  return undefined;
}

export async function scrape(metricsUrl: string): Promise<string> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`GET ${metricsUrl}: ${res.status}`);
  return res.text();
}

/** A counter or gauge of a node or gateway (0 when the series does not exist yet). */
export async function metric(metricsUrl: string, name: string, labels: Record<string, string> = {}) {
  return metricValue(await scrape(metricsUrl), name, labels) ?? 0;
}

/** Resolves with `p`, or rejects after `ms` saying what did not happen. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** `mqtt.connect` that resolves once CONNACK arrived (rejects on an error or a close before it). */
export function mqttConnect(url: string, opts: IClientOptions = {}, ms = 15_000): Promise<MqttClient> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: ms, ...opts });
  let onError: (err: Error) => void = () => {};
  let onClose: () => void = () => {};
  const connected = new Promise<MqttClient>((resolve, reject) => {
    onError = reject;
    onClose = () => reject(new Error(`${url}: closed before CONNACK`));
    client.once("connect", () => resolve(client));
    client.once("error", onError);
    // With reconnects on, a refused attempt is retried: only the deadline ends the wait.
    if (!opts.reconnectPeriod) client.once("close", onClose);
  });
  return within(connected, ms, `MQTT connection to ${url}`).then(
    (c) => {
      client.off("error", onError);
      client.off("close", onClose);
      return c;
    },
    (err: unknown) => {
      client.end(true);
      throw err;
    },
  );
}

/** SUBSCRIBE; resolves with the granted QoS per filter (128 = refused), rejects if the broker hangs up. */
export function mqttSubscribe(client: MqttClient, filters: string[], ms = 10_000): Promise<number[]> {
  return within(
    new Promise<number[]>((resolve, reject) => {
      client.subscribe(filters, { qos: 0 }, (err, granted) => {
        if (err) reject(err);
        else resolve(granted.map((g) => g.qos));
      });
    }),
    ms,
    `SUBACK for ${filters.join(", ")}`,
  );
}

/** DISCONNECT and close; resolves once the socket is closed. */
export function mqttEnd(client: MqttClient, ms = 10_000): Promise<void> {
  return within(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), ms, "MQTT end");
}

export interface MilestoneEvent {
  index: number;
  timestamp: number;
}

/** Every `milestones/latest` and `milestones/confirmed` publish a client receives, in arrival order. */
export class MilestoneLog {
  readonly latest: MilestoneEvent[] = [];
  readonly confirmed: MilestoneEvent[] = [];
  /** payloads that were not {index, timestamp} JSON */
  readonly malformed: string[] = [];

  constructor(client: MqttClient) {
    client.on("message", (topic, payload) => {
      const list =
        topic === "milestones/latest"
          ? this.latest
          : topic === "milestones/confirmed"
            ? this.confirmed
            : null;
      if (!list) return;
      try {
        const v = JSON.parse(payload.toString()) as MilestoneEvent;
        if (!Number.isInteger(v.index) || !Number.isInteger(v.timestamp)) throw new Error("fields");
        list.push({ index: v.index, timestamp: v.timestamp });
      } catch {
        this.malformed.push(`${topic}: ${payload.toString().slice(0, 100)}`);
      }
    });
  }

  /** The highest confirmed index seen (0 before any). */
  get lastConfirmed(): number {
    return this.confirmed.at(-1)?.index ?? 0;
  }
}

/**
 * Problems with a milestone stream: each index the previous + 1, timestamps not decreasing. The node
 * publishes the current milestone on its topic whenever someone subscribes to it (as Hornet 1.x does,
 * to every subscriber of the topic), so a client sees the event it just had again once per later
 * subscription: up to `maxRepeats` such repeats (same index, same timestamp, back to back) are allowed.
 */
export function gapsIn(events: MilestoneEvent[], maxRepeats = 0): string[] {
  const problems: string[] = [];
  let repeats = 0;
  for (let i = 1; i < events.length; i++) {
    const a = events[i - 1]!;
    const b = events[i]!;
    if (b.index === a.index && b.timestamp === a.timestamp) repeats++;
    else if (b.index !== a.index + 1) problems.push(`${a.index} then ${b.index}`);
    if (b.timestamp < a.timestamp) problems.push(`timestamp of ${b.index} before that of ${a.index}`);
  }
  if (repeats > maxRepeats) problems.push(`${repeats} repeated events (at most ${maxRepeats} expected)`);
  return problems;
}

function mqttString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function packet(firstByte: number, body: Buffer): Buffer {
  const len: number[] = [];
  let x = body.length;
  do {
    let d = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) d |= 128;
    len.push(d);
  } while (x > 0);
  return Buffer.concat([Buffer.from([firstByte, ...len]), body]);
}

/**
 * A minimal MQTT 3.1.1 client over TCP, written out by hand: CONNECT (clean session, no keepalive),
 * SUBSCRIBE with the exact SUBACK return codes, and a socket the test can stop reading (pause) and
 * read again (resume), counting every byte it got. Only for the first packets does it parse anything.
 */
export class RawMqttClient {
  /** bytes read from the socket so far */
  received = 0;
  closed = false;
  readonly closedPromise: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((b: Buffer) => boolean) | undefined;
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    this.closedPromise = new Promise((resolve) => {
      socket.once("close", () => {
        this.closed = true;
        resolve();
      });
    });
    // ECONNRESET and the like: the close event follows, which is what the tests look at.
    socket.on("error", () => {});
    socket.on("data", (d: Buffer) => {
      this.received += d.length;
      if (!this.waiting) return;
      if (this.waiting(Buffer.concat([this.buf, d]))) this.waiting = undefined;
    });
  }

  static async connect(url: string, clientId: string, ms = 10_000): Promise<RawMqttClient> {
    const u = new URL(url);
    const socket = tcpConnect(Number(u.port), u.hostname);
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      }),
      ms,
      `TCP connection to ${url}`,
    );
    const c = new RawMqttClient(socket);
    const connack = c.expect(2, ms, "CONNACK");
    socket.write(
      packet(0x10, Buffer.concat([mqttString("MQTT"), Buffer.from([4, 0x02, 0, 0]), mqttString(clientId)])),
    );
    const ack = await connack;
    if (ack[0] !== 0x20 || ack[3] !== 0) throw new Error(`CONNACK refused: ${ack.toString("hex")}`);
    return c;
  }

  /** SUBSCRIBE (QoS 0 each); resolves with the SUBACK return codes (0 granted, 128 refused). */
  async subscribe(filters: string[], ms = 10_000): Promise<number[]> {
    const id = this.nextId++;
    const suback = this.expect(9, ms, `SUBACK for ${filters.join(", ")}`);
    this.socket.write(
      packet(
        0x82,
        Buffer.concat([
          Buffer.from([id >> 8, id & 0xff]),
          ...filters.map((f) => Buffer.concat([mqttString(f), Buffer.from([0])])),
        ]),
      ),
    );
    const ack = await suback;
    if (ack[0] !== 0x90 || ack.readUInt16BE(2) !== id)
      throw new Error(`not a SUBACK: ${ack.toString("hex")}`);
    return [...ack.subarray(4, 4 + filters.length)];
  }

  /** Stops reading: what the node sends piles up in the kernel's buffers, then in the node. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The next packet of type `type` (high nibble of its first byte) the broker sends, header included;
   * packets of other types before it (a PUBLISH racing a SUBACK) are skipped. Rejects if the broker closes.
   */
  private expect(type: number, ms: number, what: string): Promise<Buffer> {
    this.buf = Buffer.alloc(0);
    return within(
      new Promise<Buffer>((resolve, reject) => {
        const onClose = () => reject(new Error(`connection closed before ${what}`));
        this.socket.once("close", onClose);
        this.waiting = (b) => {
          for (;;) {
            const p = firstPacket(b);
            if (!p) {
              this.buf = b;
              return false;
            }
            b = b.subarray(p.length);
            if (p[0]! >> 4 === type) {
              this.socket.off("close", onClose);
              resolve(p);
              return true;
            }
          }
        };
      }),
      ms,
      what,
    );
  }
}

/** The first whole MQTT packet in `b`, or null while it is incomplete. */
function firstPacket(b: Buffer): Buffer | null {
  let len = 0;
  let mul = 1;
  for (let i = 1; i < 5; i++) {
    if (i >= b.length) return null;
    len += (b[i]! & 0x7f) * mul;
    mul *= 128;
    if ((b[i]! & 0x80) === 0) return b.length >= i + 1 + len ? b.subarray(0, i + 1 + len) : null;
  }
  throw new Error("malformed remaining length");
}

/** Anonymous and file-backed resident memory of a process, in bytes (Linux /proc/PID/status). */
export function residentSplit(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { anon: kb("RssAnon"), file: kb("RssFile") };
}
