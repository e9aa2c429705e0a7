import { createBitslicedScratch, powInputTrits, trailingZerosBatch } from "../../protocol/curl/bitsliced.ts";
import { createCurlScratch, curlP81Into } from "../../protocol/curl/curl.ts";
import { trailingZeros } from "../../protocol/curl/pow.ts";
import { loadCurlWasm } from "../../protocol/curl/wasm/index.ts";

const LANES = 32;

interface Pending {
  trits: Int8Array;
  length: number;
  resolve: (score: number) => void;
}

/**
 * Scores incoming messages' PoW in batches: requests made in the same tick share one bit-sliced
 * Curl-P-81 transform (32 lanes), which costs about what three scalar hashes do.
 */
export class PowScorer {
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly scratch = createBitslicedScratch();
  /** WebAssembly SIMD engine (256 lanes, faster than the scalar hash even for one message), if built. */
  private readonly wasm = loadCurlWasm();
  private readonly scalarScratch = createCurlScratch();
  private readonly scalarHash = new Int8Array(243);

  score(messageBytes: Uint8Array): Promise<number> {
    return new Promise((resolve) => {
      this.pending.push({ trits: powInputTrits(messageBytes), length: messageBytes.length, resolve });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    if (this.wasm) {
      for (let i = 0; i < all.length; i += this.wasm.lanes) {
        const batch = all.slice(i, i + this.wasm.lanes);
        const zeros = this.wasm.trailingZerosBatch(batch.map((p) => p.trits));
        for (let j = 0; j < batch.length; j++) batch[j]!.resolve(3 ** zeros[j]! / batch[j]!.length);
      }
      return;
    }
    // A lone message is cheaper on the scalar hash than on a 32-lane JS transform.
    if (all.length === 1) {
      const only = all[0]!;
      curlP81Into(only.trits, this.scalarHash, this.scalarScratch);
      only.resolve(3 ** trailingZeros(this.scalarHash) / only.length);
      return;
    }
    for (let i = 0; i < all.length; i += LANES) {
      const batch = all.slice(i, i + LANES);
      const zeros = trailingZerosBatch(
        batch.map((p) => p.trits),
        this.scratch,
      );
      for (let j = 0; j < batch.length; j++) batch[j]!.resolve(3 ** zeros[j]! / batch[j]!.length);
    }
  }
}
