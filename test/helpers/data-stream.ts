import type { ClusterNode } from "./cluster.ts";

export interface DataStream {
  /** Stops the workers; resolves with how many messages the node accepted (201). */
  stop(): Promise<number>;
}

/**
 * Indexation messages posted to `node` as JSON without parents or nonce (the node selects tips and does
 * the PoW), `workers` at a time, until stopped: a steady stream of data messages for a test or bench.
 */
export function startDataStream(node: ClusterNode, workers: number, index = "stinger-data"): DataStream {
  let stopped = false;
  let seq = 0;
  let accepted = 0;
  const indexHex = Buffer.from(index).toString("hex");
  const work = async () => {
    while (!stopped) {
      const r = await fetch(`${node.url}/api/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          payload: { type: 2, index: indexHex, data: (seq++).toString(16).padStart(8, "0") },
        }),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      await r?.arrayBuffer();
      if (r?.status === 201) accepted++;
      // A node that is down or busy: back off a little instead of spinning.
      else await new Promise((res) => setTimeout(res, 100));
    }
  };
  const all = Array.from({ length: workers }, work);
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(all);
      return accepted;
    },
  };
}
