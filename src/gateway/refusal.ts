import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";

/** A request the gateway answers itself: status, the reason counted and logged (fail2ban), headers. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The node's error shape: `{"error":{"code":"<status>","message":"…"}}`. */
export function errorJson(status: number, message: string): string {
  return JSON.stringify({ error: { code: String(status), message } });
}

/** Answers a refused request (with its length, so keep-alive clients are not left guessing). */
export function sendRefusal(res: ServerResponse, r: Refusal): void {
  const text = errorJson(r.status, r.message);
  res.writeHead(r.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...r.headers,
  });
  res.end(text);
}

/** Ends a raw socket (parser errors, refused upgrades) with a whole HTTP response in the same shape. */
export function endSocketWith(socket: Duplex, r: Refusal): void {
  const body = errorJson(r.status, r.message);
  const extra = Object.entries(r.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? "Error"}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
  );
}
