// Where stinger deliberately answers outside TIP-13's OpenAPI document, each with its reason. The
// test runner (scripts/run-tests.mjs) checks every REST response the tests received against the
// document (test/helpers/conformance-hook.ts) and fails the run on any deviation not listed here.

/** @typedef {{ method: string, path: string, status: number, operation?: string, ok: boolean, errors: string[], retryAfter?: string }} Checked */

/** @type {{ id: string, why: string, matches: (c: Checked) => boolean }[]} */
export const DEVIATIONS = [
  {
    id: "413",
    why: "a body over restAPI.limits.bodyLength (or the gateway's limits.bodyLength) is refused with 413 and the JSON error shape; the document has no 413",
    matches: (c) => c.status === 413,
  },
  {
    id: "429",
    why: "rate limits, a client's remote-PoW slots and the PoW queue answer 429 with Retry-After; the document has no 429",
    matches: (c) => c.status === 429,
  },
  {
    id: "503-retry-after",
    why: "a node shutting down, not synced for the request or with PoW busy answers 503 with Retry-After where the document lists no 503",
    matches: (c) => c.status === 503 && c.errors.some((e) => e.includes("is not documented")),
  },
  {
    id: "gateway-502",
    why: "the gateway answers 502 in the JSON error shape when no node could answer a request (a node died under it and the retry on another failed too); the document has no 502",
    matches: (c) => c.status === 502 && c.errors.some((e) => e.includes("is not documented")),
  },
  {
    id: "401-403",
    why: "protected routes (Hornet's restAPI.protectedRoutes / JWT) answer 401 without a valid token and 403 for routes not exposed; the document describes neither on most operations",
    matches: (c) =>
      (c.status === 401 || c.status === 403) && c.errors.some((e) => e.includes("is not documented")),
  },
  {
    id: "unknown-route-404",
    why: "a path that is no route answers 404 in the JSON error shape; such paths are not in the document",
    matches: (c) => c.status === 404 && c.errors.includes("undocumented operation"),
  },
  {
    id: "hornet-routes",
    why: "Hornet's own routes outside TIP-13 (/api/v1/control/*) answer as Hornet 1.x does",
    matches: (c) => c.errors.includes("undocumented operation") && /^\/api\/v1\/control(\/|$)/.test(c.path),
  },
];

/** The rule a failed check falls under, or undefined. */
export function deviationOf(c) {
  return DEVIATIONS.find((d) => d.matches(c));
}
