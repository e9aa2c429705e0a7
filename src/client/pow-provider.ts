import { cpus } from "node:os";
import { PowPool } from "../node/pow/pool.ts";

/**
 * An iota.js 1.8.6 `IPowProvider` running stinger's PoW engine on worker threads:
 * `new SingleNodeClient(url, { powProvider: new StingerPowProvider() })` mines locally, many times
 * faster than iota.js's own LocalPowProvider. Call close() when done to stop the workers.
 */
export class StingerPowProvider {
  private pool: PowPool | null = null;

  constructor(private readonly opts: { workers?: number } = {}) {}

  /** Returns the nonce (decimal string) that gives `message` at least `targetScore`. */
  async pow(message: Uint8Array, targetScore: number): Promise<string> {
    this.pool ??= new PowPool(this.opts.workers ?? Math.max(1, cpus().length - 1), 16);
    const nonce = await this.pool.mine(message, targetScore);
    if (nonce === null) throw new Error("proof of work did not finish");
    return nonce.toString();
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }
}
