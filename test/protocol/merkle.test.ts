import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromHex, toHex } from "../../src/protocol/hex.ts";
import { merkleRoot } from "../../src/protocol/merkle.ts";
import { loadVector } from "./_vectors.ts";

interface MerkleVector {
  leaves: string[];
  root: string;
  subtrees: { from: number; to: number; hash: string }[];
  emptyRoot: string;
}

describe("inclusion Merkle root (TIP-4)", () => {
  const v = loadVector<MerkleVector>("tip4-merkle.json");
  const leaves = v.leaves.map((l) => fromHex(l, 32));

  test("7 leaves -> documented root", () => {
    assert.equal(toHex(merkleRoot(leaves)), v.root);
  });

  // Each inner node of the TIP's drawing is the root of the matching slice (power-of-two split).
  for (const s of v.subtrees) {
    test(`slice [${s.from}, ${s.to}) -> ${s.hash.slice(0, 8)}...`, () => {
      assert.equal(toHex(merkleRoot(leaves.slice(s.from, s.to))), s.hash);
    });
  }

  test("empty list -> BLAKE2b-256 of nothing", () => {
    assert.equal(toHex(merkleRoot([])), v.emptyRoot);
  });

  test("order matters", () => {
    assert.notEqual(toHex(merkleRoot([...leaves].reverse())), v.root);
  });
});
