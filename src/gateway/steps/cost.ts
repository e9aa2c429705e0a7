import type { Step } from "./step.ts";

export interface CostConfig {
  submitCost: number;
  powSubmitCost: number;
}

/** What a request makes a node do: a message submit, "pow" when it lacks a nonce (the node mines). */
export function submitKind(
  method: string | undefined,
  url: string,
  contentType: string | undefined,
  body: Buffer | undefined,
): "none" | "submit" | "pow" {
  // A faucet request makes the node issue (and mine) a transaction: it costs what a submit does.
  if (method === "POST" && url.startsWith("/api/plugins/faucet/enqueue")) return "submit";
  if (method !== "POST" || !url.startsWith("/api/v1/messages") || !body) return "none";
  let needsPow: boolean;
  if ((contentType ?? "").startsWith("application/json")) {
    try {
      const nonce = (JSON.parse(body.toString("utf8")) as { nonce?: unknown }).nonce;
      needsPow = nonce === undefined || nonce === null || nonce === "" || nonce === "0";
    } catch {
      needsPow = false; // the node answers 400
    }
  } else needsPow = body.length >= 8 && body.subarray(body.length - 8).every((b) => b === 0);
  return needsPow ? "pow" : "submit";
}

/** The route cost: a submit that needs the node's PoW costs far more than a read. */
export function costStep(cfg: CostConfig): Step {
  return (ctx) => {
    const { req } = ctx;
    ctx.submit = submitKind(req.method, ctx.path, req.headers["content-type"], ctx.body);
    ctx.cost = ctx.submit === "pow" ? cfg.powSubmitCost : ctx.submit === "submit" ? cfg.submitCost : 1;
  };
}
