// Milestone essence, signing and signature verification (TIP-8).
import { ByteWriter } from "./binary.ts";
import { blake2b256 } from "./blake2b.ts";
import { compareBytes } from "./bytes.ts";
import { writeMilestoneEssence } from "./codec.ts";
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from "./ed25519.ts";
import { ProtocolError } from "./errors.ts";
import { toHex } from "./hex.ts";
import { type MilestonePayload, PAYLOAD_MILESTONE, type ReceiptPayload } from "./types.ts";

export type MilestoneEssenceFields = Omit<MilestonePayload, "signatures" | "type">;

/** Essence bytes: index .. receipt, including the u32 receipt length (0 without a receipt). */
export function milestoneEssence(ms: MilestoneEssenceFields | MilestonePayload): Uint8Array {
  const w = new ByteWriter(256);
  writeMilestoneEssence(w, ms, "milestone");
  return w.finish();
}

/** What every milestone signature signs: BLAKE2b-256 of the essence. */
export function milestoneEssenceHash(ms: MilestoneEssenceFields | MilestonePayload): Uint8Array {
  return blake2b256(milestoneEssence(ms));
}

export interface MilestoneFields {
  index: number;
  /** Unix seconds. */
  timestamp: bigint | number;
  /** Must equal the enclosing message's parents (sorted). */
  parents: Uint8Array[];
  inclusionMerkleProof: Uint8Array;
  nextPoWScore?: number;
  nextPoWScoreMilestoneIndex?: number;
  receipt?: ReceiptPayload | null;
}

/** Builds and signs a milestone; keys are sorted ascending and signatures follow that order. */
export function signMilestone(fields: MilestoneFields, seeds: Uint8Array[]): MilestonePayload {
  if (seeds.length === 0)
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "at least one signing seed is required");
  const signers = seeds
    .map((seed) => ({ seed, publicKey: ed25519PublicKey(seed) }))
    .sort((a, b) => compareBytes(a.publicKey, b.publicKey));
  const essence: MilestoneEssenceFields = {
    index: fields.index,
    timestamp: BigInt(fields.timestamp),
    parents: fields.parents,
    inclusionMerkleProof: fields.inclusionMerkleProof,
    nextPoWScore: fields.nextPoWScore ?? 0,
    nextPoWScoreMilestoneIndex: fields.nextPoWScoreMilestoneIndex ?? 0,
    publicKeys: signers.map((s) => s.publicKey),
    receipt: fields.receipt ?? null,
  };
  const hash = milestoneEssenceHash(essence);
  return {
    type: PAYLOAD_MILESTONE,
    ...essence,
    signatures: signers.map((s) => ed25519Sign(s.seed, hash)),
  };
}

export interface VerifyMilestoneOptions {
  /** Keys applicable at this milestone index: raw 32-byte keys, hex strings, or a set of hex. */
  applicableKeys: readonly (Uint8Array | string)[] | ReadonlySet<string>;
  /** Minimum number of keys/signatures (Hornet `protocol.milestonePublicKeyCount`). */
  threshold: number;
}

function keySet(keys: VerifyMilestoneOptions["applicableKeys"]): Set<string> {
  const out = new Set<string>();
  for (const k of keys) out.add(typeof k === "string" ? k.toLowerCase() : toHex(k));
  return out;
}

/**
 * Checks the signature block: at least `threshold` keys, keys sorted and unique, every key
 * applicable, one valid signature per key over BLAKE2b-256(essence). Throws
 * PROTO_MILESTONE_KEYS or PROTO_INVALID_SIGNATURE.
 */
export function verifyMilestone(ms: MilestonePayload, opts: VerifyMilestoneOptions): void {
  const { threshold } = opts;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new ProtocolError("PROTO_INVALID_ARGUMENT", "milestone signature threshold must be at least 1");
  }
  const applicable = keySet(opts.applicableKeys);
  if (threshold > applicable.size) {
    throw new ProtocolError(
      "PROTO_MILESTONE_KEYS",
      `signature threshold ${threshold} exceeds the ${applicable.size} applicable keys`,
    );
  }
  const keys = ms.publicKeys;
  if (keys.length < threshold) {
    throw new ProtocolError(
      "PROTO_MILESTONE_KEYS",
      `milestone has ${keys.length} public keys, fewer than the threshold ${threshold}`,
      { field: "publicKeys" },
    );
  }
  if (ms.signatures.length !== keys.length) {
    throw new ProtocolError(
      "PROTO_MILESTONE_KEYS",
      "a milestone must have exactly one signature per public key",
      {
        field: "signatures",
      },
    );
  }
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && compareBytes(keys[i - 1]!, keys[i]!) >= 0) {
      throw new ProtocolError(
        "PROTO_MILESTONE_KEYS",
        "milestone public keys must be sorted ascending and unique",
        {
          field: "publicKeys",
        },
      );
    }
    if (!applicable.has(toHex(keys[i]!))) {
      throw new ProtocolError(
        "PROTO_MILESTONE_KEYS",
        `milestone public key ${toHex(keys[i]!)} is not applicable`,
        {
          field: `publicKeys[${i}]`,
        },
      );
    }
  }
  const hash = milestoneEssenceHash(ms);
  for (let i = 0; i < keys.length; i++) {
    if (!ed25519Verify(keys[i]!, hash, ms.signatures[i]!)) {
      throw new ProtocolError("PROTO_INVALID_SIGNATURE", `milestone signature ${i} is invalid`, {
        field: `signatures[${i}]`,
      });
    }
  }
}
