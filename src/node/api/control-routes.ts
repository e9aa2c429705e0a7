import type { FastifyInstance } from "fastify";
import { badRequest } from "./errors.ts";

/** What the node does for Hornet's control routes; the node decides what is allowed. */
export interface ControlActions {
  /** Prunes up to `index`; throws StingerError(400) when that is not allowed. Resolves with the index reached. */
  prune(index: number): Promise<number>;
  /** The index `depth` milestones below the confirmed one. */
  indexAtDepth(depth: number): number;
  /** Writes a local snapshot (full or delta, as the schedule would); resolves with its index, file and type. */
  createSnapshot(): Promise<{ index: number; filePath: string; type: "full" | "delta" }>;
}

function optionalIndex(body: unknown, key: string): number | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "object" || Array.isArray(body)) throw badRequest("body must be a JSON object");
  const v = (body as Record<string, unknown>)[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw badRequest(`${key} must be a non-negative integer`);
  return v;
}

/**
 * Hornet's protected admin routes (/api/v1/control/*; protected because every /api/v1/* route that
 * is not public needs a token).
 */
export function registerControlRoutes(app: FastifyInstance, actions: ControlActions): void {
  // Hornet's body: {"index": N} or {"depth": N} (milestones below the confirmed one).
  app.post("/api/v1/control/database/prune", async (req) => {
    const index = optionalIndex(req.body, "index");
    const depth = optionalIndex(req.body, "depth");
    if ((index === undefined) === (depth === undefined)) throw badRequest("give either index or depth");
    const target = index ?? actions.indexAtDepth(depth!);
    return { data: { index: await actions.prune(target) } };
  });

  app.post("/api/v1/control/snapshots/create", async () => ({ data: await actions.createSnapshot() }));
}
