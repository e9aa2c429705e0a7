import { randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { verifyPassword } from "../dashboard-auth.ts";

export interface DashboardAuth {
  username: string;
  passwordHash: string;
  passwordSalt: string;
  sessionTimeoutMs: number;
  loginAttemptsPerMinute: number;
}

export type LoginResult =
  | { ok: true; token: string; expiresAt: number }
  | { ok: false; status: 401 | 429; message: string; retryAfterSeconds?: number };

const WINDOW_MS = 60_000;
const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Dashboard logins: the Hornet password check (scrypt, constant-time compare), failed attempts
 * counted per client address over a minute (over the limit: 429 before any scrypt is spent), and
 * sessions as HS256 JWTs under a key made at start (a restart ends every session).
 */
export class DashboardSessions {
  private readonly key = randomBytes(32);
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly auth: DashboardAuth) {}

  private recentFailures(client: string, now: number): number[] {
    const list = (this.failures.get(client) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length === 0) this.failures.delete(client);
    else this.failures.set(client, list);
    return list;
  }

  async login(client: string, username: unknown, password: unknown, now = Date.now()): Promise<LoginResult> {
    const recent = this.recentFailures(client, now);
    if (recent.length >= this.auth.loginAttemptsPerMinute) {
      const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
      return {
        ok: false,
        status: 429,
        message: "too many failed logins; try again later",
        retryAfterSeconds,
      };
    }
    const wellFormed =
      typeof username === "string" && typeof password === "string" && password.length <= 1024;
    // The password is checked for a wrong user too, so the answer takes as long either way.
    const passwordOk =
      wellFormed && verifyPassword(password as string, this.auth.passwordHash, this.auth.passwordSalt);
    const valid = wellFormed && passwordOk && username === this.auth.username;
    if (!valid) {
      if (this.failures.size >= MAX_TRACKED_CLIENTS && !this.failures.has(client)) this.failures.clear();
      this.failures.set(client, [...recent, now]);
      return { ok: false, status: 401, message: "wrong username or password" };
    }
    this.failures.delete(client);
    const expiresAt = now + this.auth.sessionTimeoutMs;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(this.auth.username)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .setAudience("stinger-dashboard")
      .sign(this.key);
    return { ok: true, token, expiresAt };
  }

  /** The session's user, or undefined for a missing, forged or expired token. */
  async verify(token: string | undefined): Promise<string | undefined> {
    if (!token || token.length > 2048) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ["HS256"],
        audience: "stinger-dashboard",
      });
      return payload.sub;
    } catch {
      return undefined;
    }
  }

  /** Failed logins counted for the client in the last minute. */
  failuresOf(client: string, now = Date.now()): number {
    return this.recentFailures(client, now).length;
  }
}
