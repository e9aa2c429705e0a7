// How much remote PoW this host can afford: hashes/s measured per worker count, and from them the
// expected time of one job at the network's score and a recommended setting for node and gateway.
import { targetTrailingZeros } from "../../protocol/curl/pow.ts";
import { PowPool } from "./pool.ts";

/** A message size typical of what clients ask the node to mine (a small indexation or transfer). */
export const TYPICAL_MESSAGE_SIZE = 300;
/** Chrysalis mainnet's minPoWScore. */
export const DEFAULT_POW_SCORE = 4000;
/** restAPI.pow.timeout's default. */
export const DEFAULT_POW_TIMEOUT_MS = 120_000;
/** The gateway's default bucket refill, per client and second. */
const GATEWAY_REFILL_PER_SECOND = 100;
/** The gateway's default bucket size: a cost above it could never be paid. */
const GATEWAY_CAPACITY = 200;
/** An exponential wait's 95th percentile is ln(20) ≈ 3 times its mean. */
const P95_OVER_MEAN = Math.log(20);

export interface Recommendation {
  enable: boolean;
  reason: string;
  "restAPI.powWorkerCount": number;
  "restAPI.pow.maxQueue": number;
  "restAPI.pow.maxJobsPerClient": number;
  "rateLimit.powSubmitCost": number;
  "rateLimit.maxPowSubmitsPerClient": number;
}

export interface PowBenchmark {
  cores: number;
  score: number;
  messageSize: number;
  targetZeros: number;
  /** mean hashes one job needs: 3^targetZeros */
  expectedHashes: number;
  perWorkerHashesPerSecond: number;
  byWorkers: { workers: number; hashesPerSecond: number }[];
  /** with one core kept for the API and gossip */
  sustainable: {
    workers: number;
    hashesPerSecond: number;
    expectedMs: number;
    p95Ms: number;
    jobsPerMinute: number;
  };
  recommendation: Recommendation;
}

/** Hashes per second of a pool of `workers` over about `ms` of mining towards a score never reached. */
export async function measureHashRate(workers: number, ms: number): Promise<number> {
  const pool = new PowPool(workers, 1);
  try {
    const bytes = new Uint8Array(TYPICAL_MESSAGE_SIZE);
    const r = await pool.mineDetailed(bytes, Number.MAX_SAFE_INTEGER, { deadlineMs: ms });
    return Math.round(r.hashes / (r.ms / 1000));
  } finally {
    await pool.close();
  }
}

/** Mean milliseconds of one job at `score` for a `messageSize`-byte message at `hashesPerSecond`. */
export function expectedJobMs(score: number, messageSize: number, hashesPerSecond: number): number {
  const expectedHashes = 3 ** targetTrailingZeros(messageSize, score);
  return hashesPerSecond > 0 ? (expectedHashes / hashesPerSecond) * 1000 : Number.POSITIVE_INFINITY;
}

/** The figures and the recommendation from measured rates (`rates[i]`: hashes/s with i + 1 workers). */
export function recommendPow(input: {
  cores: number;
  rates: number[];
  score: number;
  messageSize: number;
  powTimeoutMs?: number;
}): PowBenchmark {
  const { cores, rates, score, messageSize } = input;
  const timeoutMs = input.powTimeoutMs ?? DEFAULT_POW_TIMEOUT_MS;
  const targetZeros = targetTrailingZeros(messageSize, score);
  const expectedHashes = 3 ** targetZeros;
  const perWorker = rates[0] ?? 0;
  const workers = Math.max(0, cores - 1);
  // Measured when that many workers were measured, else scaled from one worker.
  const rate = workers === 0 ? 0 : (rates[workers - 1] ?? perWorker * workers);
  const expectedMs = expectedJobMs(score, messageSize, rate);
  const p95Ms = expectedMs * P95_OVER_MEAN;
  const jobsPerMinute = Number.isFinite(expectedMs) ? 60_000 / expectedMs : 0;
  // A job waiting at queue position k finishes after (k + 1) jobs: keep that within the timeout, by
  // the job time rounded up, so the queue also fits by the (rounded) figure the output prints.
  const maxQueue = Number.isFinite(expectedMs)
    ? Math.max(0, Math.min(256, Math.floor(timeoutMs / Math.ceil(expectedMs)) - 1))
    : 0;
  const maxJobsPerClient = Math.max(1, Math.min(2, maxQueue));
  // One client alone may use half the node's mining: its bucket refill buys no more PoW submits.
  const jobsPerSecond = jobsPerMinute / 60;
  const powSubmitCost =
    jobsPerSecond > 0
      ? Math.min(GATEWAY_CAPACITY, Math.max(6, Math.ceil(GATEWAY_REFILL_PER_SECOND / (jobsPerSecond / 2))))
      : GATEWAY_CAPACITY;
  const base = {
    "restAPI.powWorkerCount": workers,
    "restAPI.pow.maxQueue": maxQueue,
    "restAPI.pow.maxJobsPerClient": maxJobsPerClient,
    "rateLimit.powSubmitCost": powSubmitCost,
    "rateLimit.maxPowSubmitsPerClient": maxJobsPerClient,
  };
  let enable = true;
  let reason = `a job takes ${fmtMs(expectedMs)} on average (p95 ${fmtMs(p95Ms)}) on ${workers} worker(s), ${jobsPerMinute.toFixed(1)} jobs a minute, with one core left for the API and gossip`;
  if (workers === 0) {
    enable = false;
    reason = "do not enable: this host has no core to spare (the API and gossip need one)";
  } else if (p95Ms > timeoutMs) {
    enable = false;
    reason = `do not enable: one job in twenty would take over ${fmtMs(p95Ms)}, beyond restAPI.pow.timeout (${fmtMs(timeoutMs)})`;
  }
  return {
    cores,
    score,
    messageSize,
    targetZeros,
    expectedHashes,
    perWorkerHashesPerSecond: perWorker,
    byWorkers: rates.map((r, i) => ({ workers: i + 1, hashesPerSecond: r })),
    sustainable: {
      workers,
      hashesPerSecond: rate,
      expectedMs: round(expectedMs),
      p95Ms: round(p95Ms),
      jobsPerMinute: round(jobsPerMinute, 2),
    },
    recommendation: { enable, reason, ...base },
  };
}

function round(n: number, digits = 0): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "forever";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
