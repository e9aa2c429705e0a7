/** A process that dies is started again after this, doubling up to the maximum while it keeps dying. */
const FIRST_MS = 500;
const MAX_MS = 30_000;
/** One that lived this long was healthy: its next restart starts from the first delay again. */
const HEALTHY_AFTER_MS = 60_000;

/** The delays of a supervisor that restarts what it runs (gateway workers, HAProxy). */
export class RestartBackoff {
  private delayMs = FIRST_MS;

  /** The delay before starting again something that ran for `livedMs`. */
  next(livedMs: number): number {
    if (livedMs > HEALTHY_AFTER_MS) this.delayMs = FIRST_MS;
    const delay = this.delayMs;
    this.delayMs = Math.min(MAX_MS, delay * 2);
    return delay;
  }
}
