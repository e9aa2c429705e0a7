import { request as requestHttp } from "node:http";
import { request as requestHttps } from "node:https";
import type { ConformanceRecorder } from "./conformance-hook.ts";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestFromOptions {
  /** source address (127.0.0.0/8): tests act as different clients of the gateway this way */
  localAddress?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** HTTPS URLs trust this CA */
  ca?: Buffer;
  /** a new connection for this request alone */
  close?: boolean;
  /** the whole exchange must end within this; then the request is aborted (rejects) */
  timeoutMs?: number;
}

/**
 * One request from a chosen loopback source address; fetch() cannot pick its source address. Rejects
 * on a connection error (refused, reset, timed out), resolves with whatever status came back.
 */
export function requestFrom(url: string, path: string, opts: RequestFromOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? requestHttps : requestHttp;
  const method = opts.method ?? "GET";
  const body = typeof opts.body === "string" ? Buffer.from(opts.body) : opts.body;
  const headers: Record<string, string> = { ...opts.headers };
  if (body) headers["content-length"] = String(body.length);
  if (opts.close) headers.connection = "close";
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method,
        localAddress: opts.localAddress,
        headers,
        ca: opts.ca,
        signal: opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined,
        ...(opts.close ? { agent: false } : {}),
      },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("error", reject);
        res.on("end", () => {
          // Checked against TIP-13 like fetch's responses, when the test runner's hook is loaded.
          (globalThis as { stingerConformance?: ConformanceRecorder }).stingerConformance?.(
            method,
            new URL(path, url).href,
            res.statusCode!,
            { contentType: res.headers["content-type"], retryAfter: res.headers["retry-after"] as string },
            text,
          );
          resolve({ status: res.statusCode!, headers: res.headers, body: text });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A GET from a chosen loopback source address (requestFrom). */
export function getFrom(
  url: string,
  path: string,
  opts: Omit<RequestFromOptions, "method" | "body"> = {},
): Promise<Reply> {
  return requestFrom(url, path, opts);
}
