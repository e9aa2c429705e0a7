import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import {
  deserializeMessage,
  deserializePayload,
  messageId,
  networkIdFromName,
  outputId,
  parseOutputId,
  serializeMessage,
  serializePayload,
  validateMessage,
} from "../../src/protocol/message.ts";
import { MAX_MESSAGE_LENGTH } from "../../src/protocol/params.ts";
import type { Message, MilestonePayload, TransactionPayload } from "../../src/protocol/types.ts";
import {
  assertCode,
  id32,
  input,
  messageWith,
  output,
  sampleMilestone,
  sampleReceipt,
  sampleTransaction,
  sigBlock,
} from "./_helpers.ts";
import { loadVector } from "./_vectors.ts";

interface Tip6Vector {
  message: string;
  length: number;
  messageId: string;
}
interface IotaJsMessages {
  milestone: {
    message: string;
    expected: {
      networkId: string;
      parents: string[];
      payload: {
        index: number;
        timestamp: number;
        parents: string[];
        inclusionMerkleProof: string;
        nextPoWScore: number;
        nextPoWScoreMilestoneIndex: number;
        publicKeys: string[];
        signatures: string[];
      };
      nonce: string;
    };
  };
  milestoneActual: { message: string };
  indexation: {
    message: string;
    expected: {
      networkId: string;
      parents: string[];
      payload: { indexUtf8: string; dataUtf8: string };
      nonce: string;
    };
  };
  transaction: {
    message: string;
    expected: {
      networkId: string;
      parents: string[];
      inputs: { type: number; transactionId: string; transactionOutputIndex: number }[];
      outputs: { type: number; address: string; amount: number }[];
      unlockBlocks: { type: number; publicKey: string; signature: string }[];
      nonce: string;
    };
  };
}

const tip6 = loadVector<Tip6Vector>("tip6-indexation-message.json");
const js = loadVector<IotaJsMessages>("iota-js-messages.json");
const utf8 = new TextDecoder();

/** Encode, then decode with validation: the path a gossiped message takes. */
function roundTrip(msg: Message): Message {
  return deserializeMessage(serializeMessage(msg));
}

describe("TIP-6 indexation message", () => {
  const bytes = fromHex(tip6.message);

  test("decodes to the documented fields", () => {
    const msg = deserializeMessage(bytes);
    assert.equal(msg.networkId, 0n);
    assert.deepEqual(msg.parents.map(toHex), [
      "210fc7bb818639ac48a4c6afa2f1581a8b9525e20fda68927f2b2ff836f73578",
      "db0fa54c29f7fd928d92ca43f193dee47f591549f597a811c8fa67ab031ebd9c",
    ]);
    assert.equal(msg.payload?.type, 2);
    if (msg.payload?.type !== 2) return;
    assert.equal(utf8.decode(msg.payload.index), "IOTA");
    assert.equal(utf8.decode(msg.payload.data), "hello world");
    assert.equal(msg.nonce, 28110n);
  });

  test("re-encodes to the same 110 bytes", () => {
    const out = serializeMessage(deserializeMessage(bytes));
    assert.equal(out.length, tip6.length);
    assert.equal(toHex(out), tip6.message);
  });

  test("message ID", () => {
    assert.equal(toHex(messageId(bytes)), tip6.messageId);
  });

  test("decoded byte fields do not alias the input buffer", () => {
    const copy = bytes.slice();
    const msg = deserializeMessage(copy);
    copy.fill(0);
    assert.equal(toHex(msg.parents[0]!), "210fc7bb818639ac48a4c6afa2f1581a8b9525e20fda68927f2b2ff836f73578");
  });
});

