import type { Logger } from "pino";
import { decodeAddress, ed25519Address, encodeAddress } from "../../protocol/bech32.ts";
import { ed25519PublicKey } from "../../protocol/ed25519.ts";
import { isProtocolError } from "../../protocol/errors.ts";
import { toHex } from "../../protocol/hex.ts";
import { DUST_THRESHOLD, MAX_INPUTS } from "../../protocol/params.ts";
import { buildTransaction } from "../../protocol/transaction-builder.ts";
import type { Message, SigLockedOutput } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import { INCLUSION } from "../ledger/white-flag.ts";
import type { TangleEvents } from "../tangle/events.ts";
import type { Tangle } from "../tangle/tangle.ts";

export interface FaucetOptions {
  /** Ed25519 seed (private key) of the faucet's address */
  seed: Uint8Array;
  bech32HRP: string;
  networkId: bigint;
  amount: bigint;
  smallAmount: bigint;
  maxAddressBalance: bigint;
  /** outputs per transaction: requests plus the remainder */
  maxOutputCount: number;
  indexationMessage: string;
  batchTimeoutMs: number;
  /** milestones after which an unconfirmed faucet message is given up and its requests queued again */
  giveUpAfterMilestones: number;
}

export interface FaucetDeps {
  ledger: Ledger;
  tangle: Tangle;
  events: TangleEvents;
  /** fills parents, does the PoW and submits; resolves with the message ID */
  issue: (msg: Message) => Promise<Uint8Array>;
  log: Logger;
}

interface Request {
  bech32: string;
  address: Uint8Array;
  amount: bigint;
}

interface Pending {
  messageId: string;
  requests: Request[];
  issuedAt: number;
}

/** Requests waiting beyond this are refused (503): bounded memory whatever clients do. */
const MAX_QUEUE = 5000;

function badRequest(message: string): StingerError {
  return new StingerError("FAUCET_BAD_REQUEST", message, { status: 400 });
}

function unavailable(message: string, retryAfterSeconds = 5): StingerError {
  return new StingerError("FAUCET_UNAVAILABLE", message, { status: 503, retryAfterSeconds });
}

/**
 * Hornet's faucet plugin: requests are queued per address and, every batch timeout, paid out together
 * in one transaction from the faucet's unspent outputs (the change goes back to the faucet), one
 * transaction in flight at a time: the next batch waits until the milestone that references it, and a
 * batch whose transaction conflicted or was never referenced is queued again.
 */
export class Faucet {
  readonly address: Uint8Array;
  readonly bech32: string;
  private readonly queue = new Map<string, Request>();
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly onConfirmed = (ev: { index: number; entries: { id: Uint8Array; inclusion: number }[] }) =>
    this.confirmed(ev.index, ev.entries);

  constructor(
    private readonly opts: FaucetOptions,
    private readonly deps: FaucetDeps,
  ) {
    this.address = ed25519Address(ed25519PublicKey(opts.seed));
    this.bech32 = encodeAddress(opts.bech32HRP, this.address);
  }

