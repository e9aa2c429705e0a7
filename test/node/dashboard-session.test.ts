// Dashboard logins and sessions: the Hornet password check, sessions that expire after
// dashboard.auth.sessionTimeout, forged and foreign tokens refused, failed logins counted per client
// and refused with 429 (before any scrypt) once over the limit for a minute.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardSessions } from "../../src/node/dashboard/session.ts";
import { hashPassword } from "../../src/node/dashboard-auth.ts";

const { passwordHash, passwordSalt } = hashPassword("correct horse");
const sessions = (limit = 3, timeoutMs = 60_000) =>
  new DashboardSessions({
    username: "admin",
    passwordHash,
    passwordSalt,
    sessionTimeoutMs: timeoutMs,
    loginAttemptsPerMinute: limit,
  });

describe("dashboard sessions", () => {
  it("logs in with the right user and password only", async () => {
    const s = sessions();
    const ok = await s.login("10.0.0.1", "admin", "correct horse");
    assert.ok(ok.ok);
    assert.equal(await s.verify(ok.token), "admin");
    for (const [i, [user, password]] of [
      ["admin", "wrong"],
      ["root", "correct horse"],
      [1, "correct horse"],
      ["admin", { toString: () => "correct horse" }],
    ].entries()) {
      // One client each, so the failures do not add up to the limit.
      const r = await s.login(`10.0.1.${i}`, user, password);
      assert.deepEqual(r, { ok: false, status: 401, message: "wrong username or password" });
    }
  });

  it("ends a session at its timeout", async () => {
    const s = sessions(3, 2000);
    const past = Date.now() - 10_000;
    const r = await s.login("10.0.0.1", "admin", "correct horse", past);
    assert.ok(r.ok);
    assert.equal(r.expiresAt, past + 2000);
    assert.equal(await s.verify(r.token), undefined, "expired");
    const fresh = await s.login("10.0.0.1", "admin", "correct horse");
    assert.ok(fresh.ok && (await s.verify(fresh.token)) === "admin");
  });

  it("refuses forged tokens and another node's", async () => {
    const a = sessions();
    const b = sessions();
    const r = await a.login("10.0.0.1", "admin", "correct horse");
    assert.ok(r.ok);
    assert.equal(await b.verify(r.token), undefined, "signed by another process");
    const [head, body] = r.token.split(".");
    for (const t of [
      `${head}.${body}.`,
      `${head}.${body}.AAAA`,
      "x",
      "",
      `eyJhbGciOiJub25lIn0.${body}.`,
      "a".repeat(5000),
    ])
      assert.equal(await a.verify(t), undefined, t.slice(0, 40));
    assert.equal(await a.verify(undefined), undefined);
  });

  it("counts failures per client and answers 429 over the limit, for a minute", async () => {
    const s = sessions(3);
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await s.login("10.0.0.9", "admin", "no", t0 + i)).ok, false);
    assert.equal(s.failuresOf("10.0.0.9", t0 + 3), 3);
    const limited = await s.login("10.0.0.9", "admin", "correct horse", t0 + 10);
    assert.ok(!limited.ok && limited.status === 429 && (limited.retryAfterSeconds ?? 0) > 0);
    // Another client is not affected; after the minute this one may try again.
    assert.ok((await s.login("10.0.0.10", "admin", "correct horse", t0 + 10)).ok);
    assert.ok((await s.login("10.0.0.9", "admin", "correct horse", t0 + 61_000)).ok);
    assert.equal(s.failuresOf("10.0.0.9", t0 + 61_000), 0);
  });
});
