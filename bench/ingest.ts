// Ingest throughput: messages/s accepted over HTTP with PoW already done (several concurrent clients),
// and through the in-process pipeline (Tangle.submit) without HTTP.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Store } from "../src/node/store/store.ts";
import { NULL_MESSAGE_ID } from "../src/node/tangle/tangle.ts";
import { networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { startDevnet } from "../test/helpers/devnet.ts";
import { inProcessTangle } from "../test/helpers/tangle.ts";
import { fmt, printHeader, report } from "./_lib.ts";

const QUIET = ["--log-level", "warn"];

const N = Number(process.env.BENCH_INGEST_MESSAGES ?? 30_000);
const CONNECTIONS = Number(process.env.BENCH_INGEST_CONNECTIONS ?? 32);
const NETWORK_ID = networkIdFromName("private_tangle1");

function makeMessages(parent: Uint8Array, count: number, salt: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(32);
    data.writeUInt32LE(i, 0);
    data.writeUInt32LE(salt, 4);
    out.push(
      Buffer.from(
        serializeMessage({
          networkId: NETWORK_ID,
          parents: [parent],
          payload: { type: 2, index: Buffer.from("bench"), data },
          nonce: 1n,
        }),
      ),
    );
  }
  return out;
}

async function overHttp(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "stinger-bench-"));
  // minPoWScore 0: every nonce passes, so the run measures ingest (the score is still computed).
  const devnet = await startDevnet({ dataDir: dir, minPoWScore: 0, milestoneInterval: 60, extraArgs: QUIET });
  try {
    const tips = (await (await fetch(`${devnet.url}/api/v1/tips`)).json()) as {
      data: { tipMessageIds: string[] };
    };
    const messages = makeMessages(
      Buffer.from(tips.data.tipMessageIds[0]!, "hex"),
      N,
      Date.now() & 0xffffffff,
    );
    let next = 0;
    const result = await autocannon({
      url: devnet.url,
      connections: CONNECTIONS,
      amount: N,
      requests: [
        {
          method: "POST",
          path: "/api/v1/messages",
          setupRequest: (req) => ({
            ...req,
            headers: { "content-type": "application/octet-stream" },
            body: messages[next++ % messages.length],
          }),
        },
      ],
    });
    const created = result.statusCodeStats["201"]?.count ?? 0;
    return {
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      created,
      errors: result.errors + result.non2xx,
    };
  } finally {
    await devnet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inProcess(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "stinger-bench-"));
  const store = new Store(dir);
  const { tangle } = inProcessTangle(store, { networkId: NETWORK_ID });
  await tangle.start();
  const messages = makeMessages(NULL_MESSAGE_ID, N, 7);
  const started = performance.now();
  const BATCH = 256;
  for (let i = 0; i < messages.length; i += BATCH) {
    await Promise.all(messages.slice(i, i + BATCH).map((m) => tangle.submit(m)));
  }
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { rps: N / seconds };
}

printHeader("ingest");
const http = await overHttp();
console.log(
  `http   POST /api/v1/messages (raw, PoW done, ${CONNECTIONS} connections, ${fmt(N)} msgs): ${fmt(http.rps)} msg/s, ` +
    `p50 ${http.p50} ms, p99 ${http.p99} ms, 201s ${fmt(http.created)}, errors ${http.errors}`,
);
const proc = await inProcess();
console.log(`in-process Tangle.submit (${fmt(N)} msgs, batches of 256): ${fmt(proc.rps)} msg/s`);
report({ http, inProcess: proc });
