// Property-based HTTP requests for fuzzing a node or the gateway (test/e2e/http-fuzz.test.ts and
// `npm run bench -- fuzz`): real routes with hostile parameters, query strings, headers, bodies and
// content types, written as raw bytes over a socket so malformed, truncated and pipelined requests
// reach the server as they are.
import { connect as tcpConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import fc from "fast-check";

/** Hornet's routes with `{}` where a parameter goes (TIP-13 and stinger's own). */
const ROUTES = [
  "/health",
  "/api/routes",
  "/api/v1/info",
  "/api/v1/tips",
  "/api/v1/messages",
  "/api/v1/messages/{}",
  "/api/v1/messages/{}/metadata",
  "/api/v1/messages/{}/raw",
  "/api/v1/messages/{}/children",
  "/api/v1/transactions/{}/included-message",
  "/api/v1/milestones/{}",
  "/api/v1/milestones/{}/utxo-changes",
  "/api/v1/outputs/{}",
  "/api/v1/addresses/{}",
  "/api/v1/addresses/{}/outputs",
  "/api/v1/addresses/ed25519/{}",
  "/api/v1/addresses/ed25519/{}/outputs",
  "/api/v1/treasury",
  "/api/v1/receipts",
  "/api/v1/receipts/{}",
  "/api/v1/peers",
  "/api/v1/peers/{}",
  "/api/v1/control/database/prune",
  "/api/v1/control/snapshots/create",
  "/api/plugins/faucet/info",
  "/api/plugins/faucet/enqueue",
  "/api/plugins/snapshots/full",
  "/api/plugins/stinger/load",
  "/api/plugins/stinger/ledger/{}",
  "/mqtt",
  "/{}",
];

const hex = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: min, maxLength: max });

/** What goes into a `{}`: well-formed IDs and indexes, near misses, and junk. */
const param = fc.oneof(
  hex(64, 64),
  hex(68, 68),
  hex(0, 130),
  fc.integer({ min: -5, max: 2 ** 33 }).map(String),
  fc.constantFrom(
    "atoi1qr637qgzm29rejkad7rzjprh8q5t9fnumafy4ptf2n5qmzs5ln7kxgdsxsl",
    "iota1",
    "0x",
    "..",
    "%00",
    "%2e%2e%2f",
    "null",
    "",
  ),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => encodeURIComponent(s)),
  fc.nat({ max: 9000 }).map((n) => "a".repeat(n)),
);

const path = fc
  .tuple(fc.constantFrom(...ROUTES), param, fc.option(fc.string({ maxLength: 60 }), { nil: undefined }))
  .map(([route, p, query]) => {
    const base = route.replace("{}", p);
    return query === undefined ? base : `${base}?${query.replace(/[\s#]/g, "&")}`;
  });

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("GET", "POST") },
  { weight: 2, arbitrary: fc.constantFrom("HEAD", "PUT", "DELETE", "OPTIONS", "PATCH") },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ-"),
      minLength: 1,
      maxLength: 12,
    }),
  },
);

const headerName = fc.oneof(
  fc.constantFrom(
    "content-type",
    "authorization",
    "x-forwarded-for",
    "accept",
    "x-api-key",
    "content-encoding",
    "cookie",
    "origin",
  ),
  fc.string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-_0123456789"),
    minLength: 1,
    maxLength: 30,
  }),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/octet-stream",
    "text/plain",
    "multipart/form-data; boundary=x",
    "Bearer x",
    "Bearer ",
    "gzip",
    "1.2.3.4, ::1, junk",
  ),
  fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, " ")),
  fc.nat({ max: 10_000 }).map((n) => "v".repeat(n)),
  fc.string({ unit: "binary", maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, "")),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    '{"payload":{"type":2,"index":"6869","data":""}}',
    '{"address":"atoi1"}',
    '{"index":1}',
    '{"depth":"x"}',
    "{",
    "[]",
    "null",
  ),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString("latin1")),
);

export interface FuzzRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: string | undefined;
  /** how the bytes go out: whole, cut short (then the socket closes), or twice in one write */
  shape: "whole" | "truncated" | "pipelined" | "bad-length";
}

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method,
  path,
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
  body,
  shape: fc.constantFrom("whole", "whole", "whole", "truncated", "pipelined", "bad-length"),
});

export function requestBytes(r: FuzzRequest, host: string): Buffer {
  const bodyBytes = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, "latin1");
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `host: ${host}`];
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  const declared = r.shape === "bad-length" ? bodyBytes.length + 7 : bodyBytes.length;
  if (r.body !== undefined || r.shape === "bad-length") lines.push(`content-length: ${declared}`);
  const one = Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), bodyBytes]);
  if (r.shape === "pipelined") return Buffer.concat([one, one]);
  if (r.shape === "truncated") return one.subarray(0, Math.max(1, Math.floor(one.length / 2)));
  return one;
}

export interface FuzzAnswer {
  /** status codes of the responses read (several when pipelined) */
  statuses: number[];
  /** the server closed or reset the connection without any answer */
  noAnswer: boolean;
  /** the first response's head and the start of its body, for a failure report */
  sample: string;
}

/** How many whole responses `text` holds (content-length or chunked bodies; none after HEAD). */
export function completeResponses(text: string, head: boolean): number {
  let n = 0;
  let at = 0;
  for (;;) {
    const end = text.indexOf("\r\n\r\n", at);
    if (end === -1 || !/^HTTP\/1\.[01] \d{3}/.test(text.slice(at, at + 12))) return n;
    const headers = text.slice(at, end).toLowerCase();
    const status = Number(headers.slice(9, 12));
    let bodyEnd = end + 4;
    const length = /\r\ncontent-length: *(\d+)/.exec(headers);
    if (head || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      // no body
    } else if (/\r\ntransfer-encoding: *chunked/.test(headers)) {
      const last = text.indexOf("\r\n0\r\n\r\n", end);
      if (last === -1) return n;
      bodyEnd = last + 7;
    } else if (length) {
      bodyEnd = end + 4 + Number(length[1]);
      if (text.length < bodyEnd) return n;
    } else if (/\r\nconnection: *close/.test(headers)) {
      return n; // the body runs to the close
    }
    n++;
    at = bodyEnd;
  }
}

/**
 * Sends the bytes on a fresh connection (TLS when `ca` is given) and collects what comes back until
 * `expect` whole responses have arrived, the server closes, or `idleMs` pass without data.
 */
export function send(
  target: { host: string; port: number; ca?: Buffer },
  bytes: Buffer,
  opts: { expect: number; head: boolean; idleMs?: number; closeAfterWrite?: boolean },
): Promise<FuzzAnswer> {
  return new Promise((resolve) => {
    const socket = target.ca
      ? tlsConnect({ host: target.host, port: target.port, ca: target.ca, servername: "localhost" })
      : tcpConnect({ host: target.host, port: target.port });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const text = () => Buffer.concat(chunks).toString("latin1");
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = text();
      const statuses = [...all.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
      resolve({ statuses, noAnswer: statuses.length === 0, sample: all.slice(0, 400) });
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, opts.idleMs ?? 1000);
    };
    socket.on(target.ca ? "secureConnect" : "connect", () => {
      socket.write(bytes);
      if (opts.closeAfterWrite) socket.end();
      idle();
    });
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (completeResponses(text(), opts.head) >= opts.expect) finish();
      else idle();
    });
    socket.on("error", finish);
    socket.on("close", finish);
  });
}
