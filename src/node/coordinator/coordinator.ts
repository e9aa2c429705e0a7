import type { Logger } from "pino";
import { toHex } from "../../protocol/hex.ts";
import { merkleRoot } from "../../protocol/merkle.ts";
import { serializeMessage } from "../../protocol/message.ts";
import { signMilestone } from "../../protocol/milestone.ts";
import type { Message } from "../../protocol/types.ts";
import type { PowPool } from "../pow/pool.ts";
import type { Store } from "../store/store.ts";
import { NULL_MESSAGE_ID, type Tangle } from "../tangle/tangle.ts";
import { compareBytes } from "../tangle/tip-pool.ts";
import { type CoordinatorState, readCoordinatorState, writeCoordinatorState } from "./state.ts";

export interface CoordinatorOptions {
  seeds: Uint8Array[];
  stateFilePath: string;
  intervalMs: number;
  networkId: bigint;
  minPoWScore: number;
  bootstrap: boolean;
}

/**
 * Milestone issuer for a private network. Each tick it references the current tips plus its last
 * milestone, computes the white-flag Merkle root exactly as every node will, signs, mines and feeds
 * the milestone to its node. The state file is written after the milestone is stored; at start a
 * milestone found in the database beyond the state file is adopted, so no index is issued twice.
 */
export class Coordinator {
  private state: CoordinatorState | null = null;
  private timer: NodeJS.Timeout | undefined;
  private issuing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly opts: CoordinatorOptions,
    private readonly tangle: Tangle,
    private readonly store: Store,
    private readonly pow: PowPool,
    private readonly log: Logger,
  ) {}

  get latestIndex(): number {
    return this.state?.latestMilestoneIndex ?? 0;
  }

  async start(): Promise<void> {
    this.state = readCoordinatorState(this.opts.stateFilePath);
    this.adoptStoredMilestones();
    if (!this.state) {
      if (!this.opts.bootstrap)
        throw new Error(`${this.opts.stateFilePath}: no coordinator state and bootstrap is off`);
      this.log.info("bootstrapping the network with milestone 1");
    }
    await this.issueNext();
    this.timer = setInterval(() => void this.issueNext(), this.opts.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.issuing;
  }

  /** Issues one milestone now (ticks never overlap: a slow PoW delays the next one). */
  issueNext(): Promise<void> {
    this.issuing = this.issuing
      .then(() => this.issue())
      .catch((err) => {
        if (!this.stopped) this.log.error({ err }, "milestone issuance failed");
      });
    return this.issuing;
  }

  private adoptStoredMilestones(): void {
    let index = this.state?.latestMilestoneIndex ?? 0;
    for (;;) {
      const next = this.store.getMilestone(index + 1);
      if (!next) break;
      index += 1;
      this.state = {
        latestMilestoneIndex: index,
        latestMilestoneMessageID: toHex(next.messageId),
        latestMilestoneTime: next.timestamp * 1e9,
      };
      this.log.warn({ index }, "adopted a stored milestone missing from the coordinator state");
    }
    if (this.state) writeCoordinatorState(this.opts.stateFilePath, this.state);
  }

  /**
   * Milestone parents that reference every non-lazy tip, so nothing attached in time is left behind:
   * up to 6 tips directly, otherwise a chain of checkpoint messages (no payload) carrying 7 tips each.
   */
  private async referenceTips(lastId: Uint8Array): Promise<Uint8Array[]> {
    const lastHex = toHex(lastId);
    const tips = this.tangle.allTips().filter((t) => toHex(t) !== lastHex);
    if (tips.length <= DIRECT_TIPS) return uniqueSorted([lastId, ...tips]);
    let previous = lastId;
    for (let i = 0; i < tips.length && !this.stopped; i += TIPS_PER_CHECKPOINT) {
      const parents = uniqueSorted([previous, ...tips.slice(i, i + TIPS_PER_CHECKPOINT)]);
      previous = await this.mineAndSubmit({
        networkId: this.opts.networkId,
        parents,
        payload: null,
        nonce: 0n,
      });
    }
    return uniqueSorted([lastId, previous]);
  }

  private async mineAndSubmit(msg: Message): Promise<Uint8Array> {
    const nonce = await this.pow.mine(serializeMessage(msg), this.opts.minPoWScore);
    if (nonce === null) throw new Error("coordinator PoW gave up");
    const { id } = await this.tangle.submit(serializeMessage({ ...msg, nonce }));
    return id;
  }

  private async issue(): Promise<void> {
    if (this.stopped) return;
    const last = this.state;
    if (last && !this.tangle.isSynced()) {
      this.log.warn(
        { lmi: this.tangle.latestMilestoneIndex, cmi: this.tangle.confirmedMilestoneIndex },
        "node not synced; milestone skipped",
      );
      return;
    }
    const index = (last?.latestMilestoneIndex ?? 0) + 1;
    const lastId = last ? Buffer.from(last.latestMilestoneMessageID, "hex") : NULL_MESSAGE_ID;
    const parents = await this.referenceTips(lastId);
    if (this.stopped) return;

    // The same white flag every node will run on this milestone, against the same (confirmed) ledger.
    const wf = await this.tangle.whiteFlag(parents, index);
    if (!wf) throw new Error("tips reference messages that are not stored");
    const now = Date.now();
    const payload = signMilestone(
      {
        index,
        timestamp: BigInt(Math.floor(now / 1000)),
        parents,
        inclusionMerkleProof: merkleRoot(wf.includedTransactions),
      },
      this.opts.seeds,
    );
    const id = await this.mineAndSubmit({ networkId: this.opts.networkId, parents, payload, nonce: 0n });
    this.state = {
      latestMilestoneIndex: index,
      latestMilestoneMessageID: toHex(id),
      latestMilestoneTime: now * 1e6,
    };
    writeCoordinatorState(this.opts.stateFilePath, this.state);
    this.log.debug({ index, messageId: toHex(id), referenced: wf.entries.length }, "milestone issued");
  }
}

/** Tips a milestone references directly; more than this go through checkpoint messages. */
const DIRECT_TIPS = 6;
/** Tips per checkpoint: the eighth parent is the previous checkpoint (or milestone). */
const TIPS_PER_CHECKPOINT = 7;

function uniqueSorted(ids: Uint8Array[]): Uint8Array[] {
  const map = new Map(ids.map((id) => [toHex(id), id]));
  return [...map.values()].sort(compareBytes);
}
