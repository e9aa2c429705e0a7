import type { Tangle } from "./tangle.ts";

export interface TangleRates {
  messagesPerSecond: number;
  referencedMessagesPerSecond: number;
  /** referenced / new messages over the window, in percent (Hornet's referencedRate) */
  referencedRate: number;
}

const WINDOW_SAMPLES = 10;

/** Messages and referenced messages per second over the last ten seconds, sampled once a second. */
export class RateMeter {
  private readonly samples: { stored: number; referenced: number; at: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly tangle: Tangle) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  rates(): TangleRates {
    const first = this.samples[0]!;
    const last = { stored: this.tangle.storedTotal, referenced: this.tangle.referencedTotal, at: Date.now() };
    const seconds = (last.at - first.at) / 1000;
    if (seconds <= 0) return { messagesPerSecond: 0, referencedMessagesPerSecond: 0, referencedRate: 0 };
    const stored = last.stored - first.stored;
    const referenced = last.referenced - first.referenced;
    const round = (n: number) => Math.round(n * 100) / 100;
    return {
      messagesPerSecond: round(stored / seconds),
      referencedMessagesPerSecond: round(referenced / seconds),
      referencedRate: stored === 0 ? 0 : round(Math.min(100, (referenced / stored) * 100)),
    };
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    this.samples.push({
      stored: this.tangle.storedTotal,
      referenced: this.tangle.referencedTotal,
      at: Date.now(),
    });
    if (this.samples.length > WINDOW_SAMPLES) this.samples.shift();
  }
}
