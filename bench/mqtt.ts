// MQTT fan-out: S subscribers (S = 0, 10, 100, 1000) on `messages` and `messages/referenced` of one node
// while messages are submitted at a fixed rate (BENCH_MQTT_RATE, 500/s) for BENCH_MQTT_SECONDS (10):
// messages delivered per second, submit-to-delivery latency (p50/p99, sampled on 10 subscribers that
// decode what they get), and the node's accepted ingest rate, with S = 0 as the reference in the same run.
// Subscribers are minimal hand-written MQTT 3.1.1 clients (CONNECT, SUBSCRIBE, then count PUBLISH
// frames) so that the load generator costs little next to the broker it measures.
import { connect, type Socket } from "node:net";
import { Agent, request } from "undici";
import { blake2b256 } from "../src/protocol/blake2b.ts";
import { toHex } from "../src/protocol/hex.ts";
import { networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { removeDir, startDevnet, tempDir } from "../test/helpers/devnet.ts";
import { fmt, percentile, printHeader, report } from "./_lib.ts";

const RATE = Number(process.env.BENCH_MQTT_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_MQTT_SECONDS ?? 10);
const COUNTS = (process.env.BENCH_MQTT_SUBSCRIBERS ?? "0,10,100,1000").split(",").map(Number);
const SAMPLED = 10;
const NETWORK_ID = networkIdFromName("private_tangle1");

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function packet(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), remainingLength(body.length), body]);
}

interface Subscriber {
  socket: Socket;
  received: number;
  ready: Promise<void>;
}

/**
 * A subscriber that counts PUBLISH frames; a sampled one also hands each `messages` payload to
 * `onMessage` (for latency). Frames are parsed only as far as their length.
 */
function subscriber(port: number, id: string, onMessage?: (payload: Buffer) => void): Subscriber {
  const socket = connect(port, "127.0.0.1");
  const sub: Subscriber = { socket, received: 0, ready: Promise.resolve() };
  let buf: Buffer = Buffer.alloc(0);
  let acked: () => void;
  sub.ready = new Promise((r) => (acked = r));
  socket.on("data", (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (; i < 5 && i < buf.length; i++) {
        len += (buf[i]! & 0x7f) * mult;
        mult *= 128;
        if ((buf[i]! & 0x80) === 0) break;
      }
      if (i >= buf.length) return;
      const total = i + 1 + len;
      if (buf.length < total) return;
      const type = buf[0]! >> 4;
      if (type === 9) acked();
      if (type === 3) {
        sub.received++;
        if (onMessage) {
          const body = buf.subarray(i + 1, total);
          const topicLen = body.readUInt16BE(0);
          const topic = body.subarray(2, 2 + topicLen).toString();
          if (topic === "messages") onMessage(body.subarray(2 + topicLen));
        }
      }
      buf = buf.subarray(total);
    }
  });
  socket.on("error", () => {});
  const connectBody = Buffer.concat([utf8("MQTT"), Buffer.from([4, 0x02, 0, 0]), utf8(id)]);
  const subscribeBody = Buffer.concat([
    Buffer.from([0, 1]),
    utf8("messages"),
    Buffer.from([0]),
    utf8("messages/referenced"),
    Buffer.from([0]),
  ]);
  socket.write(Buffer.concat([packet(0x10, connectBody), packet(0x82, subscribeBody)]));
  return sub;
}

