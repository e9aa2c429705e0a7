// stinger pwd-hash: Hornet's dashboard password hash (scrypt N 2^15, r 8, p 1, 32 bytes), checked
// against an independent scrypt (@noble/hashes) and against the node's own verifier.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { scrypt } from "@noble/hashes/scrypt.js";
import { verifyPassword } from "../../src/node/dashboard-auth.ts";
import { BIN } from "../helpers/devnet.ts";

const pwdHash = (input: string, ...args: string[]) =>
  spawnSync(process.execPath, [BIN, "pwd-hash", ...args], { input, encoding: "utf8", timeout: 30_000 });

test("hashes the password read from stdin as Hornet does, with a random or given salt", () => {
  const salt = "ab".repeat(32);
  const r = pwdHash("correct horse battery staple\n", "--salt", salt, "--json");
  assert.equal(r.status, 0, r.stderr);
  const { passwordHash, passwordSalt } = JSON.parse(r.stdout) as {
    passwordHash: string;
    passwordSalt: string;
  };
  assert.equal(passwordSalt, salt);
  const expected = scrypt(
    new TextEncoder().encode("correct horse battery staple"),
    Buffer.from(salt, "hex"),
    {
      N: 2 ** 15,
      r: 8,
      p: 1,
      dkLen: 32,
    },
  );
  assert.equal(passwordHash, Buffer.from(expected).toString("hex"));
  assert.equal(verifyPassword("correct horse battery staple", passwordHash, passwordSalt), true);
  assert.equal(verifyPassword("correct horse battery stapler", passwordHash, passwordSalt), false);
  // Without --salt: a fresh 32-byte salt each time, printed as the two config keys.
  const a = pwdHash("x");
  const b = pwdHash("x");
  assert.match(
    a.stdout,
    /^dashboard\.auth\.passwordHash [0-9a-f]{64}\ndashboard\.auth\.passwordSalt [0-9a-f]{64}\n$/,
  );
  assert.notEqual(a.stdout, b.stdout);
});

test("refuses an empty password or a bad salt in one line, exit 2", () => {
  for (const [input, args, message] of [
    ["", [], /the password is empty/],
    ["pw", ["--salt", "abc"], /--salt: must be 64 hex characters/],
  ] as const) {
    const r = pwdHash(input, ...args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});
