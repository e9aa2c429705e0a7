// OpenSSH 9.2p1 (Debian 12) compiled-in defaults, as `sshd -T -f /dev/null` prints them. Used only when
// sshd itself cannot be asked (absent binary, fixture roots): the parser starts from these values.
export const SSHD_DEFAULTS: Record<string, string> = {
  port: "22",
  addressfamily: "any",
  usepam: "no",
  logingracetime: "120",
  maxauthtries: "6",
  maxsessions: "10",
  maxstartups: "10:30:100",
  clientaliveinterval: "0",
  clientalivecountmax: "3",
  permitrootlogin: "without-password",
  ignorerhosts: "yes",
  hostbasedauthentication: "no",
  pubkeyauthentication: "yes",
  gssapiauthentication: "no",
  passwordauthentication: "yes",
  kbdinteractiveauthentication: "yes",
  x11forwarding: "no",
  strictmodes: "yes",
  permitemptypasswords: "no",
  gatewayports: "no",
  allowtcpforwarding: "yes",
  allowagentforwarding: "yes",
  allowstreamlocalforwarding: "yes",
  disableforwarding: "no",
  permittunnel: "no",
  permituserenvironment: "no",
  loglevel: "INFO",
  banner: "none",
  authenticationmethods: "any",
  ciphers:
    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
  macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
  kexalgorithms:
    "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
};

/** Keywords that may appear many times, every value counting (all others: the first value wins). */
export const SSHD_MULTI_KEYWORDS = new Set([
  "port",
  "listenaddress",
  "hostkey",
  "acceptenv",
  "setenv",
  "subsystem",
  "allowusers",
  "allowgroups",
  "denyusers",
  "denygroups",
  "hostcertificate",
  "authorizedkeysfile",
]);

/** Keywords taking a time ("2m", "1h30m"); sshd -T prints them in seconds. */
export const SSHD_TIME_KEYWORDS = new Set(["logingracetime", "clientaliveinterval"]);

/** Keywords whose value is an algorithm list that may be edited with +, - or ^ relative to the default. */
export const SSHD_ALGORITHM_KEYWORDS = new Set(["ciphers", "macs", "kexalgorithms"]);
