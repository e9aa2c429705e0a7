import { powScore } from "../../protocol/curl/pow.ts";
import { ProtocolError } from "../../protocol/errors.ts";
import { messageFromJson } from "../../protocol/json.ts";
import { deserializeMessage, serializeMessage } from "../../protocol/message.ts";
import type { Message } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { PowPool } from "../pow/pool.ts";
import type { SubmitResult, Tangle } from "../tangle/tangle.ts";
import { badRequest, notSynced } from "./errors.ts";

export interface SubmitRequest {
  /** who asked: the per-client PoW limit is keyed on it */
  client: string;
  /** aborts when the client goes away (created on first use) */
  disconnectSignal: () => AbortSignal;
}

/** Caps concurrent remote-PoW jobs per client: one client cannot occupy the whole queue. */
export class PowSlots {
  private readonly used = new Map<string, number>();

  constructor(private readonly perClient: number) {}

  /** Takes a slot or throws 429; call the returned function to give it back. */
  acquire(client: string): () => void {
    const n = this.used.get(client) ?? 0;
    if (n >= this.perClient) {
      throw new StingerError(
        "POW_CLIENT_LIMIT",
        `too many proof of work jobs from this client (at most ${this.perClient} at a time)`,
        { status: 429, retryAfterSeconds: 5 },
      );
    }
    this.used.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.used.get(client) ?? 1) - 1;
      if (left <= 0) this.used.delete(client);
      else this.used.set(client, left);
    };
  }
}

export interface SubmitDeps {
  powSlots: PowSlots;
  tangle: Tangle;
  pow: PowPool | null;
  networkId: bigint;
  minPoWScore: number;
  refreshTipsMs: number;
  powTimeoutMs: number;
}

function decode(body: unknown, isJson: boolean): Message {
  try {
    if (isJson) return messageFromJson(body);
    if (!(body instanceof Uint8Array) || body.length === 0) throw badRequest("invalid message: empty body");
    return deserializeMessage(body, { validate: false });
  } catch (err) {
    if (err instanceof ProtocolError) throw badRequest(`invalid message: ${err.message}`);
    throw err;
  }
}

/** True when a raw message already carries network ID, parents and nonce (the fast path). */
function isComplete(bytes: Uint8Array): boolean {
  if (bytes.length < 53) return false;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.readBigUInt64LE(0) !== 0n && bytes[8] !== 0 && view.readBigUInt64LE(bytes.length - 8) !== 0n;
}

/**
 * POST /api/v1/messages as Hornet 1.2 does it: fill a missing network ID, parents (tip selection)
 * and nonce (remote PoW, re-selecting tips every refresh interval while mining), then ingest.
 */
export async function submitMessage(
  deps: SubmitDeps,
  body: unknown,
  isJson: boolean,
  request: SubmitRequest,
): Promise<SubmitResult> {
  const { tangle } = deps;
  if (!tangle.isAlmostSynced()) throw notSynced();
  if (!isJson && body instanceof Uint8Array && isComplete(body)) return tangle.submit(body);
  return completeAndSubmit(deps, decode(body, isJson), request);
}

/**
 * Fills what a message lacks as Hornet does (network ID; parents from tip selection; nonce by remote
 * PoW, with fresh tips every refresh interval), then submits it. The node's own messages (the faucet's)
 * take this path too.
 */
export async function completeAndSubmit(
  deps: SubmitDeps,
  msg: Message,
  request: SubmitRequest,
): Promise<SubmitResult> {
  const { tangle } = deps;
  if (msg.networkId === 0n && msg.nonce !== 0n)
    throw badRequest("invalid message: PoW done but networkId missing");
  if (msg.networkId === 0n) msg.networkId = deps.networkId;
  const fillParents = msg.parents.length === 0;
  if (fillParents && !deps.pow)
    throw badRequest("invalid message: no parents given and node PoW is disabled");

  if (fillParents) msg.parents = selectTips(tangle);
  if (msg.nonce === 0n) {
    const bytes = serializeMessage(msg);
    if (powScore(bytes) < deps.minPoWScore) {
      if (!deps.pow) throw badRequest("invalid message: proof of work is not enabled on this node");
      const release = deps.powSlots.acquire(request.client);
      try {
        await mine(deps, deps.pow, msg, bytes, fillParents, request.disconnectSignal());
      } finally {
        release();
      }
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = serializeMessage(msg);
  } catch (err) {
    if (err instanceof ProtocolError) throw badRequest(`invalid message: ${err.message}`);
    throw err;
  }
  return tangle.submit(bytes);
}

/** Mines `msg` in place, re-selecting tips every refresh interval when the node chose the parents. */
async function mine(
  deps: SubmitDeps,
  pow: PowPool,
  msg: Message,
  unmined: Uint8Array,
  fillParents: boolean,
  signal: AbortSignal,
): Promise<void> {
  let bytes = unmined;
  const deadline = Date.now() + deps.powTimeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new StingerError("POW_TIMEOUT", "proof of work took too long", { status: 503 });
    const slice = fillParents ? Math.min(deps.refreshTipsMs, remaining) : remaining;
    const nonce = await pow.mine(bytes, deps.minPoWScore, { signal, deadlineMs: slice });
    // Milestones go on while we mine: parents this node chose may have fallen below max depth meanwhile,
    // and the node would then refuse its own message. Mine again on fresh tips instead.
    if (nonce !== null && !(fillParents && deps.tangle.belowMaxDepth(msg.parents))) {
      msg.nonce = nonce;
      return;
    }
    // Tips go stale while mining: select fresh ones so the message is not attached too deep.
    if (fillParents) {
      msg.parents = selectTips(deps.tangle);
      bytes = serializeMessage(msg);
    }
  }
}

function selectTips(tangle: Tangle): Uint8Array[] {
  const tips = tangle.selectTips();
  if (tips.length === 0) throw new StingerError("API_NO_TIPS", "no tips available", { status: 503 });
  return tips;
}
