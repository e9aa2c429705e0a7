// Property tests: lossless codec, JSON round trips, and "only ProtocolError escapes" for any
// bytes or JSON. fast-check prints the seed and counterexample on failure.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { b1t6Decode, b1t6Encode, tritsToTrytes, trytesToTrits } from "../../src/protocol/curl/b1t6.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { messageFromJson, messageToJson } from "../../src/protocol/json.ts";
import { deserializeMessage, serializeMessage, validateMessage } from "../../src/protocol/message.ts";
import { messageArb } from "./_arbitraries.ts";

/** Runs fn; returns its result, or the ProtocolError it threw. Anything else fails the test. */
function onlyProtocolErrors<T>(fn: () => T): T | ProtocolError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw new Error(`non-ProtocolError escaped: ${String(err)}`, { cause: err });
  }
}

describe("codec properties", () => {
  test("valid messages: encode -> decode (validated) -> encode is the identity", () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const bytes = serializeMessage(msg);
        const back = deserializeMessage(bytes);
        assert.deepEqual(back, msg);
        assert.equal(toHex(serializeMessage(back)), toHex(bytes));
        validateMessage(msg);
      }),
      { numRuns: 300 },
    );
  });

  test("valid messages: JSON text -> messageFromJson gives the same message", () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const text = JSON.stringify(messageToJson(msg));
        const back = messageFromJson(JSON.parse(text));
        assert.deepEqual(back, msg);
        assert.equal(JSON.stringify(messageToJson(back)), text);
      }),
      { numRuns: 300 },
    );
  });

  test("random bytes: only ProtocolError, in both modes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (bytes) => {
        onlyProtocolErrors(() => deserializeMessage(bytes));
        onlyProtocolErrors(() => deserializeMessage(bytes, { validate: false }));
      }),
      { numRuns: 2000 },
    );
  });

  test("single-byte mutations: only ProtocolError, and whatever decodes re-encodes to the same bytes", () => {
    const mutated = messageArb.chain((msg) => {
      const bytes = serializeMessage(msg);
      return fc
        .tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }))
        .map(([at, value]) => {
          const b = bytes.slice();
          b[at] = value;
          return b;
        });
    });
    fc.assert(
      fc.property(mutated, (bytes) => {
        for (const validate of [true, false]) {
          const r = onlyProtocolErrors(() => deserializeMessage(bytes, { validate }));
          if (!(r instanceof ProtocolError)) assert.equal(toHex(serializeMessage(r)), toHex(bytes));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("truncations are PROTO_TRUNCATED and extensions PROTO_TRAILING_BYTES", () => {
    const cut = messageArb.chain((msg) => {
      const bytes = serializeMessage(msg);
      return fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length - 1 }));
    });
    fc.assert(
      fc.property(cut, fc.uint8Array({ minLength: 1, maxLength: 8 }), ([bytes, n], extra) => {
        const r = onlyProtocolErrors(() => deserializeMessage(bytes.subarray(0, n), { validate: false }));
        assert.ok(r instanceof ProtocolError && r.code === "PROTO_TRUNCATED", String(r));
        const longer = new Uint8Array(bytes.length + extra.length);
        longer.set(bytes);
        longer.set(extra, bytes.length);
        const t = onlyProtocolErrors(() => deserializeMessage(longer, { validate: false }));
        assert.ok(t instanceof ProtocolError && t.code === "PROTO_TRAILING_BYTES", String(t));
      }),
      { numRuns: 300 },
    );
  });
});

// Every path to a value inside a JSON tree.
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) out.push(...paths(v[i], [...prefix, i]));
  } else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(parent)) delete parent[last];
  else parent[last] = value;
  return root;
}

describe("JSON input properties", () => {
  test("any JSON value: only ProtocolError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const r = onlyProtocolErrors(() => messageFromJson(json));
        if (!(r instanceof ProtocolError)) onlyProtocolErrors(() => validateMessage(r));
      }),
      { numRuns: 2000 },
    );
  });

  test("one field of a valid message's JSON replaced or removed: only ProtocolError", () => {
    const edited = messageArb.chain((msg) => {
      const json = JSON.parse(JSON.stringify(messageToJson(msg)));
      const all = paths(json);
      return fc
        .tuple(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
        .map(([path, value, remove]) => setAt(json, path, value, remove));
    });
    fc.assert(
      fc.property(edited, (json) => {
        const r = onlyProtocolErrors(() => messageFromJson(json));
        if (!(r instanceof ProtocolError)) {
          onlyProtocolErrors(() => validateMessage(r));
          onlyProtocolErrors(() => serializeMessage(r));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("encoding properties", () => {
  test("hex round trip", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        assert.deepEqual(fromHex(toHex(b)), b);
        assert.deepEqual(fromHex(toHex(b).toUpperCase()), b);
      }),
    );
  });

  test("b1t6 and tryte round trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const trits = b1t6Encode(b);
        assert.deepEqual(b1t6Decode(trits), b);
        assert.deepEqual(trytesToTrits(tritsToTrytes(trits)), trits);
      }),
    );
  });
});
