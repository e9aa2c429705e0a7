import { Worker } from "node:worker_threads";
import { powDigest, targetTrailingZeros } from "../../protocol/curl/pow.ts";
import { StingerError } from "../../util/errors.ts";
import type { NodeMetrics } from "../metrics.ts";
import type { WorkerJob, WorkerReply } from "./worker.ts";

export interface PowJobOptions {
  signal?: AbortSignal;
  /** Give up (resolve null) after this long; the caller may retry with fresh inputs. */
  deadlineMs?: number;
}

export interface PowResult {
  /** null when the deadline passed first */
  nonce: bigint | null;
  /** Curl-P-81 hashes computed by all workers for this job */
  hashes: number;
  ms: number;
}

interface Pending {
  bytes: Uint8Array;
  targetScore: number;
  opts: PowJobOptions;
  resolve: (result: PowResult) => void;
  reject: (err: unknown) => void;
}

export interface PowLoad {
  workers: number;
  busyWorkers: number;
  queueDepth: number;
  maxQueue: number;
}

/**
 * Compiled builds run worker.js directly. From TypeScript sources (tests, benchmarks under tsx) the
 * worker must register tsx itself: loader hooks given to the main thread do not reach workers.
 */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url));
  const script = new URL("./worker.ts", import.meta.url).href;
  return new Worker(
    `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`,
    { eval: true },
  );
}

// Each worker searches its own 2^56-nonce slice, so workers never test the same nonce.
const SLICE = 1n << 56n;

/**
 * Remote PoW on worker threads: one job at a time uses every worker; further jobs wait in a bounded
 * FIFO queue and are refused with 503 when it is full, so PoW can never pile up without limit.
 */
export class PowPool {
  private readonly workers: Worker[] = [];
  private readonly queue: Pending[] = [];
  private running = false;
  private closing = false;
  private jobCounter = 0;

  constructor(
    readonly workerCount: number,
    readonly maxQueue: number,
    private readonly metrics: NodeMetrics | null = null,
  ) {
    for (let i = 0; i < workerCount; i++) this.workers.push(this.startWorker(i));
  }

  /** A worker that dies (crash, OOM, terminate) is replaced at once; a job it was on fails cleanly. */
  private startWorker(index: number): Worker {
    const w = spawnWorker();
    w.unref();
    w.on("error", () => {});
    w.once("exit", () => {
      if (this.closing || this.workers[index] !== w) return;
      this.metrics?.powWorkerRestarts.inc();
      this.workers[index] = this.startWorker(index);
    });
    return w;
  }

  load(): PowLoad {
    return {
      workers: this.workerCount,
      busyWorkers: this.running ? this.workerCount : 0,
      queueDepth: this.queue.length,
      maxQueue: this.maxQueue,
    };
  }

  /**
   * Finds a nonce for `bytes` (a serialized message whose last 8 bytes are the nonce) reaching
   * `targetScore`. Resolves null when the deadline passes first; rejects when aborted or full.
   */
  async mine(bytes: Uint8Array, targetScore: number, opts: PowJobOptions = {}): Promise<bigint | null> {
    return (await this.mineDetailed(bytes, targetScore, opts)).nonce;
  }

  /** As mine(), with the work done: hashes computed and elapsed milliseconds. */
  mineDetailed(bytes: Uint8Array, targetScore: number, opts: PowJobOptions = {}): Promise<PowResult> {
    if (this.queue.length >= this.maxQueue && this.running) {
      this.metrics?.powJobs.inc({ outcome: "refused" });
      return Promise.reject(
        new StingerError("POW_QUEUE_FULL", "proof of work queue is full", {
          status: 503,
          retryAfterSeconds: 5,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, targetScore, opts, resolve, reject });
      this.metrics?.powQueueDepth.set(this.queue.length);
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.queue.splice(0)) p.reject(new StingerError("POW_ABORTED", "node is shutting down"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private next(): void {
    if (this.running) return;
    const job = this.queue.shift();
    this.metrics?.powQueueDepth.set(this.queue.length);
    if (!job) return;
    if (job.opts.signal?.aborted) {
      job.reject(new StingerError("POW_ABORTED", "proof of work aborted"));
      this.metrics?.powJobs.inc({ outcome: "aborted" });
      this.next();
      return;
    }
    this.running = true;
    this.metrics?.powBusyWorkers.set(this.workerCount);
    this.run(job).finally(() => {
      this.running = false;
      this.metrics?.powBusyWorkers.set(0);
      this.next();
    });
  }

  private async run(job: Pending): Promise<void> {
    const started = performance.now();
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const halt = () => Atomics.store(stop, 0, 1);
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      halt();
    };
    job.opts.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = job.opts.deadlineMs === undefined ? undefined : setTimeout(halt, job.opts.deadlineMs);
    const digest = powDigest(job.bytes);
    const targetZeros = targetTrailingZeros(job.bytes.length, job.targetScore);
    const jobId = ++this.jobCounter;
    const replies = await Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<WorkerReply>((resolve, reject) => {
            const fail = (err: unknown) => {
              halt();
              w.off("message", onMessage);
              reject(err instanceof Error ? err : new Error(`worker exited with code ${String(err)}`));
            };
            const onMessage = (reply: WorkerReply) => {
              if (reply.id !== jobId) return;
              w.off("message", onMessage);
              w.off("error", fail);
              w.off("exit", fail);
              resolve(reply);
            };
            w.once("error", fail);
            w.once("exit", fail);
            w.on("message", onMessage);
            w.postMessage({
              id: jobId,
              digest,
              targetZeros,
              start: BigInt(i) * SLICE,
              stop,
            } satisfies WorkerJob);
          }),
      ),
    ).catch((err: unknown) => err);
    clearTimeout(timer);
    job.opts.signal?.removeEventListener("abort", onAbort);
    if (!Array.isArray(replies)) {
      this.metrics?.powJobs.inc({ outcome: "error" });
      job.reject(
        new StingerError("POW_FAILED", "proof of work worker failed", { status: 503, cause: replies }),
      );
      return;
    }
    const hashes = replies.reduce((n, r) => n + r.hashes, 0);
    const ms = performance.now() - started;
    this.metrics?.powHashes.inc(hashes);
    const found = replies.find((r) => r.nonce !== null)?.nonce ?? null;
    if (found !== null) {
      this.metrics?.powJobs.inc({ outcome: "solved" });
      this.metrics?.powSeconds.observe(ms / 1000);
      job.resolve({ nonce: found, hashes, ms });
    } else if (aborted) {
      this.metrics?.powJobs.inc({ outcome: "aborted" });
      job.reject(new StingerError("POW_ABORTED", "proof of work aborted"));
    } else {
      this.metrics?.powJobs.inc({ outcome: "deadline" });
      job.resolve({ nonce: null, hashes, ms });
    }
  }
}
