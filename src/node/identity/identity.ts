import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { base58 } from "@scure/base";
import { oneLine, StingerError } from "../../util/errors.ts";

export interface NodeIdentity {
  /** libp2p peer ID (12D3KooW...), also the audience of API tokens as in Hornet */
  peerId: string;
  publicKey: Uint8Array;
  /** libp2p protobuf-marshalled private key: Hornet's JWT HMAC key */
  marshalledPrivateKey: Uint8Array;
}

function rawKeys(key: KeyObject): { seed: Uint8Array; pub: Uint8Array } {
  const jwk = key.export({ format: "jwk" });
  return { seed: Buffer.from(jwk.d!, "base64url"), pub: Buffer.from(jwk.x!, "base64url") };
}

/** libp2p peer ID of an Ed25519 key: base58 of the identity multihash of the protobuf public key. */
export function peerIdFromPublicKey(pub: Uint8Array): string {
  const proto = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, 0x20]), pub]);
  return base58.encode(Buffer.concat([Buffer.from([0x00, proto.length]), proto]));
}

/**
 * Loads the node's Ed25519 identity (PKCS#8 PEM), creating it with mode 0600 on first start.
 * Refuses a key file that others can read: it is the node's API-token signing secret.
 */
export function loadOrCreateIdentity(path: string): NodeIdentity {
  let key: KeyObject;
  if (existsSync(path)) {
    try {
      key = createPrivateKey(readFileSync(path));
    } catch (err) {
      throw new StingerError(
        "KEY_INVALID",
        `${path}: not a PEM private key (${oneLine((err as Error).message)}); move it away to make a new identity`,
      );
    }
    if (key.asymmetricKeyType !== "ed25519")
      throw new StingerError("KEY_INVALID", `${path}: not an Ed25519 private key (${key.asymmetricKeyType})`);
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    key = generateKeyPairSync("ed25519").privateKey;
    writeFileSync(path, key.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  }
  chmodSync(path, 0o600);
  const { seed, pub } = rawKeys(key);
  createPublicKey(key); // throws early on a corrupt key
  return {
    peerId: peerIdFromPublicKey(pub),
    publicKey: pub,
    marshalledPrivateKey: Buffer.concat([Buffer.from([0x08, 0x01, 0x12, 0x40]), seed, pub]),
  };
}
