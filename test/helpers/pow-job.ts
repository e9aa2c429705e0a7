import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

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

/**
 * DIR/config.json for a standalone node at LONG_POW_SCORE: gossip and metrics off, one milestone key;
 * `extra` adds or replaces sections (restAPI, coordinator, ...). Returns the file's path.
 */
export function writeLongPowNodeConfig(
  dir: string,
  publicKey: string,
  extra: Record<string, unknown> = {},
): string {
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      protocol: {
        networkID: "private_tangle1",
        minPoWScore: LONG_POW_SCORE,
        milestonePublicKeyCount: 1,
        publicKeyRanges: [{ key: publicKey }],
      },
      prometheus: { enabled: false },
      p2p: { enabled: false },
      ...extra,
    }),
  );
  return file;
}