  start(): void {
    this.deps.events.on("milestoneConfirmed", this.onConfirmed);
    this.timer = setInterval(() => void this.flush(), this.opts.batchTimeoutMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.deps.events.off("milestoneConfirmed", this.onConfirmed);
    await this.flushing;
  }

  /** What the faucet can still give: its balance minus what is promised to queued and pending requests. */
  balance(): bigint {
    const promised = [...this.queue.values(), ...(this.pending?.requests ?? [])].reduce(
      (n, r) => n + r.amount,
      0n,
    );
    const b = this.deps.ledger.balance(this.address).balance - promised;
    return b > 0n ? b : 0n;
  }

  info(): { address: string; balance: number } {
    return { address: this.bech32, balance: Number(this.balance()) };
  }

  enqueue(bech32: unknown): { address: string; waitingRequests: number } {
    if (typeof bech32 !== "string" || bech32 === "")
      throw badRequest("invalid bech32 address provided: address is missing");
    const text = bech32.toLowerCase();
    let address: Uint8Array;
    try {
      const decoded = decodeAddress(text);
      if (decoded.hrp !== this.opts.bech32HRP)
        throw badRequest(`invalid bech32 address provided: it does not start with "${this.opts.bech32HRP}"`);
      address = decoded.address.address;
    } catch (err) {
      if (isProtocolError(err)) throw badRequest(`invalid bech32 address provided: ${err.message}`);
      throw err;
    }
    if (!this.deps.tangle.isAlmostSynced())
      throw unavailable("the faucet node is not synced; try again later");
    if (this.queue.has(text) || this.pending?.requests.some((r) => r.bech32 === text))
      throw badRequest("the address is already in the queue");
    const held = this.deps.ledger.balance(address).balance;
    let amount = this.opts.amount;
    if (held >= this.opts.amount) {
      if (held >= this.opts.maxAddressBalance)
        throw new StingerError("FAUCET_ENOUGH_FUNDS", "the address already holds enough funds", {
          status: 429,
          retryAfterSeconds: 60,
        });
      amount = this.opts.smallAmount;
    }
    if (amount > this.balance())
      throw unavailable("the faucet does not have enough funds; try again later", 60);
    if (this.queue.size >= MAX_QUEUE) throw unavailable("the faucet queue is full; try again later");
    this.queue.set(text, { bech32: text, address, amount });
    return { address: text, waitingRequests: this.queue.size };
  }

  /** Pays out queued requests now if nothing is in flight (the timer calls it; tests may too). */
  flush(): Promise<void> {
    this.flushing = this.flushing
      .then(() => this.payOut())
      .catch((err) => this.deps.log.error({ err: String(err) }, "faucet transaction failed"));
    return this.flushing;
  }

  private async payOut(): Promise<void> {
    if (this.pending || this.queue.size === 0 || !this.deps.tangle.isAlmostSynced()) return;
    const { ledger } = this.deps;
    const inputIds = ledger.addressOutputIds(this.address, { outputType: 0, limit: MAX_INPUTS });
    const inputs = inputIds.map((id) => ledger.output(id)!).filter(Boolean);
    let available = inputs.reduce((n, o) => n + o.amount, 0n);
    const batch: Request[] = [];
    const outputs: SigLockedOutput[] = [];
    for (const r of this.queue.values()) {
      // One output is kept for the faucet's change.
      if (outputs.length >= this.opts.maxOutputCount - 1 || r.amount > available) break;
      batch.push(r);
      outputs.push({ type: 0, address: { type: 0, address: r.address }, amount: r.amount });
      available -= r.amount;
    }
    if (batch.length === 0) return;
    if (available > 0n) {
      if (available < DUST_THRESHOLD) {
        // Change below the dust threshold would be refused on the faucet's own address: give it away.
        outputs[outputs.length - 1]!.amount += available;
      } else outputs.push({ type: 0, address: { type: 0, address: this.address }, amount: available });
    }
    const tx = buildTransaction(
      inputs.map((o) => ({ outputId: o.outputId, seed: this.opts.seed })),
      outputs,
      {
        indexation: {
          type: 2,
          index: new TextEncoder().encode(this.opts.indexationMessage),
          data: new Uint8Array(0),
        },
      },
    );
    for (const r of batch) this.queue.delete(r.bech32);
    try {
      const id = await this.deps.issue({
        networkId: this.opts.networkId,
        parents: [],
        payload: tx,
        nonce: 0n,
      });
      this.pending = {
        messageId: toHex(id),
        requests: batch,
        issuedAt: this.deps.tangle.confirmedMilestoneIndex,
      };
      this.deps.log.info({ messageId: toHex(id), requests: batch.length }, "faucet transaction issued");
    } catch (err) {
      this.requeue(batch);
      throw err;
    }
  }

  private confirmed(index: number, entries: { id: Uint8Array; inclusion: number }[]): void {
    const p = this.pending;
    if (!p) return;
    const entry = entries.find((e) => toHex(e.id) === p.messageId);
    if (entry) {
      this.pending = undefined;
      if (entry.inclusion !== INCLUSION.included) {
        this.deps.log.warn(
          { messageId: p.messageId },
          "faucet transaction conflicted; its requests are queued again",
        );
        this.requeue(p.requests);
      }
    } else if (index - p.issuedAt > this.opts.giveUpAfterMilestones) {
      // Never referenced (below max depth by now): its inputs are still unspent, so build it anew.
      this.deps.log.warn(
        { messageId: p.messageId },
        "faucet transaction not referenced; its requests are queued again",
      );
      this.pending = undefined;
      this.requeue(p.requests);
    }
    if (!this.pending && this.queue.size > 0) void this.flush();
  }

  private requeue(requests: Request[]): void {
    for (const r of requests) if (!this.queue.has(r.bech32)) this.queue.set(r.bech32, r);
  }
}
