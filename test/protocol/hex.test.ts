import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { fromHex, isHex, toHex } from "../../src/protocol/hex.ts";

describe("hex", () => {
  test("toHex writes lowercase, two chars per byte", () => {
    assert.equal(toHex(Uint8Array.from([0, 1, 0x0f, 0xab, 0xff])), "00010fabff");
    assert.equal(toHex(new Uint8Array(0)), "");
  });

  test("fromHex accepts either case", () => {
    assert.deepEqual(fromHex("00ABcdEf"), Uint8Array.from([0x00, 0xab, 0xcd, 0xef]));
    assert.deepEqual(fromHex(""), new Uint8Array(0));
  });

  test("fromHex round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(fromHex(toHex(all)), all);
  });

  for (const [input, len, why] of [
    ["abc", undefined, "odd length"],
    ["zz", undefined, "non-hex"],
    ["0x00", undefined, "0x prefix"],
    ["0g", undefined, "non-hex second nibble"],
    ["00é0", undefined, "non-ASCII"],
    ["0000", 3, "wrong length"],
  ] as const) {
    test(`fromHex rejects ${why}`, () => {
      assert.throws(
        () => fromHex(input, len),
        (err: unknown) => err instanceof ProtocolError && err.code === "PROTO_INVALID_HEX",
      );
    });
  }

  test("fromHex with expected length accepts the exact length", () => {
    assert.equal(fromHex("00".repeat(32), 32).length, 32);
  });

  test("isHex", () => {
    assert.equal(isHex("00ff"), true);
    assert.equal(isHex("00FF"), true);
    assert.equal(isHex(""), true);
    assert.equal(isHex("0"), false);
    assert.equal(isHex("0x"), false);
    assert.equal(isHex(12), false);
  });
});
