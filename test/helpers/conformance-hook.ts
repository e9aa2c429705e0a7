// Loaded into every test process by scripts/run-tests.mjs (`--import`) when STINGER_CONFORMANCE_LOG
// names a file: every response a test receives through `fetch` from a node's TIP-13 routes
// (/api/v1/...) is checked against the vendored OpenAPI document, and each result is appended to that
// file, one JSON line, for the runner's summary. Tests see the response unchanged.
import { appendFileSync } from "node:fs";

const LOG = process.env.STINGER_CONFORMANCE_LOG;
// Only in test processes: the stinger processes the tests start inherit the environment too.
const isTestProcess = process.argv.some((a) => a.endsWith(".test.ts"));

if (LOG && isTestProcess) {
  const { tip13 } = await import("./openapi.ts");
  const checker = tip13();
  const file = process.argv.find((a) => a.endsWith(".test.ts")) ?? "";
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
      const c = checker.checkResponse(method, url.pathname, res.status, body);
      appendFileSync(
        LOG,
        `${JSON.stringify({
          file: file.replace(/^.*\/test\//, "test/"),
          method,
          path: url.pathname,
          status: res.status,
          operation: c.operation,
          ok: c.ok,
          errors: c.errors.slice(0, 3),
          retryAfter: res.headers.get("retry-after") ?? undefined,
        })}\n`,
      );
    } catch {
      // A response the hook cannot read is the test's business, not the hook's.
    }
    return res;
  };
}
