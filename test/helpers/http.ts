import { request as requestHttp } from "node:http";
import { request as requestHttps } from "node:https";
import type { ConformanceRecorder } from "./conformance-hook.ts";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A GET from a chosen loopback source address (127.0.0.0/8), so tests can act as different clients
 * of the gateway; fetch() cannot pick its source address. HTTPS URLs trust `ca`; `close` makes a new
 * connection for this request alone.
 */
export function getFrom(
  url: string,
  path: string,
  opts: { localAddress?: string; headers?: Record<string, string>; ca?: Buffer; close?: boolean } = {},
): Promise<Reply> {
  const u = new URL(url);
  const request = u.protocol === "https:" ? requestHttps : requestHttp;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        localAddress: opts.localAddress,
        headers: opts.close ? { ...opts.headers, connection: "close" } : opts.headers,
        ca: opts.ca,
        ...(opts.close ? { agent: false } : {}),
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          // Checked against TIP-13 like fetch's responses, when the test runner's hook is loaded.
          (globalThis as { stingerConformance?: ConformanceRecorder }).stingerConformance?.(
            "GET",
            new URL(path, url).href,
            res.statusCode!,
            { contentType: res.headers["content-type"], retryAfter: res.headers["retry-after"] },
            body,
          );
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}
