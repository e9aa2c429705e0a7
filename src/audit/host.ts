import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, lstat, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** Output of a command, run for real or read back from a saved copy under a fixture root. */
export type CommandResult =
  | { ok: true; stdout: string; stderr: string; source: string }
  | { ok: false; reason: string; stderr?: string; exitCode?: number };

export interface FileStat {
  mode: number;
  uid: number;
  gid: number;
  isDirectory: boolean;
  isSymlink: boolean;
}

/**
 * Where saved command outputs live under a fixture root (`stinger audit --root DIR`): DIR/commands/<name>.
 * A missing file there means "the command is not available on that host".
 */
export const SAVED_COMMANDS_DIR = "commands";

/**
 * The host being audited: the live machine, or a folder standing in for its filesystem. Every collector
 * reads through this, so the same code runs on a real host and on fixtures.
 */
export interface Host {
  /** null on the live host. */
  readonly root: string | null;
  readonly isRoot: boolean;
  readText(path: string): Promise<{ ok: true; text: string } | { ok: false; reason: string }>;
  stat(path: string): Promise<FileStat | null>;
  list(dir: string): Promise<string[] | null>;
  exists(path: string): Promise<boolean>;
  /**
   * Runs `cmd args` on the live host; under a fixture root reads DIR/commands/<savedAs>. `okCodes` are
   * the exit codes that still mean success (fail2ban-client and sshd use non-zero for some answers).
   */
  run(cmd: string, args: string[], savedAs: string, opts?: { okCodes?: number[] }): Promise<CommandResult>;
  /** The path a reader should be shown for `path` (the fixture path under --root). */
  display(path: string): string;
}

const COMMAND_TIMEOUT_MS = 5_000;
const MAX_READ_BYTES = 8 * 1024 * 1024;

function errnoReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return "not found";
  if (e.code === "EACCES" || e.code === "EPERM") return "permission denied (run as root to see it)";
  if (e.code === "EISDIR") return "is a directory";
  return e.code ?? (e instanceof Error ? e.message : String(err));
}

abstract class FsHost implements Host {
  abstract readonly root: string | null;
  abstract readonly isRoot: boolean;
  protected abstract real(path: string): string;
  abstract run(
    cmd: string,
    args: string[],
    savedAs: string,
    opts?: { okCodes?: number[] },
  ): Promise<CommandResult>;

  display(path: string): string {
    return this.real(path);
  }

  async readText(path: string) {
    try {
      const buf = await readFile(this.real(path));
      if (buf.length > MAX_READ_BYTES)
        return { ok: false as const, reason: `larger than ${MAX_READ_BYTES} bytes` };
      return { ok: true as const, text: buf.toString("utf8") };
    } catch (err) {
      return { ok: false as const, reason: errnoReason(err) };
    }
  }

  async stat(path: string): Promise<FileStat | null> {
    try {
      const s = await lstat(this.real(path));
      return {
        mode: s.mode & 0o7777,
        uid: s.uid,
        gid: s.gid,
        isDirectory: s.isDirectory(),
        isSymlink: s.isSymbolicLink(),
      };
    } catch {
      return null;
    }
  }

  async list(dir: string): Promise<string[] | null> {
    try {
      return (await readdir(this.real(dir))).sort();
    } catch {
      return null;
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(this.real(path), constants.F_OK);
      return true;
    } catch {
      return false;
    }
  }
}

/** The machine this process runs on. */
export class LiveHost extends FsHost {
  readonly root = null;
  readonly isRoot = typeof process.getuid === "function" && process.getuid() === 0;

  protected real(path: string): string {
    return path;
  }

  run(
    cmd: string,
    args: string[],
    _savedAs: string,
    opts: { okCodes?: number[] } = {},
  ): Promise<CommandResult> {
    const okCodes = opts.okCodes ?? [0];
    const source = [cmd, ...args].join(" ");
    return new Promise((done) => {
      execFile(
        cmd,
        args,
        { timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_READ_BYTES, env: { ...process.env, LC_ALL: "C" } },
        (err, stdout, stderr) => {
          if (!err) return done({ ok: true, stdout, stderr, source });
          const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
          if (e.code === "ENOENT") return done({ ok: false, reason: `${cmd}: not installed` });
          if (e.killed)
            return done({ ok: false, reason: `${source}: timed out after ${COMMAND_TIMEOUT_MS} ms` });
          const exitCode = typeof e.code === "number" ? e.code : undefined;
          if (exitCode !== undefined && okCodes.includes(exitCode))
            return done({ ok: true, stdout, stderr, source });
          const firstLine = String(stderr).trim().split("\n")[0] ?? "";
          done({
            ok: false,
            reason: `${source}: exit ${exitCode ?? "?"}${firstLine ? ` (${firstLine})` : ""}`,
            stderr: String(stderr),
            exitCode,
          });
        },
      );
    });
  }
}

/** A folder that stands in for a host's filesystem, with saved command outputs under commands/. */
export class FixtureHost extends FsHost {
  readonly root: string;
  readonly isRoot: boolean;

  constructor(root: string, opts: { isRoot?: boolean } = {}) {
    super();
    this.root = resolve(root);
    // A fixture is a saved picture of the whole host, so by default everything in it was visible.
    this.isRoot = opts.isRoot ?? true;
  }

  protected real(path: string): string {
    return join(this.root, path);
  }

  async run(_cmd: string, _args: string[], savedAs: string): Promise<CommandResult> {
    const path = join(this.root, SAVED_COMMANDS_DIR, savedAs);
    try {
      const stdout = await readFile(path, "utf8");
      return { ok: true, stdout, stderr: "", source: `${path} (saved output)` };
    } catch (err) {
      return { ok: false, reason: `no saved output at ${path} (${errnoReason(err)})` };
    }
  }
}
