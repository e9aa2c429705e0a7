import type { Client } from "aedes";
import { encodeAddress } from "../../protocol/bech32.ts";
import { toHex } from "../../protocol/hex.ts";
import { payloadToJson } from "../../protocol/json.ts";
import { deserializeMessage, deserializePayload } from "../../protocol/message.ts";
import type { ReceiptPayload } from "../../protocol/types.ts";
import { outputJson } from "../api/ledger-routes.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import type { Store } from "../store/store.ts";
import type { TangleEvents } from "../tangle/events.ts";
import { indexationIndexOf, type Tangle } from "../tangle/tangle.ts";
import type { MqttBroker } from "./broker.ts";

export interface PublisherDeps {
  broker: MqttBroker;
  events: TangleEvents;
  tangle: Tangle;
  store: Store;
  ledger: Ledger;
  bech32HRP: string;
}

const ID = /^[0-9a-f]{64}$/;
const OUTPUT_ID = /^[0-9a-f]{68}$/;

/**
 * Turns tangle and ledger events into TIP-16 publishes with Hornet's payloads. Every publish asks the
 * broker first whether the topic has subscribers, so nothing is serialized for nobody. New-message and
 * milestone topics stay quiet until the node has once been almost synced (as Hornet), metadata and
 * output topics always flow; a new subscription to a stateful topic gets the current state at once.
 */
export class EventPublisher {
  private syncedOnce = false;

  constructor(private readonly deps: PublisherDeps) {}

  start(): void {
    const { events, broker } = this.deps;
    events.on("messageStored", (_id, bytes) => this.onStored(bytes));
    events.on("messageSolid", (id) => this.publishMetadata(id));
    events.on("latestMilestoneChanged", (ms) => {
      if (this.synced())
        broker.publish("milestones/latest", () =>
          JSON.stringify({ index: ms.index, timestamp: ms.timestamp }),
        );
    });
    events.on("milestoneConfirmed", (ev) => {
      const { index, timestamp } = ev;
      if (this.synced()) broker.publish("milestones/confirmed", () => JSON.stringify({ index, timestamp }));
      for (const id of ev.referenced) {
        broker.publish("messages/referenced", () => JSON.stringify(this.metadata(id) ?? {}));
        this.publishMetadata(id);
      }
      for (const o of ev.mutations.created) this.publishOutput(o, true);
      for (const s of ev.mutations.spent) this.publishOutput(s.output, false);
      if (ev.mutations.receipt) {
        const bytes = ev.mutations.receipt.bytes;
        broker.publish("receipts", () =>
          JSON.stringify({
            receipt: payloadToJson(deserializePayload(bytes, { validate: false }) as ReceiptPayload),
            milestoneIndex: index,
          }),
        );
      }
    });
    broker.onNewSubscription((filter, client) => this.publishCurrent(filter, client));
  }

  private synced(): boolean {
    if (!this.syncedOnce && this.deps.tangle.isAlmostSynced()) this.syncedOnce = true;
    return this.syncedOnce;
  }

  private onStored(bytes: Uint8Array): void {
    const { broker } = this.deps;
    if (!this.synced()) return;
    broker.publish("messages", () => Buffer.from(bytes));
    if (broker.subscriptions.hasAnyUnder("messages/indexation")) {
      const index = indexationIndexOf(deserializeMessage(bytes, { validate: false }).payload);
      if (index) broker.publish(`messages/indexation/${toHex(index)}`, () => Buffer.from(bytes));
    }
  }

  private metadata(id: Uint8Array): Record<string, unknown> | undefined {
    const bytes = this.deps.store.getMessage(id);
    return bytes ? this.deps.tangle.metadataJson(id, bytes) : undefined;
  }

  private publishMetadata(id: Uint8Array): void {
    this.deps.broker.publish(`messages/${toHex(id)}/metadata`, () => JSON.stringify(this.metadata(id) ?? {}));
  }

  private publishOutput(o: LedgerOutput, created: boolean): void {
    const { broker, ledger, store } = this.deps;
    const json = () => JSON.stringify(outputJson(o, ledger));
    broker.publish(`outputs/${toHex(o.outputId)}`, json);
    if (broker.subscriptions.hasAnyUnder("addresses")) {
      broker.publish(`addresses/ed25519/${toHex(o.address)}/outputs`, json);
      broker.publish(`addresses/${encodeAddress(this.deps.bech32HRP, o.address)}/outputs`, json);
    }
    // A transaction's first output says which message carried it (Hornet publishes on its creation).
    if (created && o.outputId[32] === 0 && o.outputId[33] === 0) {
      broker.publish(`transactions/${toHex(o.outputId.subarray(0, 32))}/included-message`, () =>
        Buffer.from(store.getMessage(o.messageId) ?? new Uint8Array(0)),
      );
    }
  }

  /**
   * What Hornet sends a new subscriber of a stateful topic right away; here to that subscriber only,
   * not to everyone on the topic (so subscribing in a loop cannot make the node resend to all).
   */
  private publishCurrent(filter: string, client: Client): void {
    const { tangle, store, ledger, broker } = this.deps;
    const send = (payload: Buffer | string) => broker.publishTo(client, filter, payload);
    const parts = filter.split("/");
    if (filter === "milestones/latest" && tangle.latestMilestoneIndex > 0) {
      send(JSON.stringify({ index: tangle.latestMilestoneIndex, timestamp: tangle.latestMilestoneTime }));
    } else if (filter === "milestones/confirmed" && tangle.confirmedMilestoneIndex > 0) {
      const ms = store.getMilestone(tangle.confirmedMilestoneIndex);
      if (ms) send(JSON.stringify({ index: tangle.confirmedMilestoneIndex, timestamp: ms.timestamp }));
    } else if (parts[0] === "messages" && parts[2] === "metadata" && ID.test(parts[1] ?? "")) {
      const meta = this.metadata(Buffer.from(parts[1]!, "hex"));
      if (meta) send(JSON.stringify(meta));
    } else if (parts[0] === "outputs" && OUTPUT_ID.test(parts[1] ?? "")) {
      const o = ledger.output(Buffer.from(parts[1]!, "hex"));
      if (o) send(JSON.stringify(outputJson(o, ledger)));
    } else if (parts[0] === "transactions" && parts[2] === "included-message" && ID.test(parts[1] ?? "")) {
      const first = new Uint8Array(34);
      first.set(Buffer.from(parts[1]!, "hex"));
      const o = ledger.output(first);
      const bytes = o && store.getMessage(o.messageId);
      if (bytes) send(Buffer.from(bytes));
    }
  }
}
