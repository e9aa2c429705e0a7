import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";

/** Hornet's coordinator.state format; the time is unix nanoseconds. */
export interface CoordinatorState {
  latestMilestoneIndex: number;
  latestMilestoneMessageID: string;
  latestMilestoneTime: number;
}

export function readCoordinatorState(path: string): CoordinatorState | null {
  if (!existsSync(path)) return null;
  const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<CoordinatorState>;
  if (
    !Number.isInteger(raw.latestMilestoneIndex) ||
    typeof raw.latestMilestoneMessageID !== "string" ||
    !/^[0-9a-f]{64}$/.test(raw.latestMilestoneMessageID)
  ) {
    throw new Error(`${path}: not a coordinator state file`);
  }
  return raw as CoordinatorState;
}

/**
 * Replaces the state file atomically (write temp, fsync, rename), keeping the previous one as
 * "<path>_old" like Hornet, so a crash at any point leaves a complete file behind.
 */
export function writeCoordinatorState(path: string, state: CoordinatorState): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(path)) copyFileSync(path, `${path}_old`);
  renameSync(tmp, path);
}
