import { createBitslicedScratch, powInputTrits, trailingZerosBatch } from "../../protocol/curl/bitsliced.ts";

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
