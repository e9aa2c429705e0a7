import { createServer, type Server } from "node:net";
import type { Logger } from "pino";
import { listenOn } from "../../util/listen.ts";
import { agentLine, type NodeLoad, spareCapacity } from "../../util/spare-capacity.ts";

/** How often the event loop's utilization is sampled for the answer. */
const SAMPLE_MS = 1000;

/**
 * HAProxy's agent-check: on each connection, one line with the node's spare capacity (`up 63%`,
 * `drain`, `down`), then close. HAProxy scales the server's weight by the percentage, so the node
 * with the most capacity left gets the most new requests. The protocol is a line of text on TCP;
 * node:net is all it takes.
 */
export class AgentCheckServer {
  private readonly server: Server;
  private readonly sampler: NodeJS.Timeout;
  private recentElu = 0;

  constructor(
    private readonly load: () => Omit<NodeLoad, "eventLoopUtilization">,
    private readonly log: Logger,
  ) {
    let last = performance.eventLoopUtilization();
    this.sampler = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.recentElu = performance.eventLoopUtilization(now, last).utilization;
      last = now;
    }, SAMPLE_MS);
    this.sampler.unref();
    this.server = createServer((socket) => {
      socket.on("error", () => {});
      socket.end(this.answer());
    });
  }

  answer(): string {
    return agentLine(spareCapacity({ ...this.load(), eventLoopUtilization: this.recentElu }));
  }

  async listen(bind: string): Promise<string> {
    const address = await listenOn(this.server, bind);
    this.log.info({ agentCheck: address }, "agent-check listening");
    return address;
  }

  close(): Promise<void> {
    clearInterval(this.sampler);
    return new Promise((r) => this.server.close(() => r()));
  }
}