describe("iota.js v1.8.6 binary vectors", () => {
  test("milestone message: every field", () => {
    const e = js.milestone.expected;
    const msg = deserializeMessage(fromHex(js.milestone.message));
    assert.equal(msg.networkId.toString(), e.networkId);
    assert.deepEqual(msg.parents.map(toHex), e.parents);
    assert.equal(msg.nonce.toString(), e.nonce);
    const ms = msg.payload as MilestonePayload;
    assert.equal(ms.type, 1);
    assert.equal(ms.index, e.payload.index);
    assert.equal(ms.timestamp, BigInt(e.payload.timestamp));
    assert.deepEqual(ms.parents.map(toHex), e.payload.parents);
    assert.equal(toHex(ms.inclusionMerkleProof), e.payload.inclusionMerkleProof);
    assert.equal(ms.nextPoWScore, e.payload.nextPoWScore);
    assert.equal(ms.nextPoWScoreMilestoneIndex, e.payload.nextPoWScoreMilestoneIndex);
    assert.deepEqual(ms.publicKeys.map(toHex), e.payload.publicKeys);
    assert.equal(ms.receipt, null);
    assert.deepEqual(ms.signatures.map(toHex), e.payload.signatures);
    assert.equal(toHex(serializeMessage(msg)), js.milestone.message);
  });

  test("'actual' milestone (next PoW score 0, index 1) passes Hornet's rules and round-trips", () => {
    const msg = deserializeMessage(fromHex(js.milestoneActual.message));
    const ms = msg.payload as MilestonePayload;
    assert.equal(ms.nextPoWScore, 0);
    assert.equal(ms.nextPoWScoreMilestoneIndex, 1);
    assert.equal(toHex(serializeMessage(msg)), js.milestoneActual.message);
  });

  test("indexation message (its parents are unsorted: structure only)", () => {
    const e = js.indexation.expected;
    const bytes = fromHex(js.indexation.message);
    assertCode(() => deserializeMessage(bytes), "PROTO_PARENTS_ORDER");
    const msg = deserializeMessage(bytes, { validate: false });
    assert.equal(msg.networkId.toString(), e.networkId);
    assert.deepEqual(msg.parents.map(toHex), e.parents);
    assert.equal(msg.payload?.type, 2);
    if (msg.payload?.type !== 2) return;
    assert.equal(utf8.decode(msg.payload.index), e.payload.indexUtf8);
    assert.equal(utf8.decode(msg.payload.data), e.payload.dataUtf8);
    assert.equal(msg.nonce.toString(), e.nonce);
    assert.equal(toHex(serializeMessage(msg)), js.indexation.message);
  });

  test("transaction message", () => {
    const e = js.transaction.expected;
    const msg = deserializeMessage(fromHex(js.transaction.message));
    assert.equal(msg.networkId.toString(), e.networkId);
    assert.deepEqual(msg.parents.map(toHex), e.parents);
    const tx = msg.payload as TransactionPayload;
    assert.equal(tx.type, 0);
    assert.deepEqual(
      tx.essence.inputs.map((i) => ({ ...i, transactionId: toHex(i.transactionId) })),
      e.inputs,
    );
    assert.deepEqual(
      tx.essence.outputs.map((o) => ({
        type: o.type,
        address: toHex(o.address.address),
        amount: Number(o.amount),
      })),
      e.outputs,
    );
    assert.deepEqual(
      tx.unlockBlocks.map((b) =>
        b.type === 0
          ? { type: 0, publicKey: toHex(b.signature.publicKey), signature: toHex(b.signature.signature) }
          : b,
      ),
      e.unlockBlocks,
    );
    assert.equal(tx.essence.payload?.type, 2);
    assert.equal(msg.nonce.toString(), e.nonce);
    assert.equal(toHex(serializeMessage(msg)), js.transaction.message);
  });
});

describe("network IDs", () => {
  for (const v of loadVector<{ name: string; networkId: string }[]>("network-ids.json")) {
    test(`${v.name} -> ${v.networkId}`, () => {
      assert.equal(networkIdFromName(v.name), BigInt(v.networkId));
    });
  }
});

describe("structural errors (also with validate: false)", () => {
  const bytes = fromHex(tip6.message);

  test("every strict prefix is truncated", () => {
    for (let n = 0; n < bytes.length; n++) {
      assertCode(() => deserializeMessage(bytes.subarray(0, n), { validate: false }), "PROTO_TRUNCATED");
    }
  });

  test("trailing bytes", () => {
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assertCode(() => deserializeMessage(longer, { validate: false }), "PROTO_TRAILING_BYTES");
  });

  // TIP-6 layout: payload length u32 at 73, payload (25 bytes) at 77..102, nonce at 102.
  test("declared payload length longer than the payload", () => {
    const b = new Uint8Array(bytes.length + 1);
    b.set(bytes.subarray(0, 102));
    b[102] = 0xee;
    b.set(bytes.subarray(102), 103);
    new DataView(b.buffer).setUint32(73, 26, true);
    assertCode(
      () => deserializeMessage(b, { validate: false }),
      "PROTO_PAYLOAD_LENGTH",
      "declared length 26",
    );
  });

  test("declared payload length shorter than the payload", () => {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(73, 24, true);
    assertCode(() => deserializeMessage(b, { validate: false }), "PROTO_PAYLOAD_LENGTH");
  });

  test("receipt (3) and unknown (7) payload types are refused in a message", () => {
    for (const t of [3, 4, 7]) {
      const b = bytes.slice();
      new DataView(b.buffer).setUint32(77, t, true);
      assertCode(() => deserializeMessage(b, { validate: false }), "PROTO_UNKNOWN_PAYLOAD");
    }
  });

  test("unknown output type", () => {
    const msg = messageWith(sampleTransaction());
    const b = serializeMessage(msg);
    const at = b.indexOf(0x05) - 2; // output type byte sits before address type 0 and address 05...
    assert.equal(b[at], 0);
    b[at] = 2;
    assertCode(() => deserializeMessage(b, { validate: false }), "PROTO_UNKNOWN_TYPE");
  });

  test("receipt final flag must be 0 or 1", () => {
    const r = serializePayload(sampleReceipt());
    assert.equal(r[8], 1);
    r[8] = 2;
    assertCode(() => deserializePayload(r), "PROTO_INVALID_FIELD", "final");
  });
});

