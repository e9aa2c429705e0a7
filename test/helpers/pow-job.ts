import { request } from "node:http";

// A 30 KB indexation payload: at minPoWScore 5000 one job takes minutes on one worker, so the node's
// PoW pool stays busy until the job is cancelled.
export const LONG_POW_SCORE = 5000;
export const LONG_POW_BODY = JSON.stringify({ payload: { type: 2, index: "aa", data: "ab".repeat(30_000) } });

/** Starts a remote-PoW submit on the node; `cancel()` hangs up, which cancels the node's job. */
export function startPowJob(nodeUrl: string, body = LONG_POW_BODY): { cancel(): void } {
  const u = new URL(`${nodeUrl}/api/v1/messages`);
  const req = request({
    host: u.hostname,
    port: u.port,
    path: u.pathname,
    method: "POST",
    headers: { "content-type": "application/json" },
  });
  req.on("error", () => {});
  req.end(body);
  return { cancel: () => req.destroy() };
}
