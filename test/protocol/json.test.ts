import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import {
  type MessageJson,
  type MilestonePayloadJson,
  messageFromJson,
  messageToJson,
  payloadFromJson,
  payloadToJson,
  type TransactionPayloadJson,
  type UnlockBlockJson,
} from "../../src/protocol/json.ts";
import { deserializeMessage, serializeMessage, validateMessage } from "../../src/protocol/message.ts";
import type { IndexationPayload } from "../../src/protocol/types.ts";
import {
  assertCode,
  id32,
  messageWith,
  sampleMilestone,
  sampleReceipt,
  sampleTransaction,
} from "./_helpers.ts";
import { loadVector } from "./_vectors.ts";

interface Tip6Vector {
  message: string;
  json: MessageJson;
}

const tip6 = loadVector<Tip6Vector>("tip6-indexation-message.json");
const js = loadVector<{ milestone: { message: string }; transaction: { message: string } }>(
  "iota-js-messages.json",
);

describe("Hornet JSON output", () => {
  test("TIP-6 message: exact JSON text, keys in Hornet's order", () => {
    const json = messageToJson(deserializeMessage(fromHex(tip6.message)));
    assert.equal(JSON.stringify(json), JSON.stringify(tip6.json));
  });

  test("milestone JSON field order and receipt: null", () => {
    const json = messageToJson(deserializeMessage(fromHex(js.milestone.message)));
    assert.deepEqual(Object.keys(json), ["networkId", "parentMessageIds", "payload", "nonce"]);
    assert.equal(json.networkId, "123");
    assert.equal(json.nonce, "12253");
    const p = json.payload as unknown as Record<string, unknown>;
    assert.deepEqual(Object.keys(p), [
      "type",
      "index",
      "timestamp",
      "parentMessageIds",
      "inclusionMerkleProof",
      "nextPoWScore",
      "nextPoWScoreMilestoneIndex",
      "publicKeys",
      "receipt",
      "signatures",
    ]);
    assert.equal(p.receipt, null);
    assert.equal(p.timestamp, 1605190003);
    assert.equal(p.inclusionMerkleProof, "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419");
  });

  test("transaction JSON shape", () => {
    const json = messageToJson(deserializeMessage(fromHex(js.transaction.message)));
    assert.deepEqual(json.payload, {
      type: 0,
      essence: {
        type: 0,
        inputs: [
          {
            type: 0,
            transactionId: "2367ec318426c9f5d1115a6ac96f6c3cd2e53443713e0b63f0c266cbda744474",
            transactionOutputIndex: 1,
          },
        ],
        outputs: [
          {
            type: 0,
            address: { type: 0, address: "3eb1ed78d420c8318972b8b0839420f502b25356270a48a430cb55a5e323f723" },
            amount: 100,
          },
          {
            type: 0,
            address: { type: 0, address: "625d17d4a4b21cd5edeb57544b9d2d66ce22985fb61f17d1d7cae958d0068618" },
            amount: 2779530283277561,
          },
        ],
        payload: { type: 2, index: "666f6f", data: "626172" },
      },
      unlockBlocks: [
        {
          type: 0,
          signature: {
            type: 0,
            publicKey: "14fe414a9eccf9589b38c7c89a2fa5921b4b170ebefc04b6a812b3d02068cfd7",
            signature:
              "3163a90017ed5fe9530f52fb0d30836a453a37204f4d59e03012d82e0a946f31c930ac54f4a35aef9578b9dec9c12887404be353c5f7ebd88bcbefcc78e29c05",
          },
        },
      ],
    });
  });

  test("empty indexation data is written as an empty string", () => {
    const json = payloadToJson({ type: 2, index: Uint8Array.from([1]), data: new Uint8Array(0) });
    assert.equal(JSON.stringify(json), '{"type":2,"index":"01","data":""}');
  });

  test("receipt JSON: Hornet field names and order", () => {
    const json = payloadToJson(sampleReceipt());
    assert.deepEqual(Object.keys(json), ["type", "migratedAt", "funds", "transaction", "final"]);
    assert.deepEqual(json.funds[0], {
      tailTransactionHash: "01".repeat(49),
      address: { type: 0, address: "03".repeat(32) },
      deposit: 1000000,
    });
    assert.deepEqual(json.transaction, {
      type: 4,
      input: { type: 1, milestoneId: "09".repeat(32) },
      output: { type: 2, amount: 100000000 },
    });
    assert.equal(json.final, true);
  });
});

