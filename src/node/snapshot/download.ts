import { createHash } from "node:crypto";
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { StingerError } from "../../util/errors.ts";

export interface DownloadOptions {
  /** refuse a file larger than this */
  maxBytes: number;
  /** hex SHA-256 the file must have, when known */
  sha256?: string;
  timeoutMs: number;
}

/**
 * Downloads a snapshot file to `path` (temporary file, fsync, rename: a cut download leaves nothing
 * behind), bounded in size and time, checked against its SHA-256 when one is given.
 */
export async function downloadSnapshot(url: string, path: string, opts: DownloadOptions): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.download`;
  const fail = (why: string) => new StingerError("SNAPSHOT_DOWNLOAD", `${url}: ${why}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), redirect: "error" }).catch(
    (err: Error) => {
      throw fail(err.message);
    },
  );
  if (!res.ok || !res.body) throw fail(`HTTP ${res.status}`);
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > opts.maxBytes) throw fail(`${declared} bytes is more than the ${opts.maxBytes} allowed`);
  const hash = createHash("sha256");
  const file = await open(tmp, "w", 0o644);
  let bytes = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) throw fail(`more than the ${opts.maxBytes} bytes allowed`);
      hash.update(chunk);
      await file.write(chunk);
    }
    await file.sync();
    await file.close();
    const digest = hash.digest("hex");
    if (opts.sha256 && digest !== opts.sha256.toLowerCase())
      throw fail(`SHA-256 ${digest} is not the expected ${opts.sha256.toLowerCase()}`);
    renameSync(tmp, path);
    return bytes;
  } catch (err) {
    await file.close().catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err instanceof StingerError ? err : fail((err as Error).message);
  }
}
