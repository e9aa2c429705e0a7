// The dashboard's own HTTP server (dashboard.bindAddress): the built page, the login, a read-only
// explorer over the node's public REST routes, the host audit report, and a WebSocket that pushes the
// live state every second to logged-in pages.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { dirname, join } from "node:path";
import type { Duplex } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import { splitHostPort } from "../../config/common.ts";
import { errorBody } from "../api/errors.ts";
import type { LiveState } from "./live.ts";
import type { DashboardSessions } from "./session.ts";

export interface DashboardServerOptions {
  bindAddress: string;
  sessions: DashboardSessions;
  live: LiveState;
  /** answers a GET on the node's REST API in process (Fastify inject) */
  explore: (path: string) => Promise<{ status: number; body: string }>;
  /** built page files: index.html, app.js, app.css */
  assetsDir: string;
  auditReportPath: string;
  /** runs `stinger audit --json` for this node; resolves with its stdout */
  runAudit: () => Promise<string>;
  log: Logger;
}

/** Strict: nothing inline, nothing from elsewhere; the page talks only to this server. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const ASSETS: Record<string, string> = {
  "/": "index.html",
  "/app.js": "app.js",
  "/app.css": "app.css",
};
const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/** The explorer reads these public routes only. */
const EXPLORER_ROUTE =
  /^\/api\/v1\/(?:messages\/[0-9a-fA-F]{64}(?:\/metadata|\/children)?|transactions\/[0-9a-fA-F]{64}\/included-message|outputs\/[0-9a-fA-F]{68}|addresses\/(?:ed25519\/)?[0-9a-zA-Z]{1,100}(?:\/outputs)?|milestones\/\d{1,10}(?:\/utxo-changes)?)$/;

/** The largest WebSocket frame a page may send (it sends one: its session token). */
export const MAX_WS_FRAME = 4096;
const AUTH_TIMEOUT_MS = 5000;

function sendError(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).type("application/json").send(errorBody(status, message));
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
}

