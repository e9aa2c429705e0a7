import { constants } from "node:crypto";
import type { SecureContextOptions, TlsOptions } from "node:tls";

/**
 * Mozilla's server-side TLS recommendations (ssl-config.mozilla.org, version 5.7). "intermediate": TLS
 * 1.2 with ECDHE key exchange and AEAD ciphers only, and TLS 1.3; "modern": TLS 1.3 only. Curves
 * X25519, P-256, P-384. CBC, CCM(8), ARIA, static RSA and DHE suites are never offered.
 * Mozilla leaves the choice to the client (all suites are strong); we keep server order (testssl rates
 * "no cipher order" high) with OpenSSL's PRIORITIZE_CHACHA, so a client that puts ChaCha20 first
 * (phones without AES instructions) still gets it, as it would with client order.
 */
export type TlsProfile = "intermediate" | "modern";

export const TLS12_AEAD_ECDHE = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
];
export const TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

export function tlsProfileOptions(profile: TlsProfile): TlsOptions & SecureContextOptions {
  return {
    minVersion: profile === "modern" ? "TLSv1.3" : "TLSv1.2",
    maxVersion: "TLSv1.3",
    // OpenSSL takes TLS 1.3 suites in the same list as the 1.2 ones (names that cannot clash).
    ciphers: [...TLS13, ...(profile === "modern" ? [] : TLS12_AEAD_ECDHE)].join(":"),
    ecdhCurve: "X25519:prime256v1:secp384r1",
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_PRIORITIZE_CHACHA,
    // No TLS compression or renegotiation surprises: Node/OpenSSL disable both already.
  };
}
