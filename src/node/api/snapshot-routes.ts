import { open } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { notFound } from "./errors.ts";

/** The node's local snapshot files, which a new node may download (snapshots.downloadURLs). */
export interface SnapshotFiles {
  full: string;
  delta: string;
}

/**
 * Serves the latest local snapshots: `GET /api/plugins/snapshots/full` and `/delta`, so a node joining
 * the set (behind the gateway or not) can start from this one's instead of replaying the tangle. The
 * file is opened once per request: a snapshot written meanwhile replaces the name, not what is sent.
 */
export function registerSnapshotRoutes(app: FastifyInstance, files: SnapshotFiles): void {
  for (const kind of ["full", "delta"] as const) {
    app.get(`/api/plugins/snapshots/${kind}`, async (_req, reply) => {
      const fh = await open(files[kind], "r").catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") throw notFound(`this node has no ${kind} snapshot`);
        throw err;
      });
      const { size, mtime } = await fh.stat();
      reply
        .header("content-type", "application/octet-stream")
        .header("content-length", String(size))
        .header("last-modified", mtime.toUTCString())
        .header("content-disposition", `attachment; filename="${kind}_snapshot.bin"`);
      return reply.send(fh.createReadStream());
    });
  }
}
