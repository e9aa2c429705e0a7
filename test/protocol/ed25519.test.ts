import assert from "node:assert/strict";
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { describe, test } from "node:test";
import { ed25519Address } from "../../src/protocol/bech32.ts";
import {
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  generateEd25519Seed,
} from "../../src/protocol/ed25519.ts";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { assertCode } from "./_helpers.ts";
import { loadVector } from "./_vectors.ts";

interface Tip14Case {
  address: string;
  message: string;
  pub_key: string;
  signature: string;
  valid: boolean;
}
interface HornetKeys {
  coordinator: { seed: string; publicKey: string }[];
  faucet: { seed: string; publicKey: string; address: string };
}

/** OpenSSL alone, as a reference for which cases need the ZIP-215 fallback. */
function openSslOnly(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  try {
    const der = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), pub]);
    return nodeVerify(null, msg, createPublicKey({ key: der, format: "der", type: "spki" }), sig);
  } catch {
    return false;
  }
}

describe("TIP-14 ZIP-215 vectors", () => {
  const cases = loadVector<Tip14Case[]>("tip14-ed25519.json");

  test("there are 12 cases, 8 valid", () => {
    assert.equal(cases.length, 12);
    assert.equal(cases.filter((c) => c.valid).length, 8);
  });

  // `valid` is about unlocking `address` (type byte 0 || BLAKE2b-256(key)) as a signature unlock
  // block would: the signature must verify and the key must hash to the address.
  cases.forEach((c, i) => {
    test(`case ${i}: ${c.valid ? "accept" : "reject"}`, () => {
      const pub = fromHex(c.pub_key);
      const sigOk = ed25519Verify(pub, fromHex(c.message), fromHex(c.signature));
      const addressOk = `00${toHex(ed25519Address(pub))}` === c.address;
      assert.equal(sigOk && addressOk, c.valid);
    });
  });

  test("case 10: the signature is ZIP-215 valid, only the address binding fails", () => {
    // TIP-14: for case 10 the address was computed from the reduced key, so the non-canonical
    // key bytes do not hash to it. ZIP-215 itself accepts the non-canonical encoding.
    const c = cases[10]!;
    assert.equal(c.valid, false);
    assert.equal(ed25519Verify(fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature)), true);
    assert.notEqual(`00${toHex(ed25519Address(fromHex(c.pub_key)))}`, c.address);
  });

  test("every other case's key hashes to its address, so ed25519Verify alone decides", () => {
    cases.forEach((c, i) => {
      if (i === 10) return;
      assert.equal(`00${toHex(ed25519Address(fromHex(c.pub_key)))}`, c.address, `case ${i}`);
      assert.equal(
        ed25519Verify(fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature)),
        c.valid,
        `case ${i}`,
      );
    });
  });

  test("some valid cases are refused by OpenSSL alone, so the fallback is exercised", () => {
    const refused = cases.filter(
      (c) => c.valid && !openSslOnly(fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature)),
    );
    assert.ok(refused.length >= 1, "expected OpenSSL to refuse at least one ZIP-215-valid case");
  });

  test("every case OpenSSL accepts is valid (OpenSSL is no laxer than ZIP-215)", () => {
    for (const c of cases) {
      if (openSslOnly(fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature)))
        assert.equal(c.valid, true);
    }
  });
});

describe("sign and verify", () => {
  const keys = loadVector<HornetKeys>("hornet-private-tangle-keys.json");

  for (const k of [...keys.coordinator, keys.faucet]) {
    test(`seed ${k.seed.slice(0, 8)}... -> public key ${k.publicKey.slice(0, 8)}...`, () => {
      assert.equal(toHex(ed25519PublicKey(fromHex(k.seed))), k.publicKey);
    });
  }

  test("faucet address is BLAKE2b-256 of its public key", () => {
    assert.equal(toHex(ed25519Address(ed25519PublicKey(fromHex(keys.faucet.seed)))), keys.faucet.address);
  });

  test("signatures verify; a changed message, key or signature does not", () => {
    const seed = fromHex(keys.coordinator[0]!.seed);
    const pub = ed25519PublicKey(seed);
    const msg = new TextEncoder().encode("stinger");
    const sig = ed25519Sign(seed, msg);
    assert.equal(sig.length, 64);
    assert.equal(ed25519Verify(pub, msg, sig), true);
    assert.equal(ed25519Verify(pub, new TextEncoder().encode("stingeR"), sig), false);
    assert.equal(ed25519Verify(fromHex(keys.coordinator[1]!.publicKey), msg, sig), false);
    const bad = sig.slice();
    bad[10]! ^= 1;
    assert.equal(ed25519Verify(pub, msg, bad), false);
  });

  test("S >= L is rejected (no malleable S + L)", () => {
    const seed = fromHex(keys.coordinator[0]!.seed);
    const pub = ed25519PublicKey(seed);
    const msg = Uint8Array.from([1, 2, 3]);
    const sig = ed25519Sign(seed, msg);
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
    const sPlusL = s + L;
    assert.ok(sPlusL < 2n ** 256n);
    const mall = sig.slice();
    for (let i = 0; i < 32; i++) mall[32 + i] = Number((sPlusL >> BigInt(8 * i)) & 0xffn);
    assert.equal(ed25519Verify(pub, msg, mall), false);
  });

  test("wrong lengths verify as false instead of throwing", () => {
    assert.equal(ed25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64)), false);
    assert.equal(ed25519Verify(new Uint8Array(32), new Uint8Array(1), new Uint8Array(63)), false);
    assert.equal(ed25519Verify(new Uint8Array(32).fill(0xff), new Uint8Array(1), new Uint8Array(64)), false);
  });

  test("seeds must be 32 bytes", () => {
    assertCode(() => ed25519Sign(new Uint8Array(31), new Uint8Array(0)), "PROTO_INVALID_ARGUMENT");
    assertCode(() => ed25519PublicKey(new Uint8Array(64)), "PROTO_INVALID_ARGUMENT");
  });

  test("generated seeds are 32 bytes and distinct", () => {
    const a = generateEd25519Seed();
    const b = generateEd25519Seed();
    assert.equal(a.length, 32);
    assert.notEqual(toHex(a), toHex(b));
    assert.equal(ed25519PublicKey(a).length, 32);
  });
});