describe("message rules", () => {
  test("parents: 1..8, sorted, unique", () => {
    const payload = sampleTransaction();
    assertCode(() => roundTrip(messageWith(payload, [])), "PROTO_PARENTS_COUNT");
    const nine = Array.from({ length: 9 }, (_, i) => id32(i + 1));
    assertCode(() => roundTrip(messageWith(payload, nine)), "PROTO_PARENTS_COUNT");
    assert.equal(roundTrip(messageWith(payload, nine.slice(0, 8))).parents.length, 8);
    assertCode(() => roundTrip(messageWith(payload, [id32(2), id32(1)])), "PROTO_PARENTS_ORDER", "sorted");
    assertCode(() => roundTrip(messageWith(payload, [id32(1), id32(1)])), "PROTO_PARENTS_ORDER");
  });

  test("structure-only decoding accepts what the rules refuse", () => {
    const b = serializeMessage(messageWith(null, [id32(2), id32(1)]));
    assert.equal(deserializeMessage(b, { validate: false }).parents.length, 2);
    assertCode(() => deserializeMessage(b), "PROTO_PARENTS_ORDER");
  });

  test("a message without payload is 53 bytes with one parent", () => {
    const b = serializeMessage(messageWith(null, [id32(1)]));
    assert.equal(b.length, 53);
    assert.equal(deserializeMessage(b).payload, null);
  });

  test("length limit is 32768 bytes", () => {
    // 53 bytes + indexation header 4+2+1+4 = 64 bytes of framing.
    const make = (dataLen: number) =>
      messageWith({ type: 2, index: Uint8Array.from([1]), data: new Uint8Array(dataLen) }, [id32(1)]);
    const max = serializeMessage(make(MAX_MESSAGE_LENGTH - 64));
    assert.equal(max.length, MAX_MESSAGE_LENGTH);
    assert.equal(deserializeMessage(max).payload?.type, 2);
    const over = serializeMessage(make(MAX_MESSAGE_LENGTH - 63));
    assertCode(() => deserializeMessage(over), "PROTO_TOO_LARGE");
    assertCode(() => validateMessage(make(MAX_MESSAGE_LENGTH - 63)), "PROTO_TOO_LARGE");
    assert.equal(deserializeMessage(over, { validate: false }).parents.length, 1);
  });

  test("indexation index length 1..64", () => {
    const idx = (n: number) => messageWith({ type: 2, index: new Uint8Array(n), data: new Uint8Array(0) });
    assertCode(() => roundTrip(idx(0)), "PROTO_INDEX_LENGTH");
    assertCode(() => roundTrip(idx(65)), "PROTO_INDEX_LENGTH");
    assert.equal(roundTrip(idx(64)).payload?.type, 2);
    assert.equal(roundTrip(idx(1)).payload?.type, 2);
  });
});