describe("JSON input", () => {
  test("TIP-6 JSON -> the TIP-6 bytes", () => {
    assert.equal(toHex(serializeMessage(messageFromJson(tip6.json))), tip6.message);
  });

  test("iota.js without PoW: no networkId, parents or nonce, data omitted", () => {
    const msg = messageFromJson({ payload: { type: 2, index: "68656c6c6f" } });
    assert.equal(msg.networkId, 0n);
    assert.equal(msg.nonce, 0n);
    assert.deepEqual(msg.parents, []);
    const p = msg.payload as IndexationPayload;
    assert.equal(toHex(p.index), "68656c6c6f");
    assert.equal(p.data.length, 0);
  });

  test("null and empty-string u64 fields mean 0; payload null/absent means none", () => {
    const msg = messageFromJson({ networkId: null, nonce: "", parentMessageIds: null, payload: null });
    assert.deepEqual(msg, { networkId: 0n, parents: [], payload: null, nonce: 0n });
    assert.equal(messageFromJson({}).payload, null);
  });

  test("u64 strings up to 2^64-1", () => {
    const msg = messageFromJson({ networkId: "18446744073709551615", nonce: "0070952" });
    assert.equal(msg.networkId, 18446744073709551615n);
    assert.equal(msg.nonce, 70952n);
  });

  test("upper-case hex is accepted and written back lower-case", () => {
    const upper = { ...tip6.json, parentMessageIds: tip6.json.parentMessageIds.map((p) => p.toUpperCase()) };
    assert.equal(toHex(serializeMessage(messageFromJson(upper))), tip6.message);
  });

  test("parents are not checked for count or order (the node fills and validates later)", () => {
    const msg = messageFromJson({
      ...tip6.json,
      parentMessageIds: [...tip6.json.parentMessageIds].reverse(),
    });
    assert.equal(msg.parents.length, 2);
    assertCode(() => validateMessage(msg), "PROTO_PARENTS_ORDER");
    assertCode(() => validateMessage(messageFromJson({ payload: tip6.json.payload })), "PROTO_PARENTS_COUNT");
  });

  test("inherited properties are ignored", () => {
    const msg = messageFromJson(JSON.parse('{"__proto__":{"networkId":"5"}}'));
    assert.equal(msg.networkId, 0n);
  });
});

