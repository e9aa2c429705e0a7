import { jwtVerify, SignJWT } from "jose";
import type { NodeIdentity } from "../identity/identity.ts";

/** Issues a Hornet-style API token: HS256 over the node's key, aud = iss = peer ID, sub = salt. */
export async function issueApiToken(identity: NodeIdentity, salt: string, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ api: true, dashboard: false })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(salt)
    .setIssuer(identity.peerId)
    .setAudience(identity.peerId)
    .setJti(String(iat))
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .sign(identity.marshalledPrivateKey);
}

/** True when the token is a valid API token for this node (jose compares the MAC in constant time). */
export async function verifyApiToken(token: string, identity: NodeIdentity, salt: string): Promise<boolean> {
  try {
    const { payload } = await jwtVerify(token, identity.marshalledPrivateKey, {
      algorithms: ["HS256"],
      audience: identity.peerId,
      subject: salt,
    });
    return payload.api === true;
  } catch {
    return false;
  }
}