describe("transaction rules", () => {
  const withTx = (edit: (tx: TransactionPayload) => void): Message => {
    const tx = sampleTransaction();
    edit(tx);
    return messageWith(tx);
  };

  test("the sample transaction is valid and round-trips", () => {
    const msg = withTx(() => {});
    assert.deepEqual(roundTrip(msg), msg);
  });

  test("inputs: count, order, uniqueness, output index", () => {
    assertCode(
      () =>
        roundTrip(
          withTx((tx) => {
            tx.essence.inputs = [];
            tx.unlockBlocks = [];
          }),
        ),
      "PROTO_INPUTS",
    );
    assertCode(
      () => roundTrip(withTx((tx) => tx.essence.inputs.reverse())),
      "PROTO_INPUTS",
      "sorted ascending by their serialized bytes",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.inputs[1] = input(1, 0)))),
      "PROTO_INPUTS",
      "unique",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.inputs[2] = input(2, 127)))),
      "PROTO_INPUTS",
      "at most 126",
    );
    assert.ok(roundTrip(withTx((tx) => (tx.essence.inputs[2] = input(2, 126)))));
  });

  test("outputs: count, order, amounts, supply, dust allowance, unique address per type", () => {
    assertCode(() => roundTrip(withTx((tx) => (tx.essence.outputs = []))), "PROTO_OUTPUTS");
    assertCode(
      () => roundTrip(withTx((tx) => tx.essence.outputs.reverse())),
      "PROTO_OUTPUTS",
      "sorted ascending",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.outputs[0] = output(5, 0n)))),
      "PROTO_AMOUNT",
      "greater than zero",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.outputs[0] = output(5, 2779530283277762n)))),
      "PROTO_AMOUNT",
      "total supply",
    );
    assertCode(
      () =>
        roundTrip(
          withTx((tx) => {
            tx.essence.outputs = [output(5, 2779530283277761n), output(6, 1_000_000n, 1)];
          }),
        ),
      "PROTO_AMOUNT",
      "sum",
    );
    assert.ok(
      roundTrip(
        withTx(
          (tx) =>
            (tx.essence.outputs = [output(5, 2779530283277761n - 1_000_000n), output(6, 1_000_000n, 1)]),
        ),
      ),
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.outputs[1] = output(6, 999_999n, 1)))),
      "PROTO_AMOUNT",
      "dust allowance",
    );
    // A dust SigLockedSingleOutput (< 1 Mi) is syntactically fine.
    assert.ok(roundTrip(withTx((tx) => (tx.essence.outputs[0] = output(5, 1n)))));
    assertCode(
      () => roundTrip(withTx((tx) => (tx.essence.outputs = [output(5, 1n), output(5, 2n)]))),
      "PROTO_OUTPUTS",
      "distinct addresses",
    );
    // The same address may appear once per output type.
    assert.ok(roundTrip(withTx((tx) => (tx.essence.outputs = [output(5, 1n), output(5, 1_000_000n, 1)]))));
  });

  test("unlock blocks: count, references, unique signatures", () => {
    assertCode(
      () => roundTrip(withTx((tx) => tx.unlockBlocks.pop())),
      "PROTO_UNLOCK_BLOCKS",
      "must equal input count",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.unlockBlocks[1] = { type: 1, reference: 1 }))),
      "PROTO_UNLOCK_BLOCKS",
      "earlier signature",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.unlockBlocks[1] = { type: 1, reference: 2 }))),
      "PROTO_UNLOCK_BLOCKS",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.unlockBlocks[2] = { type: 1, reference: 1 }))),
      "PROTO_UNLOCK_BLOCKS",
      "earlier signature",
    );
    assertCode(
      () => roundTrip(withTx((tx) => (tx.unlockBlocks[2] = sigBlock(7, 8)))),
      "PROTO_UNLOCK_BLOCKS",
      "unique",
    );
    // Same key, different signature bytes: the blocks differ, so this is syntactically allowed.
    assert.ok(roundTrip(withTx((tx) => (tx.unlockBlocks[2] = sigBlock(7, 9)))));
  });

  test("a transaction essence may only carry an indexation", () => {
    const tx = sampleTransaction();
    (tx.essence as { payload: unknown }).payload = sampleReceipt();
    assertCode(() => serializeMessage(messageWith(tx)), "PROTO_UNKNOWN_PAYLOAD");
  });
});

