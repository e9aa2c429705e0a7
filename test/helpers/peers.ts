import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { peerIdFromPublicKey } from "../../src/node/identity/identity.ts";
import { freeLoopbackPort } from "../../src/util/free-port.ts";
import { BIN } from "./devnet.ts";

export interface TestIdentity {
  /** PKCS#8 PEM, the form of a node's p2pstore/identity.key */
  pem: string;
  seed: Uint8Array;
  pub: Uint8Array;
  peerId: string;
}

/** A fresh Ed25519 node identity, so a test knows a node's peer ID before starting it. */
export function newIdentity(): TestIdentity {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  return {
    pem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    seed,
    pub,
    peerId: peerIdFromPublicKey(pub),
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a peer whose address must be known up front). */
export const freePort = freeLoopbackPort;

/** An API token for the node whose data folder is `dataDir` (`stinger jwt`). */
export function jwtFor(dataDir: string): string {
  const out = spawnSync(process.execPath, [BIN, "jwt", "--data-dir", dataDir], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`stinger jwt failed: ${out.stderr}`);
  return out.stdout.trim();
}