async function main(): Promise<void> {
  printHeader("mqtt");
  const dir = tempDir("stinger-bench-mqtt-");
  // Score 0: any nonce passes, so the submits measure ingest and fan-out, not PoW.
  const devnet = await startDevnet({
    dataDir: dir,
    minPoWScore: 0,
    milestoneInterval: 1,
    extraArgs: ["--log-level", "warn"],
  });
  const mqttPort = Number(new URL(devnet.mqttUrl).port);
  const agent = new Agent({ connections: 32, pipelining: 1 });
  const results: Record<string, unknown>[] = [];
  try {
    let salt = 0;
    for (const count of COUNTS) {
      const sent = new Map<string, number>();
      const latencies: number[] = [];
      const subs: Subscriber[] = [];
      for (let i = 0; i < count; i++) {
        const sampled = i < SAMPLED;
        subs.push(
          subscriber(
            mqttPort,
            `bench-${count}-${i}`,
            sampled
              ? (payload) => {
                  const at = sent.get(toHex(blake2b256(payload)));
                  if (at !== undefined) latencies.push(performance.now() - at);
                }
              : undefined,
          ),
        );
        // Connect in batches so the broker is not handed 1000 handshakes in one tick.
        if (i % 100 === 99) await Promise.all(subs.slice(-100).map((s) => s.ready));
      }
      await Promise.all(subs.map((s) => s.ready));
      const tips = (await (await fetch(`${devnet.url}/api/v1/tips`)).json()) as {
        data: { tipMessageIds: string[] };
      };
      const parent = Buffer.from(tips.data.tipMessageIds[0]!, "hex");
      const total = RATE * SECONDS;
      const messages = Array.from({ length: total }, (_, i) => {
        const data = Buffer.alloc(16);
        data.writeUInt32LE(i, 0);
        data.writeUInt32LE(++salt, 4);
        return Buffer.from(
          serializeMessage({
            networkId: NETWORK_ID,
            parents: [parent],
            payload: { type: 2, index: Buffer.from("bench-mqtt"), data },
            nonce: 1n,
          }),
        );
      });
      let accepted = 0;
      let failed = 0;
      const before = subs.reduce((n, s) => n + s.received, 0);
      const started = performance.now();
      const inflight: Promise<void>[] = [];
      for (let i = 0; i < total; i++) {
        // Paced: message i leaves at i / RATE seconds.
        const due = started + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const bytes = messages[i]!;
        sent.set(toHex(blake2b256(bytes)), performance.now());
        inflight.push(
          request(`${devnet.url}/api/v1/messages`, {
            method: "POST",
            body: bytes,
            headers: { "content-type": "application/octet-stream" },
            dispatcher: agent,
          }).then(
            async (r) => {
              await r.body.dump();
              if (r.statusCode === 201) accepted++;
              else failed++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
      await Promise.all(inflight);
      const submitSeconds = (performance.now() - started) / 1000;
      // Let deliveries of the last messages (and their referencing milestone) arrive.
      await new Promise((r) => setTimeout(r, 2500));
      const elapsed = (performance.now() - started) / 1000;
      const delivered = subs.reduce((n, s) => n + s.received, 0) - before;
      const row = {
        subscribers: count,
        offeredPerSecond: RATE,
        acceptedPerSecond: accepted / submitSeconds,
        failed,
        deliveredPerSecond: delivered / elapsed,
        expectedDeliveries: count * accepted * 2,
        delivered,
        p50Ms: latencies.length ? percentile(latencies, 50) : null,
        p99Ms: latencies.length ? percentile(latencies, 99) : null,
        sampledLatencies: latencies.length,
      };
      results.push(row);
      console.log(
        `subscribers ${String(count).padStart(4)}: accepted ${fmt(row.acceptedPerSecond)}/s of ${RATE}/s offered` +
          ` (${failed} failed), delivered ${fmt(row.deliveredPerSecond)}/s (${fmt(delivered)} of ${fmt(row.expectedDeliveries)} expected)` +
          (row.p50Ms === null ? "" : `, latency p50 ${fmt(row.p50Ms, 1)} ms p99 ${fmt(row.p99Ms!, 1)} ms`),
      );
      for (const s of subs) s.socket.destroy();
    }
    const base = results.find((r) => r.subscribers === 0)?.acceptedPerSecond as number | undefined;
    if (base)
      for (const r of results)
        if (r.subscribers !== 0)
          console.log(
            `ingest with ${r.subscribers} subscribers: ${fmt((100 * (r.acceptedPerSecond as number)) / base, 1)} % of the rate without`,
          );
    report({ mqtt: results });
  } finally {
    await agent.close();
    await devnet.stop();
    removeDir(dir);
  }
}

await main();
