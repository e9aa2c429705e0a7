// One base error for everything that crosses a module boundary: a stable code to branch on,
// an HTTP status where one applies, and the original cause.
export class StingerError extends Error {
  readonly code: string;
  readonly status: number;
  /** For 429/503: when the client may try again (sent as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: string,
    message: string,
    opts: { status?: number; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "StingerError";
    this.code = code;
    this.status = opts.status ?? 500;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
