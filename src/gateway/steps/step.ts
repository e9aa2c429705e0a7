import type { IncomingMessage } from "node:http";
import type { AuthResult } from "../auth.ts";

/** What the steps learn about a request, in order; each step reads what the ones before it set. */
export interface RequestContext {
  req: IncomingMessage;
  /** the request target as received (path and query) */
  path: string;
  /** the client's address as the trusted proxies let us see it */
  ip: string;
  /** set by the access step */
  auth: AuthResult | undefined;
  /** whose quota and caps this request counts against: a credential's principal, else the IP (prefix) */
  client: string;
  /** the buffered body (not for GET/HEAD), set by the body step */
  body: Buffer | undefined;
  /** "pow": a message submit the node must mine; set by the cost step */
  submit: "none" | "submit" | "pow";
  /** tokens this request takes from the client's bucket */
  cost: number;
  /** RateLimit headers for the answer, set by the rate-limit step */
  rateHeaders: Record<string, string>;
}

/**
 * One step of the gateway's pipeline: it refuses by throwing a Refusal, or lets the request through,
 * optionally returning what to undo once the request is over (a slot to give back). A new step is a
 * function of this type, added where it belongs in the gateway's list.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a step that only checks returns nothing, async or not
export type Step = (ctx: RequestContext) => void | (() => void) | Promise<void | (() => void)>;

export function newContext(req: IncomingMessage, ip: string): RequestContext {
  return {
    req,
    path: req.url ?? "/",
    ip,
    auth: undefined,
    client: "",
    body: undefined,
    submit: "none",
    cost: 1,
    rateHeaders: {},
  };
}
