// Algorithm ratings kept as data so they can follow new advice without touching the checks. Sources: CIS
// Debian 12 §5.1.6/5.1.12/5.1.15, ssh-audit's database and the OpenSSH release notes (as of 2026).

export interface WeakAlgorithm {
  /** Exact name, or a prefix ending in "*". */
  pattern: string;
  why: string;
}

export const WEAK_CIPHERS: WeakAlgorithm[] = [
  { pattern: "3des-cbc", why: "64-bit block cipher (Sweet32)" },
  { pattern: "blowfish-cbc", why: "64-bit block cipher" },
  { pattern: "cast128-cbc", why: "64-bit block cipher" },
  { pattern: "arcfour*", why: "RC4 is broken" },
  { pattern: "aes128-cbc", why: "CBC mode (plaintext recovery attacks, Terrapin with EtM MACs)" },
  { pattern: "aes192-cbc", why: "CBC mode" },
  { pattern: "aes256-cbc", why: "CBC mode" },
  { pattern: "rijndael-cbc@lysator.liu.se", why: "CBC mode, obsolete alias" },
];

export const WEAK_MACS: WeakAlgorithm[] = [
  { pattern: "hmac-md5*", why: "MD5" },
  { pattern: "hmac-ripemd160*", why: "RIPEMD-160, obsolete" },
  { pattern: "hmac-sha1-96*", why: "truncated SHA-1 tag" },
  { pattern: "umac-64*", why: "64-bit tag" },
  { pattern: "hmac-sha1", why: "SHA-1 (encrypt-and-MAC)" },
  { pattern: "hmac-sha1-etm@openssh.com", why: "SHA-1" },
];

export const WEAK_KEX: WeakAlgorithm[] = [
  { pattern: "diffie-hellman-group1-sha1", why: "1024-bit group, SHA-1 (Logjam)" },
  { pattern: "diffie-hellman-group14-sha1", why: "SHA-1" },
  { pattern: "diffie-hellman-group-exchange-sha1", why: "SHA-1" },
];

/** The lists the hardener and the fix texts recommend (all supported by OpenSSH 9.2). */
export const RECOMMENDED = {
  // No chacha20-poly1305: without strict key exchange it is open to Terrapin (CVE-2023-48795), and
  // the AES-GCM ciphers are as fast on CPUs with AES instructions.
  ciphers: "aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr",
  macs: "hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com",
  kexalgorithms:
    "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512",
};

export function matchesWeak(name: string, list: WeakAlgorithm[]): WeakAlgorithm | undefined {
  return list.find((w) =>
    w.pattern.endsWith("*") ? name.startsWith(w.pattern.slice(0, -1)) : name === w.pattern,
  );
}
