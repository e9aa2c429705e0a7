import type { IncomingHttpHeaders } from "node:http";

// Hop-by-hop headers are never forwarded (RFC 9110 §7.6.1), nor client-supplied forwarding headers.
export const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
  "forwarded",
]);

/**
 * The headers to send a node: the client's, less hop-by-hop and client-supplied forwarding headers,
 * plus the client IP this gateway decided on (never passed through).
 */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  ip: string,
  tls: boolean,
  keep: (name: string) => boolean = () => false,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(incoming))
    if (v !== undefined && (!HOP_BY_HOP.has(k) || keep(k))) headers[k] = v;
  headers["x-forwarded-for"] = ip;
  headers["x-real-ip"] = ip;
  headers["x-forwarded-proto"] = tls ? "https" : "http";
  return headers;
}
