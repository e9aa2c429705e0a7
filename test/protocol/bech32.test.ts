import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  bech32Decode,
  bech32Encode,
  decodeAddress,
  ed25519Address,
  encodeAddress,
} from "../../src/protocol/bech32.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { assertCode } from "./_helpers.ts";
import { loadVector } from "./_vectors.ts";

interface Tip11Vector {
  publicKey: string;
  address: string;
  hrp: string;
  bech32: string;
}
interface Bip173Vectors {
  valid: string[];
  invalid: { string: string; reason: string }[];
  bech32mValid: string[];
}
interface HornetKeys {
  faucet: { publicKey: string; address: string; bech32: Record<string, string> };
}

describe("bech32 addresses (TIP-11)", () => {
  for (const v of loadVector<Tip11Vector[]>("tip11-bech32.json")) {
    test(`${v.hrp}: public key -> address -> bech32 -> address`, () => {
      const addr = ed25519Address(fromHex(v.publicKey));
      assert.equal(toHex(addr), v.address);
      assert.equal(encodeAddress(v.hrp, addr), v.bech32);
      assert.equal(encodeAddress(v.hrp, { type: 0, address: addr }), v.bech32);
      assert.equal(v.bech32.length, 64);
      const decoded = decodeAddress(v.bech32);
      assert.equal(decoded.hrp, v.hrp);
      assert.equal(decoded.address.type, 0);
      assert.equal(toHex(decoded.address.address), v.address);
      // BIP-173: an all-upper-case string is the same address.
      assert.equal(toHex(decodeAddress(v.bech32.toUpperCase()).address.address), v.address);
    });
  }

  test("Hornet private-tangle faucet address (atoi and rms HRPs)", () => {
    const k = loadVector<HornetKeys>("hornet-private-tangle-keys.json").faucet;
    const addr = ed25519Address(fromHex(k.publicKey));
    assert.equal(toHex(addr), k.address);
    for (const [hrp, str] of Object.entries(k.bech32)) {
      assert.equal(encodeAddress(hrp, addr), str);
      assert.deepEqual(decodeAddress(str), { hrp, address: { type: 0, address: addr } });
    }
  });
});

describe("bech32 errors", () => {
  const good = "iota1qrhacyfwlcnzkvzteumekfkrrwks98mpdm37cj4xx3drvmjvnep6xqgyzyx";

  test("checksum", () => {
    assertCode(() => decodeAddress(`${good.slice(0, -1)}y`), "PROTO_BECH32", "checksum");
    // One flipped data character.
    assertCode(() => decodeAddress(good.replace("qrhac", "qrhad")), "PROTO_BECH32", "checksum");
  });

  test("mixed case, bad characters, missing separator, too long", () => {
    assertCode(() => decodeAddress(`I${good.slice(1)}`), "PROTO_BECH32", "mixes");
    assertCode(() => decodeAddress(good.replace("qrh", "qbh")), "PROTO_BECH32", "invalid character");
    assertCode(() => decodeAddress("qrhacyfwlcnzkvzteumekfkrrwks98mpdm"), "PROTO_BECH32");
    assertCode(() => decodeAddress(`iota1${"q".repeat(90)}`), "PROTO_BECH32", "90");
    assertCode(() => decodeAddress(1 as unknown as string), "PROTO_BECH32");
  });

  test("address type must be Ed25519 (0) with 32 bytes", () => {
    const alias = new Uint8Array(33);
    alias[0] = 8;
    assertCode(() => decodeAddress(bech32Encode("iota", alias)), "PROTO_BECH32", "not Ed25519");
    assertCode(() => decodeAddress(bech32Encode("iota", new Uint8Array(21))), "PROTO_BECH32", "32 bytes");
    assertCode(() => encodeAddress("iota", new Uint8Array(31)), "PROTO_BECH32", "32 bytes");
  });

  test("hrp must be lower-case printable", () => {
    assertCode(() => encodeAddress("IOTA", new Uint8Array(32)), "PROTO_BECH32");
    assertCode(() => encodeAddress("", new Uint8Array(32)), "PROTO_BECH32");
  });
});

describe("generic bech32 (BIP-173 vectors)", () => {
  const v = loadVector<Bip173Vectors>("bip173-bech32.json");

  for (const str of v.valid) {
    test(`valid: ${str.slice(0, 24)}`, () => {
      const { hrp, data } = bech32Decode(str);
      assert.equal(hrp, str.slice(0, str.lastIndexOf("1")).toLowerCase());
      // Re-encoding gives the lower-case form back.
      assert.equal(bech32Encode(hrp, data), str.toLowerCase());
    });
  }

  for (const c of v.invalid) {
    test(`invalid (${c.reason}): ${JSON.stringify(c.string).slice(0, 26)}`, () => {
      assertCode(() => bech32Decode(c.string), "PROTO_BECH32");
    });
  }

  for (const str of v.bech32mValid) {
    test(`bech32m string is refused: ${str.slice(0, 24)}`, () => {
      assertCode(() => bech32Decode(str), "PROTO_BECH32", "checksum");
    });
  }
});