export class DashboardServer {
  private readonly app: FastifyInstance;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_FRAME });
  private readonly sockets = new Set<WebSocket>();
  private timer: NodeJS.Timeout | undefined;
  private auditing: Promise<string> | undefined;
  url = "";

  constructor(private readonly opts: DashboardServerOptions) {
    const app = Fastify({ bodyLimit: 4096, logger: false, return503OnClosing: true });
    this.app = app;
    app.addHook("onSend", async (_req, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      return payload;
    });
    app.setNotFoundHandler((_req, reply) => sendError(reply, 404, "not found"));
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
      const status = err.statusCode ?? 500;
      if (status >= 500) opts.log.error({ err, url: req.url }, "dashboard request failed");
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE")
        return sendError(reply, 413, "request body is too large");
      return sendError(reply, status, status >= 500 ? "internal error" : err.message);
    });

    for (const [path, file] of Object.entries(ASSETS)) {
      app.get(path, async (_req, reply) => {
        const at = join(opts.assetsDir, file);
        if (!existsSync(at)) return sendError(reply, 503, "the dashboard is not built: run npm run build");
        return reply.type(TYPES[file]!).send(readFileSync(at));
      });
    }

    // Browsers ask for it whatever the page says: nothing to show, but not an error either.
    app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());

    app.post("/api/login", async (req, reply) => {
      const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
      if (typeof body !== "object" || Array.isArray(body))
        return sendError(reply, 400, "body must be a JSON object");
      const r = await opts.sessions.login(req.ip, body.username, body.password);
      if (r.ok) {
        opts.log.info({ remoteIp: req.ip }, "dashboard login");
        return { data: { token: r.token, expiresAt: r.expiresAt } };
      }
      // One line per refusal with the client address: what the fail2ban filter matches.
      opts.log.warn(
        {
          remoteIp: req.ip,
          user: typeof body.username === "string" ? body.username.slice(0, 64) : undefined,
          refused: r.status === 429 ? "rate_limited" : "bad_credentials",
          failures: opts.sessions.failuresOf(req.ip),
        },
        "dashboard login failed",
      );
      if (r.retryAfterSeconds !== undefined) reply.header("retry-after", String(r.retryAfterSeconds));
      return sendError(reply, r.status, r.message);
    });

    // Everything below needs a session.
    const authed = async (header: string | undefined, reply: FastifyReply): Promise<boolean> => {
      if (await opts.sessions.verify(bearer(header))) return true;
      await sendError(reply, 401, "not logged in, or the session expired");
      return false;
    };

    app.get("/api/session", async (req, reply) => {
      const user = await opts.sessions.verify(bearer(req.headers.authorization));
      if (!user) return sendError(reply, 401, "not logged in, or the session expired");
      return { data: { user } };
    });

    app.get("/api/state", async (req, reply) => {
      if (!(await authed(req.headers.authorization, reply))) return reply;
      return { data: opts.live.state() };
    });

    app.get("/api/explorer/*", async (req, reply) => {
      if (!(await authed(req.headers.authorization, reply))) return reply;
      const path = `/${(req.params as { "*": string })["*"]}`;
      if (!EXPLORER_ROUTE.test(path))
        return sendError(
          reply,
          400,
          "not something the explorer looks up (a message, transaction, output, address or milestone)",
        );
      const r = await opts.explore(path);
      return reply.code(r.status).type("application/json").send(r.body);
    });

    app.get("/api/audit", async (req, reply) => {
      if (!(await authed(req.headers.authorization, reply))) return reply;
      // No report yet is a state the pane shows, not an error.
      if (!existsSync(opts.auditReportPath)) return { data: { report: null, path: opts.auditReportPath } };
      try {
        const report = JSON.parse(readFileSync(opts.auditReportPath, "utf8")) as Record<string, unknown>;
        return { data: { report, writtenAt: statSync(opts.auditReportPath).mtimeMs } };
      } catch (err) {
        return sendError(reply, 503, `the audit report is unreadable: ${(err as Error).message}`);
      }
    });

    app.post("/api/audit/run", async (req, reply) => {
      if (!(await authed(req.headers.authorization, reply))) return reply;
      this.auditing ??= opts.runAudit().finally(() => (this.auditing = undefined));
      let out: string;
      let report: unknown;
      try {
        out = await this.auditing;
        report = JSON.parse(out);
      } catch (err) {
        return sendError(reply, 503, `the audit did not run: ${(err as Error).message.split("\n")[0]}`);
      }
      mkdirSync(dirname(opts.auditReportPath), { recursive: true });
      const tmp = `${opts.auditReportPath}.tmp`;
      writeFileSync(tmp, out, { mode: 0o600 });
      renameSync(tmp, opts.auditReportPath);
      opts.log.info({ path: opts.auditReportPath }, "host audit run from the dashboard");
      return { data: { report, writtenAt: Date.now() } };
    });

    app.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if ((req.url ?? "").split("?")[0] !== "/ws") {
        socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  /** The page's first frame is {"type":"auth","token"}; then it gets the state every second. */
  private onSocket(ws: WebSocket): void {
    let authed = false;
    const deadline = setTimeout(() => ws.close(4001, "no session token"), AUTH_TIMEOUT_MS);
    ws.on("error", () => {});
    ws.on("close", () => {
      clearTimeout(deadline);
      this.sockets.delete(ws);
    });
    ws.on("message", async (data, isBinary) => {
      if (authed) return;
      let msg: { type?: unknown; token?: unknown };
      try {
        msg = isBinary ? {} : JSON.parse(String(data));
      } catch {
        ws.close(4000, "frames must be JSON");
        return;
      }
      const user =
        msg?.type === "auth" && typeof msg.token === "string"
          ? await this.opts.sessions.verify(msg.token)
          : undefined;
      if (!user) {
        ws.close(4001, "not logged in, or the session expired");
        return;
      }
      authed = true;
      clearTimeout(deadline);
      this.sockets.add(ws);
      ws.send(JSON.stringify({ type: "state", data: this.opts.live.state() }));
    });
  }

  private async push(): Promise<void> {
    await this.opts.live
      .tick()
      .catch((err: Error) => this.opts.log.debug({ err: err.message }, "dashboard tick"));
    if (this.sockets.size === 0) return;
    const frame = JSON.stringify({ type: "state", data: this.opts.live.state() });
    for (const ws of this.sockets)
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20) ws.send(frame);
  }

  async start(): Promise<string> {
    const bind = splitHostPort(this.opts.bindAddress);
    await this.app.listen(bind);
    const addr = this.app.server.address();
    if (addr && typeof addr !== "string")
      this.url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
    if (!["127.0.0.1", "::1", "localhost"].includes(bind.host))
      this.opts.log.warn(
        { bindAddress: this.opts.bindAddress },
        "dashboard bound beyond loopback; put the gateway or an SSH tunnel in front of it",
      );
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      void this.push().finally(() => (running = false));
    }, 1000);
    this.timer.unref();
    return this.url;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await this.app.close();
  }
}

/** `stinger audit --json` for this node's config, as a child process (it reads the host for seconds). */
export function auditCommand(nodeConfig: string | undefined): () => Promise<string> {
  return () =>
    new Promise((resolve, reject) => {
      const entry = process.argv[1];
      if (!entry) return reject(new Error("cannot find the stinger command"));
      const args = [entry, "audit", "--json", ...(nodeConfig ? ["--node-config", nodeConfig] : [])];
      const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
      const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
      p.on("exit", (code) => {
        clearTimeout(timer);
        // The audit exits 1 when findings exceed its threshold: the report is still on stdout.
        if (out.trim().startsWith("{")) resolve(out);
        else reject(new Error(`stinger audit exited with ${code}: ${err.trim() || "no output"}`));
      });
    });
}