describe("JSON input errors name the field", () => {
  const base = tip6.json;
  const cases: [string, unknown, Parameters<typeof assertCode>[1], string][] = [
    ["null", null, "PROTO_INVALID_JSON", "message: must be an object"],
    ["an array", [], "PROTO_INVALID_JSON", "message: must be an object"],
    ["a string", "x", "PROTO_INVALID_JSON", "message"],
    [
      "numeric networkId",
      { ...base, networkId: 5 },
      "PROTO_INVALID_JSON",
      "networkId: must be a decimal string",
    ],
    ["non-decimal networkId", { ...base, networkId: "0x10" }, "PROTO_INVALID_FIELD", "networkId"],
    ["negative nonce", { ...base, nonce: "-1" }, "PROTO_INVALID_FIELD", "nonce"],
    ["nonce above u64", { ...base, nonce: "18446744073709551616" }, "PROTO_INVALID_FIELD", "nonce: exceeds"],
    ["parents not an array", { ...base, parentMessageIds: "ab" }, "PROTO_INVALID_JSON", "parentMessageIds"],
    [
      "parent not hex",
      { ...base, parentMessageIds: ["zz".repeat(32)] },
      "PROTO_INVALID_FIELD",
      "parentMessageIds[0]: not hex",
    ],
    [
      "parent too short",
      { ...base, parentMessageIds: ["00".repeat(31)] },
      "PROTO_INVALID_FIELD",
      "parentMessageIds[0]: must be 32 bytes",
    ],
    [
      "index not hex",
      { ...base, payload: { type: 2, index: "zz" } },
      "PROTO_INVALID_FIELD",
      "payload.index: not hex",
    ],
    ["index missing", { ...base, payload: { type: 2 } }, "PROTO_INVALID_JSON", "payload.index: is missing"],
    [
      "data a number",
      { ...base, payload: { type: 2, index: "00", data: 1 } },
      "PROTO_INVALID_JSON",
      "payload.data",
    ],
    [
      "payload type as string",
      { ...base, payload: { type: "2", index: "00" } },
      "PROTO_INVALID_JSON",
      "payload.type",
    ],
    [
      "receipt as message payload",
      { ...base, payload: { type: 3 } },
      "PROTO_UNKNOWN_PAYLOAD",
      "payload.type",
    ],
    ["unknown payload type", { ...base, payload: { type: 9 } }, "PROTO_UNKNOWN_PAYLOAD", "payload.type"],
    ["payload an array", { ...base, payload: [] }, "PROTO_INVALID_JSON", "payload: must be an object"],
  ];
  for (const [name, json, code, text] of cases) {
    test(name, () => assertCode(() => messageFromJson(json), code, text));
  }

  const txJson = () => {
    const json = messageToJson(messageWith(sampleTransaction()));
    return { json, tx: json.payload as TransactionPayloadJson };
  };

  test("fractional amount", () => {
    const { json, tx } = txJson();
    tx.essence.outputs[0]!.amount = 1.5;
    assertCode(() => messageFromJson(json), "PROTO_INVALID_FIELD", "payload.essence.outputs[0].amount");
  });

  test("amount beyond 2^53 cannot be exact", () => {
    const { json, tx } = txJson();
    tx.essence.outputs[0]!.amount = 2 ** 53;
    assertCode(() => messageFromJson(json), "PROTO_INVALID_FIELD", "safe integer");
  });

  test("unknown unlock block type", () => {
    const { json, tx } = txJson();
    tx.unlockBlocks[0] = { type: 5 } as unknown as UnlockBlockJson;
    assertCode(() => messageFromJson(json), "PROTO_UNKNOWN_TYPE", "payload.unlockBlocks[0].type");
  });

  test("output index out of u16 range", () => {
    const { json, tx } = txJson();
    tx.essence.inputs[0]!.transactionOutputIndex = 65536;
    assertCode(
      () => messageFromJson(json),
      "PROTO_INVALID_FIELD",
      "payload.essence.inputs[0].transactionOutputIndex",
    );
  });

  test("milestone signature of the wrong length", () => {
    const json = messageToJson(messageWith(sampleMilestone([id32(1), id32(2)])));
    (json.payload as MilestonePayloadJson).signatures[1] = "00".repeat(63);
    assertCode(() => messageFromJson(json), "PROTO_INVALID_FIELD", "payload.signatures[1]: must be 64 bytes");
  });

  test("receipt final must be boolean", () => {
    const j = payloadToJson(sampleReceipt()) as unknown as Record<string, unknown>;
    j.final = 1;
    assertCode(() => payloadFromJson(j), "PROTO_INVALID_JSON", "payload.final");
  });
});

describe("round trips through JSON text", () => {
  for (const [name, msg] of [
    ["transaction", messageWith(sampleTransaction())],
    ["milestone with receipt", messageWith(sampleMilestone([id32(1), id32(2)]))],
    ["no payload", messageWith(null)],
  ] as const) {
    test(name, () => {
      const back = messageFromJson(JSON.parse(JSON.stringify(messageToJson(msg))));
      assert.deepEqual(back, msg);
    });
  }

  test("standalone receipt", () => {
    const r = sampleReceipt();
    assert.deepEqual(payloadFromJson(JSON.parse(JSON.stringify(payloadToJson(r)))), r);
  });
});
