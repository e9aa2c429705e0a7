// An in-process Tangle over a Store and Ledger, with Hornet's mainnet tip-selection values: for unit
// tests and benchmarks that drive ingest and confirmation without a node process.
import pino from "pino";
import { Ledger } from "../../src/node/ledger/ledger.ts";
import type { NodeMetrics } from "../../src/node/metrics.ts";
import type { Store } from "../../src/node/store/store.ts";
import { TangleEvents } from "../../src/node/tangle/events.ts";
import { Tangle, type TangleOptions } from "../../src/node/tangle/tangle.ts";

export function inProcessTangle(
  store: Store,
  opts: Partial<TangleOptions> & Pick<TangleOptions, "networkId">,
  extra: { ledger?: Ledger; events?: TangleEvents; metrics?: NodeMetrics } = {},
): { tangle: Tangle; ledger: Ledger; events: TangleEvents } {
  const ledger = extra.ledger ?? new Ledger(store.root);
  const events = extra.events ?? new TangleEvents();
  const tangle = new Tangle(
    store,
    ledger,
    {
      minPoWScore: 0,
      keyRanges: [],
      milestonePublicKeyCount: 1,
      maxDeltaYoungest: 8,
      maxDeltaOldest: 13,
      belowMaxDepth: 15,
      maxTips: 100,
      maxChildren: 30,
      maxReferencedTipAgeMs: 3000,
      requiresPeers: false,
      ...opts,
    },
    events,
    pino({ level: "silent" }),
    extra.metrics ?? null,
  );
  return { tangle, ledger, events };
}
