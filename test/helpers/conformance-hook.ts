// Loaded into every test process by scripts/run-tests.mjs (`--import`) when STINGER_CONFORMANCE_LOG
// names a file: every response a test receives through `fetch` or test/helpers/http.ts's `getFrom`
// from TIP-13 routes (/api/v1/..., of a node or through the gateway) is checked against the vendored
// OpenAPI document, and each result is appended to that file, one JSON line, for the runner's summary.
// Tests see the response unchanged.
import { appendFileSync } from "node:fs";

const LOG = process.env.STINGER_CONFORMANCE_LOG;
// Only in test processes: the stinger processes the tests start inherit the environment too.
const isTestProcess = process.argv.some((a) => a.endsWith(".test.ts"));

/**
 * What the hook puts on globalThis for clients other than fetch (test/helpers/http.ts getFrom): the
 * same check for a response they received whole.
 */
export type ConformanceRecorder = (
  method: string,
  url: string,
  status: number,
  headers: { contentType?: string; retryAfter?: string },
  body: string | Uint8Array | undefined,
) => void;

if (LOG && isTestProcess) {
  const { tip13 } = await import("./openapi.ts");
  const checker = tip13();
  const file = process.argv.find((a) => a.endsWith(".test.ts")) ?? "";
  const record = (
    method: string,
    url: URL,
    status: number,
    retryAfter: string | undefined,
    body: unknown,
  ): void => {
    const c = checker.checkResponse(method, url.pathname, status, body);
    appendFileSync(
      LOG,
      `${JSON.stringify({
        file: file.replace(/^.*\/test\//, "test/"),
        method,
        path: url.pathname,
        status,
        operation: c.operation,
        ok: c.ok,
        errors: c.errors.slice(0, 3),
        retryAfter,
      })}\n`,
    );
  };
  // Checked when the process exits, not as they come: a first check of an operation compiles its
  // schema (tens of ms), which would change the timing of the requests that a test sends one after
  // the other (the HAProxy peers test is sensitive to it).
  const pending: Parameters<ConformanceRecorder>[] = [];
  const recorder: ConformanceRecorder = (...args) => {
    if (args[1].includes("/api/v1/")) pending.push(args);
  };
  const checkOne: ConformanceRecorder = (method, href, status, headers, raw) => {
    try {
      const url = new URL(href);
      if (!url.pathname.startsWith("/api/v1/")) return;
      const m = method.toUpperCase();
      let body: unknown;
      if (/json/.test(headers.contentType ?? "")) {
        const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw ?? new Uint8Array());
        try {
          body = JSON.parse(text);
        } catch {
          body = "(unparsable JSON)";
        }
      } else if (m !== "HEAD" && raw !== undefined && raw.length > 0) {
        body = typeof raw === "string" ? new TextEncoder().encode(raw) : raw;
      }
      record(m, url, status, headers.retryAfter, body);
    } catch {
      // A response the hook cannot read is the test's business, not the hook's.
    }
  };
  process.on("exit", () => {
    for (const args of pending) checkOne(...args);
  });
  (globalThis as { stingerConformance?: ConformanceRecorder }).stingerConformance = recorder;
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await original(input, init);
    try {
      const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
      if (!url.pathname.startsWith("/api/v1/")) return res;
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      const type = res.headers.get("content-type") ?? "";
      let body: unknown;
      if (/json/.test(type))
        body = await res
          .clone()
          .json()
          .catch(() => "(unparsable JSON)");
      else if (method !== "HEAD") {
        const bytes = new Uint8Array(await res.clone().arrayBuffer());
        // No body at all (a 204) is what the document means by a response without content.
        body = bytes.length === 0 ? undefined : bytes;
      }
      record(method, url, res.status, res.headers.get("retry-after") ?? undefined, body);
    } catch {
      // A response the hook cannot read is the test's business, not the hook's.
    }
    return res;
  };
}
