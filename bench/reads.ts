// Reads: GET /api/v1/messages/{id} requests/s and latency with many stored messages, and the node's
// resident memory after storing them (anonymous memory vs. mapped database pages).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Store } from "../src/node/store/store.ts";
import { NULL_MESSAGE_ID } from "../src/node/tangle/tangle.ts";
import { blake2b256 } from "../src/protocol/blake2b.ts";
import { toHex } from "../src/protocol/hex.ts";
import { networkIdFromName, serializeMessage } from "../src/protocol/message.ts";
import { startDevnet } from "../test/helpers/devnet.ts";
import { fmt, printHeader, report, rssOf } from "./_lib.ts";

const QUIET = ["--log-level", "warn"];

const COUNT = Number(process.env.BENCH_READS_MESSAGES ?? 1_000_000);
const DURATION = Number(process.env.BENCH_READS_SECONDS ?? 10);
const CONNECTIONS = 32;
const BATCH = 10_000;

printHeader("reads");
const dir = mkdtempSync(join(tmpdir(), "stinger-bench-"));
try {
  // Let devnet create keys, identity and milestone 1, then fill its database directly.
  const first = await startDevnet({ dataDir: dir, milestoneInterval: 3600, extraArgs: QUIET });
  await first.stop();
  const store = new Store(join(dir, "db"));
  const networkId = networkIdFromName("private_tangle1");
  const ids: string[] = [];
  const fillStart = performance.now();
  let lastLine = fillStart;
  for (let done = 0; done < COUNT; done += BATCH) {
    store.root.transactionSync(() => {
      for (let i = done; i < Math.min(COUNT, done + BATCH); i++) {
        const data = Buffer.alloc(40);
        data.writeUInt32LE(i, 0);
        const bytes = serializeMessage({
          networkId,
          parents: [NULL_MESSAGE_ID],
          payload: { type: 2, index: Buffer.from("bench-reads"), data },
          nonce: BigInt(i + 1),
        });
        const id = blake2b256(bytes);
        store.messages.put(id, bytes);
        store.metadata.put(id, { s: true, y: 0, o: 0 });
        if (i % 10 === 0) ids.push(toHex(id));
      }
    });
    if (performance.now() - lastLine > 5000) {
      lastLine = performance.now();
      console.log(`# filled ${fmt(done + BATCH)} / ${fmt(COUNT)} messages`);
    }
  }
  await store.close();
  console.log(`# filled ${fmt(COUNT)} messages in ${fmt((performance.now() - fillStart) / 1000, 1)} s`);

  const devnet = await startDevnet({ dataDir: dir, milestoneInterval: 3600, extraArgs: QUIET });
  try {
    const idle = rssOf(devnet.proc.pid!);
    let n = 0;
    // Warm-up: the first touches of a cold database are page faults, not the steady state we report.
    await autocannon({
      url: devnet.url,
      connections: CONNECTIONS,
      duration: 3,
      requests: [
        {
          method: "GET",
          setupRequest: (req) => ({ ...req, path: `/api/v1/messages/${ids[(n++ * 7919) % ids.length]}` }),
        },
      ],
    });
    const result = await autocannon({
      url: devnet.url,
      connections: CONNECTIONS,
      duration: DURATION,
      requests: [
        {
          method: "GET",
          setupRequest: (req) => ({ ...req, path: `/api/v1/messages/${ids[(n++ * 7919) % ids.length]}` }),
        },
      ],
    });
    const loaded = rssOf(devnet.proc.pid!);
    console.log(
      `GET /api/v1/messages/{id} (${fmt(COUNT)} stored, random IDs, ${CONNECTIONS} connections, ${DURATION} s): ` +
        `${fmt(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`,
    );
    console.log(
      `RSS at start ${fmt(idle.rss)} MiB (anon ${fmt(idle.anon)}, file ${fmt(idle.file)}); after reads ${fmt(loaded.rss)} MiB ` +
        `(anon ${fmt(loaded.anon)}, file ${fmt(loaded.file)})`,
    );
    report({
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssIdle: idle,
      rssLoaded: loaded,
    });
  } finally {
    await devnet.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
