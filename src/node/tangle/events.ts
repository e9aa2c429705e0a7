import { EventEmitter } from "node:events";
import type { LedgerMutations } from "../ledger/ledger.ts";
import type { WhiteFlagEntry } from "../ledger/white-flag.ts";

export interface MilestoneEvent {
  index: number;
  timestamp: number;
  messageId: Uint8Array;
}

/** Named tangle events that the API, MQTT, metrics and the coordinator attach to. */
export interface TangleEventMap {
  messageStored: [id: Uint8Array, bytes: Uint8Array];
  messageSolid: [id: Uint8Array];
  /** a message stored (or submitted, waiting for them) before its parents: these are not stored yet */
  missingParents: [id: Uint8Array, missing: Uint8Array[]];
  latestMilestoneChanged: [MilestoneEvent];
  milestoneConfirmed: [
    MilestoneEvent & { referenced: Uint8Array[]; entries: WhiteFlagEntry[]; mutations: LedgerMutations },
  ];
}

export class TangleEvents extends EventEmitter<TangleEventMap> {}
