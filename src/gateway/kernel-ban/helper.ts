// The privileged half of the kernel ban: a small root process that owns nothing but `nft add element`.
// The gateway stays unprivileged and asks it over a Unix socket; the helper checks every line, refuses
// exempt addresses itself (a second line of defence), and batches what arrives together into one nft run.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { BlockList, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { createIpSet } from "../client-ip.ts";
import { readLines } from "./lines.ts";
import { addElementLine, type BanTarget, MAX_BAN_SECONDS, parseBanTarget } from "./nft-set.ts";

export interface BanHelperOptions {
  socketPath: string;
  /** never banned whatever the gateway asks: loopback always, plus the operator's list */
  never: string[];
  /** gid allowed to connect (socket mode 0660); undefined = root only (0600) */
  group?: number;
  nft?: string;
  /** bans that arrive within this many ms go into one nft run */
  batchMs?: number;
}

const LOOPBACK = ["127.0.0.0/8", "::1/128"];
const MAX_LINE = 256;

/** The socket path cannot be used (the operator named something else): a usage error. */
export class SocketPathError extends Error {}

interface Pending {
  target: BanTarget;
  seconds: number;
  answer: (line: string) => void;
}

export class BanHelper {
  private server: Server | undefined;
  private readonly never;
  /** first addresses of the IPv6 entries of `never`, to keep a prefix ban from covering one of them */
  private readonly neverV6: string[];
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly opts: BanHelperOptions,
    private readonly log: Logger,
  ) {
    this.never = createIpSet([...LOOPBACK, ...opts.never], "--never");
    this.neverV6 = [...LOOPBACK, ...opts.never].map((e) => e.split("/")[0]!).filter((a) => a.includes(":"));
  }

  /** Whether banning `target` would drop packets of an address that must never be banned. */
  private isExempt(target: BanTarget): boolean {
    if (this.never.has(target.address)) return true;
    if (target.family === 4 || !target.text.includes("/")) return false;
    const prefix = new BlockList();
    prefix.addSubnet(target.address, Number(target.text.split("/")[1]), "ipv6");
    return this.neverV6.some((a) => prefix.check(a, "ipv6"));
  }

  async start(): Promise<void> {
    const path = this.opts.socketPath;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    // A socket left by a killed helper would make listen() fail with EADDRINUSE; anything else at that
    // path is the operator's and stays.
    const existing = lstatSync(path, { throwIfNoEntry: false });
    if (existing?.isSocket()) rmSync(path);
    else if (existing) throw new SocketPathError(`${path} exists and is not a socket`);
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, resolve);
    });
    if (this.opts.group !== undefined) chownSync(path, 0, this.opts.group);
    chmodSync(path, this.opts.group !== undefined ? 0o660 : 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    const answer = (line: string) => {
      if (!socket.destroyed) socket.write(`${line}\n`);
    };
    readLines(socket, (line) => this.line(line.trim(), answer), {
      maxLength: MAX_LINE,
      onOverflow: () => {
        answer("error line too long");
        socket.destroy();
      },
    });
  }

  /** `ban <target> <seconds>` → queued; anything else is answered with an error at once. */
  private line(text: string, answer: (line: string) => void): void {
    if (text === "") return;
    const parts = text.split(" ");
    const target = parts.length === 3 && parts[0] === "ban" ? parseBanTarget(parts[1]!) : null;
    const seconds = Number(parts[2]);
    if (!target || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_BAN_SECONDS) {
      answer(`error expected "ban <IPv4 | IPv6/prefix> <1..${MAX_BAN_SECONDS}>"`);
      return;
    }
    if (this.isExempt(target)) {
      this.log.warn({ target: target.text }, "ban refused: address is exempt");
      answer(`error ${target.text} is exempt`);
      return;
    }
    this.pending.push({ target, seconds, answer });
    this.timer ??= setTimeout(() => void this.flush(), this.opts.batchMs ?? 10);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const lines = batch.map((p) => addElementLine(p.target, p.seconds));
    const together = await this.nft(lines.join("\n"));
    // One bad element fails the whole nft transaction: then apply them one by one.
    const results: (string | null)[] = [];
    for (const line of lines) results.push(together === null ? null : await this.nft(line));
    batch.forEach((p, i) => {
      const error = results[i] ?? null;
      if (error === null) {
        this.log.info({ target: p.target.text, seconds: p.seconds }, "banned");
        p.answer(`ok ${p.target.text}`);
      } else {
        this.log.error({ target: p.target.text, err: error }, "ban failed");
        p.answer(`error ${error}`);
      }
    });
  }

  /** Runs `nft -f -` on a script; null when it succeeded, else nft's first error line. */
  private nft(script: string): Promise<string | null> {
    return new Promise((resolve) => {
      const child = spawn(this.opts.nft ?? "nft", ["-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
      let err = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        err = (err + d).slice(-2000);
      });
      child.once("error", (e) => resolve(`cannot run nft: ${e.message}`));
      child.once("close", (code) =>
        resolve(code === 0 ? null : (err.split("\n").find((l) => l.trim()) ?? `nft exited ${code}`)),
      );
      child.stdin.on("error", () => {});
      child.stdin.end(`${script}\n`);
    });
  }
}
