// The gateway's half of the kernel ban: sends `ban <target> <seconds>` lines to the helper's socket.
// Bans are rare (one per offender per ban time), so one connection, reopened when it drops, is plenty.
import { connect, type Socket } from "node:net";
import type { Logger } from "pino";
import { readLines } from "./lines.ts";
import type { Ban } from "./offenders.ts";

export type BanResult = "applied" | "refused" | "unavailable";

export class KernelBanClient {
  private socket: Socket | undefined;
  /** bans sent and not yet answered, in order (the helper answers in order per connection) */
  private waiting: Ban[] = [];
  private warnedUnavailable = false;

  constructor(
    private readonly socketPath: string,
    private readonly onResult: (ban: Ban, result: BanResult, detail: string) => void,
    private readonly log: Logger,
  ) {}

  ban(ban: Ban): void {
    const socket = this.connection();
    this.waiting.push(ban);
    socket.write(`ban ${ban.target} ${ban.seconds}\n`);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connection(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect(this.socketPath);
    socket.unref();
    socket.on("connect", () => {
      if (this.warnedUnavailable)
        this.log.info({ socket: this.socketPath }, "kernel ban helper reachable again");
      this.warnedUnavailable = false;
    });
    // The helper answers each line in order: the oldest ban waiting is the one answered.
    readLines(socket, (line) => {
      const ban = this.waiting.shift();
      if (ban) this.onResult(ban, line.startsWith("ok ") ? "applied" : "refused", line);
    });
    socket.on("error", (err) => {
      if (!this.warnedUnavailable)
        this.log.error({ socket: this.socketPath, err: err.message }, "kernel ban helper unavailable");
      this.warnedUnavailable = true;
    });
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      for (const ban of this.waiting.splice(0))
        this.onResult(ban, "unavailable", "no answer from the helper");
    });
    this.socket = socket;
    return socket;
  }
}
