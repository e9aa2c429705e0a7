import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

export interface LingerLimits {
  /** longest time to keep discarding after the response, in ms */
  timeoutMs: number;
  /** most bytes to discard after the response */
  maxBytes: number;
}

/** Sockets in their lingering phase: the HTTP server's clientError for them is noise, not a bad client. */
const lingering = new WeakSet<Socket>();

export function isLingering(socket: Socket): boolean {
  return lingering.has(socket);
}

/**
 * Node's HTTP server parses sockets natively and pauses them at the handle when a request body is not
 * read; resume() cannot restart that (the stream's own read state is stale once the parser lets go),
 * so reading is restarted at the handle, as Node's HTTP server itself does when it resumes a socket.
 */
function restartReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { reading: boolean; readStart(): number } })._handle;
  if (handle && !handle.reading) {
    handle.reading = true;
    handle.readStart();
  }
}

/**
 * Lingering close, as nginx's `lingering_close`: for an early error answer (413) while the client is
 * still sending its body. Closing at once with unread bytes makes the kernel send a TCP RST, and a
 * client busy writing then loses the answer it had not read yet ("connection reset"). Instead, once
 * the response is out: half-close (FIN), read and discard what the client still sends until it closes,
 * and destroy after `limits.timeoutMs` or `limits.maxBytes`, whichever comes first.
 *
 * Call it before the response is sent, which must carry `Connection: close`: Node's HTTP server then
 * calls `socket.destroySoon()` when the response is finished, and that call is what this replaces. Not
 * a library's job (no HTTP server for Node offers lingering close), so done here.
 */
export function lingerBeforeClose(req: IncomingMessage, limits: LingerLimits): void {
  const socket = req.socket;
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.destroySoon = function lingerThenDestroy(this: Socket) {
    // The HTTP parser lets go of the socket: what still arrives is discarded here, not parsed.
    this.removeAllListeners("data");
    this.removeAllListeners("end");
    this.on("error", () => this.destroy());
    let discarded = 0;
    const timer = setTimeout(() => this.destroy(), limits.timeoutMs);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
    this.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > limits.maxBytes) this.destroy();
    });
    this.once("end", () => this.destroy());
    this.end();
    // The client may have finished and closed already.
    if (this.readableEnded) {
      this.destroy();
      return this;
    }
    this.resume();
    restartReading(this);
    return this;
  };
}
