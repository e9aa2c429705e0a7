// Messages between the gateway's primary and its workers (node:cluster IPC, JSON). Every message of
// ours carries `stg`, so other users of the channel (cluster's own messages) pass untouched. Requests
// made in one tick travel as one batch: a busy worker sends one message per tick, not one per request.
import type { GatewayConfig } from "../../config/gateway.ts";
import type { RateLimitDecision } from "../rate-limit.ts";

/** the tables the primary counts slots in */
export type TableName = "connections" | "powSubmits" | "webSockets";

/** worker → primary, inside a batch */
export type WorkerCall =
  | { op: "take"; id: number; key: string; cost: number; multiplier: number }
  | { op: "slot"; id: number; table: TableName; key: string; max: number }
  | { op: "release"; table: TableName; key: string }
  | { op: "refused"; ip: string; reason: string };

/** primary → worker, inside a batch: the answer to call `id` */
export type PrimaryAnswer = { id: number; decision: RateLimitDecision } | { id: number; granted: boolean };

export type WorkerMessage =
  | { stg: "hello" }
  | { stg: "calls"; calls: WorkerCall[] }
  | { stg: "ready"; url: string }
  | { stg: "failed"; error: string }
  | { stg: "metrics"; id: number; metrics: object[] };

export type PrimaryMessage =
  | { stg: "start"; config: GatewayConfig; ticketKeys: string; worker: number }
  | { stg: "answers"; answers: PrimaryAnswer[] }
  | { stg: "metrics"; id: number };

export function isStingerMessage(m: unknown): m is { stg: string } {
  return typeof m === "object" && m !== null && typeof (m as { stg?: unknown }).stg === "string";
}
