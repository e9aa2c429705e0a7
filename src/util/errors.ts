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

/**
 * Text from elsewhere (a parser's message quoting a file, a peer's string) fit for a one-line error:
 * control characters escaped, at most `max` characters.
 */
export function oneLine(text: string, max = 200): string {
  let flat = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    flat += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : ch;
    if (flat.length > max) return `${flat.slice(0, max)}…`;
  }
  return flat;
}
