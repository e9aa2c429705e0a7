import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { waitFor } from "./devnet.ts";
import { isRunning, spawnOwned, stopOwned } from "./owned.ts";

export interface RunningRedis {
  port: number;
  url: string;
  proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.end();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** Debian's redis-server on 127.0.0.1:port, in memory only (no RDB, no AOF), listening when this resolves. */
export async function startRedis(port: number): Promise<RunningRedis> {
  const proc = spawnOwned(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  // Its own listener, not something else on the port: the process must still be running.
  try {
    await waitFor(async () => isRunning(proc) && (await accepting(port)), 10_000, "redis-server listening");
  } catch (err) {
    await stopOwned(proc, "SIGKILL");
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    stop: (signal = "SIGTERM") => stopOwned(proc, signal),
  };
}
