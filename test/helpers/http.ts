import { request } from "node:http";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A GET from a chosen loopback source address (127.0.0.0/8), so tests can act as different clients
 * of the gateway; fetch() cannot pick its source address.
 */
export function getFrom(
  url: string,
  path: string,
  opts: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, localAddress: opts.localAddress, headers: opts.headers },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
