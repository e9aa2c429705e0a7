// Every long-lived process a test starts goes through here, so it is stopped whatever happens: by its
// fixture's stop(), or, if a hook failed or an assertion threw before that, when the test process
// exits (the runner passes --test-force-exit, so it does exit). scripts/run-tests.mjs then kills and
// reports anything still in the file's process group, so a leak shows as a failure, never as a hang.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

const owned = new Set<ChildProcess>();

process.once("exit", () => {
  for (const p of owned) killQuietly(p, "SIGKILL");
});

function killQuietly(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    p.kill(signal);
  } catch {
    // already gone
  }
}

export function isRunning(p: ChildProcess): boolean {
  return p.exitCode === null && p.signalCode === null;
}

/** spawn(), with the child registered to be killed when this test process exits. */
export function spawnOwned(command: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const p = spawn(command, args, opts);
  owned.add(p);
  p.once("exit", () => owned.delete(p));
  // A spawn failure (ENOENT) must fail the test that asked, not crash the file.
  p.once("error", () => owned.delete(p));
  return p;
}

/** Resolves with the exit code once `p` has exited (null if it was killed by a signal). */
export function exited(p: ChildProcess): Promise<number | null> {
  if (!isRunning(p)) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once("exit", (code) => resolve(code)));
}

/**
 * Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it has not exited by then, so a
 * stuck child never holds up the suite. Resolves with the exit code (null when killed by a signal).
 */
export async function stopOwned(p: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000) {
  if (!isRunning(p)) return p.exitCode;
  const done = exited(p);
  killQuietly(p, signal);
  const timer = setTimeout(() => killQuietly(p, "SIGKILL"), graceMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}
