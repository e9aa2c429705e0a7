import { lingerBeforeClose } from "../../util/lingering-close.ts";
import { Refusal } from "../refusal.ts";
import type { Step } from "./step.ts";

export interface BodyLimits {
  bodyLength: number;
  lingerTimeoutMs: number;
  lingerBytes: number;
}

/**
 * Buffers the body (bounded), so a failed submit can be retried on another node and its cost judged.
 * Too large a body is answered 413 and then drained for a while (lingering close), so the client
 * reads the answer instead of a reset connection.
 */
export function bodyStep(limits: BodyLimits): Step {
  const tooLarge = (req: Parameters<Step>[0]["req"]) => {
    lingerBeforeClose(req, { timeoutMs: limits.lingerTimeoutMs, maxBytes: limits.lingerBytes });
    return new Refusal(413, "body_too_large", `request body is larger than ${limits.bodyLength} bytes`, {
      connection: "close",
    });
  };
  return async (ctx) => {
    const { req } = ctx;
    if (req.method === "GET" || req.method === "HEAD") return;
    if (Number(req.headers["content-length"] ?? 0) > limits.bodyLength) throw tooLarge(req);
    ctx.body = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > limits.bodyLength) {
          req.off("data", onData);
          // Nobody reads the rest now: Node's server discards it once the 413 is out.
          req.resume();
          reject(tooLarge(req));
        } else chunks.push(c);
      };
      req.on("data", onData);
      req.on("end", () => resolve(Buffer.concat(chunks)));
      // Gone before its body was whole (cut off by requestTimeoutMs, or hung up): nobody to answer.
      req.on("error", () => reject(new Refusal(499, "client_closed", "client closed the request")));
    });
  };
}
