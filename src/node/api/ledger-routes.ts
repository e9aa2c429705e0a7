import type { FastifyInstance, FastifyRequest } from "fastify";
import { toHex } from "../../protocol/hex.ts";
import { messageToJson, outputToJson, payloadToJson } from "../../protocol/json.ts";
import { deserializeMessage, deserializePayload } from "../../protocol/message.ts";
import { DUST_ALLOWANCE_DIVISOR, MAX_DUST_OUTPUTS_PER_ADDRESS } from "../../protocol/params.ts";
import type { ReceiptPayload } from "../../protocol/types.ts";
import { StingerError } from "../../util/errors.ts";
import type { Ledger } from "../ledger/ledger.ts";
import type { LedgerOutput } from "../ledger/records.ts";
import type { Store } from "../store/store.ts";
import type { Tangle } from "../tangle/tangle.ts";
import { badRequest, notFound } from "./errors.ts";
import {
  parseBech32Param,
  parseIdParam,
  parseMilestoneIndex,
  parseOutputIdParam,
  parseU32Param,
} from "./params.ts";
import { childrenResponse } from "./responses.ts";

export interface LedgerRouteDeps {
  ledger: Ledger;
  tangle: Tangle;
  store: Store;
  bech32HRP: string;
  maxResults: number;
}

const BASE = "/api/v1";
/** Hornet waits this long for the node to become synced before answering address queries 503. */
const WAIT_FOR_SYNC_MS = 2000;

/** The REST shape of an output (TIP-13 OutputResponse). */
export function outputJson(o: LedgerOutput, ledger: Ledger): Record<string, unknown> {
  const spent = ledger.spent(o.outputId);
  return {
    messageId: toHex(o.messageId),
    transactionId: toHex(o.outputId.subarray(0, 32)),
    outputIndex: o.outputId[32]! | (o.outputId[33]! << 8),
    isSpent: spent !== undefined,
    ...(spent ? { milestoneIndexSpent: spent.spentAt, transactionIdSpent: toHex(spent.transactionId) } : {}),
    ledgerIndex: ledger.index,
    output: outputToJson({ type: o.outputType, address: { type: 0, address: o.address }, amount: o.amount }),
  };
}

async function waitForSync(tangle: Tangle): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_SYNC_MS;
  while (!tangle.isSynced()) {
    if (Date.now() >= deadline)
      throw new StingerError("API_NOT_SYNCED", "node is not synced", { status: 503, retryAfterSeconds: 2 });
    await new Promise((r) => setTimeout(r, 50));
  }
}

function outputTypeQuery(value: unknown): 0 | 1 | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "0" || value === "1") return Number(value) as 0 | 1;
  throw badRequest(`invalid type: ${String(value)}: unknown output type`);
}

/**
 * The ledger routes of Hornet's REST API (TIP-13): outputs, address balances and outputs (bech32 and
 * ed25519), treasury, receipts, a transaction's including message, and a milestone's UTXO changes.
 */
