// Inclusion Merkle tree hash over message IDs (TIP-4 / RFC-0012, RFC 6962 style domain separation).
import { blake2b256 } from "./blake2b.ts";

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** Largest power of two strictly less than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function treeHash(ids: Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return blake2b256(LEAF_PREFIX, ids[start]!);
  const k = splitPoint(n);
  return blake2b256(NODE_PREFIX, treeHash(ids, start, start + k), treeHash(ids, start + k, end));
}

/** MTH(ids); the empty list hashes to BLAKE2b-256 of nothing. Order matters (white-flag order). */
export function merkleRoot(ids: Uint8Array[]): Uint8Array {
  if (ids.length === 0) return blake2b256(new Uint8Array(0));
  return treeHash(ids, 0, ids.length);
}