describe("milestone rules", () => {
  const parents = [id32(1), id32(2)];
  const withMs = (edit: (ms: MilestonePayload) => void): Message => {
    const ms = sampleMilestone(parents.map((p) => p.slice()));
    edit(ms);
    return messageWith(ms, parents);
  };

  test("the sample milestone (with receipt) is valid and round-trips", () => {
    const msg = withMs(() => {});
    assert.deepEqual(roundTrip(msg), msg);
  });

  test("parents must equal the message parents", () => {
    assertCode(() => roundTrip(withMs((ms) => (ms.parents = [id32(1), id32(3)]))), "PROTO_MILESTONE_PARENTS");
    assertCode(() => roundTrip(withMs((ms) => (ms.parents = [id32(1)]))), "PROTO_MILESTONE_PARENTS");
  });

  test("keys sorted and unique; one signature per key", () => {
    assertCode(() => roundTrip(withMs((ms) => ms.publicKeys.reverse())), "PROTO_MILESTONE_KEYS", "sorted");
    assertCode(() => roundTrip(withMs((ms) => (ms.publicKeys = [id32(1), id32(1)]))), "PROTO_MILESTONE_KEYS");
    assertCode(
      () =>
        roundTrip(
          withMs((ms) => {
            ms.publicKeys = [];
            ms.signatures = [];
          }),
        ),
      "PROTO_MILESTONE_KEYS",
    );
    assertCode(() => roundTrip(withMs((ms) => ms.signatures.pop())), "PROTO_MILESTONE_KEYS", "one signature");
  });

  test("next PoW score needs a later milestone index", () => {
    assertCode(
      () =>
        roundTrip(
          withMs((ms) => {
            ms.nextPoWScore = 2000;
            ms.nextPoWScoreMilestoneIndex = ms.index;
          }),
        ),
      "PROTO_MILESTONE_POW_SCORE",
    );
    assertCode(() => roundTrip(withMs((ms) => (ms.nextPoWScore = 2000))), "PROTO_MILESTONE_POW_SCORE");
    const ok = withMs((ms) => {
      ms.nextPoWScore = 2000;
      ms.nextPoWScoreMilestoneIndex = ms.index + 1;
    });
    assert.equal((roundTrip(ok).payload as MilestonePayload).nextPoWScore, 2000);
  });

  test("receipt rules", () => {
    assertCode(() => roundTrip(withMs((ms) => ms.receipt!.funds.reverse())), "PROTO_RECEIPT", "sorted");
    assertCode(() => roundTrip(withMs((ms) => (ms.receipt!.funds = []))), "PROTO_RECEIPT");
    assertCode(
      () => roundTrip(withMs((ms) => (ms.receipt!.funds[0]!.deposit = 999_999n))),
      "PROTO_RECEIPT",
      "deposit",
    );
    assertCode(
      () => roundTrip(withMs((ms) => (ms.receipt!.funds[1] = ms.receipt!.funds[0]!))),
      "PROTO_RECEIPT",
      "unique",
    );
  });
});

describe("standalone payloads", () => {
  test("receipt round trip through deserializePayload", () => {
    const r = sampleReceipt();
    const bytes = serializePayload(r);
    assert.equal(new DataView(bytes.buffer).getUint32(0, true), 3);
    assert.deepEqual(deserializePayload(bytes), r);
  });

  test("trailing bytes after a standalone payload", () => {
    const bytes = serializePayload(sampleReceipt());
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assertCode(() => deserializePayload(longer), "PROTO_TRAILING_BYTES");
  });
});

describe("serializer argument checks", () => {
  test("wrong field lengths and ranges are PROTO_INVALID_FIELD", () => {
    assertCode(
      () => serializeMessage(messageWith(null, [new Uint8Array(31)])),
      "PROTO_INVALID_FIELD",
      "parents[0]",
    );
    assertCode(() => serializeMessage({ ...messageWith(null), nonce: -1n }), "PROTO_INVALID_FIELD", "nonce");
    const tx = sampleTransaction();
    tx.essence.inputs[0]!.transactionOutputIndex = 70000;
    assertCode(() => serializeMessage(messageWith(tx)), "PROTO_INVALID_FIELD", "transactionOutputIndex");
  });

  test("deserializeMessage refuses non-bytes", () => {
    assertCode(() => deserializeMessage("00" as unknown as Uint8Array), "PROTO_INVALID_ARGUMENT");
  });
});

describe("output IDs", () => {
  test("transaction ID || u16 LE index", () => {
    const id = outputId(id32(0xab), 0x0102);
    assert.equal(toHex(id), `${"ab".repeat(32)}0201`);
    const parsed = parseOutputId(id);
    assert.equal(parsed.outputIndex, 0x0102);
    assert.equal(toHex(parsed.transactionId), "ab".repeat(32));
    assertCode(() => outputId(id32(1), 65536), "PROTO_INVALID_ARGUMENT");
    assertCode(() => parseOutputId(new Uint8Array(33)), "PROTO_INVALID_ARGUMENT");
  });
});

test("ProtocolError carries code, field and name", () => {
  try {
    deserializeMessage(serializeMessage(messageWith(null, [id32(2), id32(1)])));
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.name, "ProtocolError");
    assert.equal(err.code, "PROTO_PARENTS_ORDER");
    assert.equal(err.field, "parentMessageIds");
    assert.equal(err.message, "parents must be sorted ascending and unique");
  }
});