export function registerLedgerRoutes(app: FastifyInstance, deps: LedgerRouteDeps): void {
  const { ledger, tangle, store } = deps;

  app.get(`${BASE}/outputs/:outputId`, async (req) => {
    const id = parseOutputIdParam((req.params as { outputId?: string }).outputId);
    const o = ledger.output(id);
    if (!o) throw notFound(`output not found: ${toHex(id)}`);
    return { data: outputJson(o, ledger) };
  });

  const balance = (address: Uint8Array) => {
    const b = ledger.balance(address);
    const allowed = b.dustAllowance / DUST_ALLOWANCE_DIVISOR;
    const cap = BigInt(MAX_DUST_OUTPUTS_PER_ADDRESS);
    return {
      data: {
        addressType: 0,
        address: toHex(address),
        balance: Number(b.balance),
        dustAllowed: (allowed > cap ? cap : allowed) > BigInt(b.dustOutputs),
        ledgerIndex: ledger.index,
      },
    };
  };

  const outputs = (address: Uint8Array, req: FastifyRequest) => {
    const q = req.query as Record<string, unknown>;
    const outputType = outputTypeQuery(q.type);
    const includeSpent = String(q["include-spent"] ?? "").toLowerCase() === "true";
    const ids = ledger.addressOutputIds(address, { outputType, includeSpent, limit: deps.maxResults });
    return {
      data: {
        addressType: 0,
        address: toHex(address),
        maxResults: deps.maxResults,
        count: ids.length,
        outputIds: ids.map(toHex),
        ledgerIndex: ledger.index,
      },
    };
  };

  const bech32 = (req: FastifyRequest) =>
    parseBech32Param((req.params as { address?: string }).address, deps.bech32HRP);
  const ed25519 = (req: FastifyRequest) =>
    parseIdParam((req.params as { address?: string }).address, "address");

  app.get(`${BASE}/addresses/ed25519/:address`, async (req) => {
    await waitForSync(tangle);
    return balance(ed25519(req));
  });
  app.get(`${BASE}/addresses/ed25519/:address/outputs`, async (req) => {
    await waitForSync(tangle);
    return outputs(ed25519(req), req);
  });
  app.get(`${BASE}/addresses/:address`, async (req) => {
    await waitForSync(tangle);
    return balance(bech32(req));
  });
  app.get(`${BASE}/addresses/:address/outputs`, async (req) => {
    await waitForSync(tangle);
    return outputs(bech32(req), req);
  });

  app.get(`${BASE}/treasury`, async () => {
    const t = ledger.treasury();
    return { data: { milestoneId: toHex(t.milestoneId), amount: Number(t.amount) } };
  });

  const receipts = (migratedAt?: number) => ({
    data: {
      receipts: ledger.receiptList(migratedAt).map((r) => ({
        receipt: payloadToJson(deserializePayload(r.bytes, { validate: false }) as ReceiptPayload),
        milestoneIndex: r.milestoneIndex,
      })),
    },
  });
  app.get(`${BASE}/receipts`, async () => receipts());
  app.get(`${BASE}/receipts/:migratedAt`, async (req) =>
    receipts(parseU32Param((req.params as { migratedAt?: string }).migratedAt, "migratedAt index")),
  );

  /** The message whose transaction created the transaction's outputs (Hornet looks up output 0). */
  const includingMessage = (req: FastifyRequest): { id: Uint8Array; bytes: Uint8Array } => {
    const txId = parseIdParam((req.params as { transactionId?: string }).transactionId, "transaction ID");
    const first = new Uint8Array(34);
    first.set(txId);
    const o = ledger.output(first);
    const bytes = o && store.getMessage(o.messageId);
    if (!o || !bytes) throw notFound(`output for transaction not found: ${toHex(txId)}`);
    return { id: o.messageId, bytes };
  };
  const TX = `${BASE}/transactions/:transactionId/included-message`;
  app.get(TX, async (req) => ({
    data: messageToJson(deserializeMessage(includingMessage(req).bytes, { validate: false })),
  }));
  app.get(`${TX}/metadata`, async (req) => {
    const { id, bytes } = includingMessage(req);
    return { data: tangle.metadataJson(id, bytes) };
  });
  app.get(`${TX}/raw`, async (req, reply) =>
    reply.type("application/octet-stream").send(Buffer.from(includingMessage(req).bytes)),
  );
  app.get(`${TX}/children`, async (req) =>
    childrenResponse(store, includingMessage(req).id, deps.maxResults),
  );

  app.get(`${BASE}/milestones/:index/utxo-changes`, async (req) => {
    const index = parseMilestoneIndex((req.params as { index?: string }).index);
    const diff = ledger.diff(index);
    if (!diff) throw notFound(`can't load milestone diff for index: ${index}`);
    return {
      data: { index, createdOutputs: diff.created.map(toHex), consumedOutputs: diff.consumed.map(toHex) },
    };
  });

  // stinger's own: the ledger state hash, so operators and tests can see that nodes agree.
  app.get("/api/plugins/stinger/ledger", async () => ({
    data: {
      ledgerIndex: ledger.index,
      stateHash: toHex(ledger.stateHash()),
      treasury: Number(ledger.treasury().amount),
    },
  }));
  // Reads the whole ledger: protected (as every /api/plugins route) and meant for operators and tests.
  app.get("/api/plugins/stinger/ledger/verify", async () => {
    const c = ledger.verify();
    return {
      data: {
        ...c,
        unspentSum: Number(c.unspentSum),
        treasury: Number(c.treasury),
        supply: Number(c.unspentSum + c.treasury),
        ok: c.problems.length === 0,
      },
    };
  });
  app.get("/api/plugins/stinger/ledger/:index", async (req) => {
    const index = parseMilestoneIndex((req.params as { index?: string }).index);
    const diff = ledger.diff(index);
    if (!diff) throw notFound(`no ledger state for milestone ${index}`);
    return { data: { ledgerIndex: index, stateHash: toHex(diff.stateHash) } };
  });
}
