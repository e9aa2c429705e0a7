import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unwatchFile,
  watchFile,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { splitHostPort } from "../../config/common.ts";
import { type GatewayConfig, gatewayConfigSchema } from "../../config/gateway.ts";
import { ConfigError, loadConfigFile } from "../../config/load.ts";
import { StingerError } from "../../util/errors.ts";
import { RestartBackoff } from "../../util/restart-backoff.ts";
import { CERT_FILE, renderHaproxy } from "./render.ts";
import { haproxyUnsupported } from "./support.ts";

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** The config's first refusal for the HAProxy engine, as the one-line error `stinger gateway` prints. */
export function assertHaproxyCanRun(config: GatewayConfig): void {
  const bad = haproxyUnsupported(config);
  if (bad) throw new ConfigError(`${bad.key}: not supported with --engine haproxy: ${bad.why}`);
  for (const [key, bind] of [
    ["bindAddress", config.bindAddress],
    ["adminBindAddress", config.adminBindAddress],
  ] as const)
    if (splitHostPort(bind).port === 0)
      throw new ConfigError(`${key}: --engine haproxy needs a fixed port, not 0`);
}

/** `haproxy -c`: null when valid, else its first alert line. */
export function checkHaproxyConfig(binary: string, cfgFile: string): string | null {
  const r = spawnSync(binary, ["-c", "-f", cfgFile], { encoding: "utf8" });
  if (r.error) return `cannot run ${binary}: ${r.error.message} (apt-get install haproxy)`;
  if (r.status === 0) return null;
  const alert = `${r.stderr}${r.stdout}`.split("\n").find((l) => l.includes("ALERT")) ?? r.stderr.trim();
  return alert.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, "");
}

/**
 * The HAProxy engine's control plane: renders the gateway config into a run folder (config, API-key
 * maps, the certificate and key joined as HAProxy loads them), checks it with `haproxy -c`, runs
 * HAProxy in master-worker mode, reloads it without dropping connections (SIGUSR2 to the master)
 * when the config or certificate files change or on SIGHUP, and starts it again with back-off when it
 * exits. A change that does not validate is logged and the running configuration kept.
 */
export class HaproxySupervisor {
  private readonly runDir: string;
  private readonly ownRunDir: boolean;
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly backoff = new RestartBackoff();
  private startedAt = 0;
  private watched: string[] = [];

  constructor(
    private config: GatewayConfig,
    private readonly configFile: string,
    private readonly log: Logger,
  ) {
    assertHaproxyCanRun(config);
    this.ownRunDir = config.haproxy.runDir === undefined;
    this.runDir = config.haproxy.runDir ?? mkdtempSync(join(tmpdir(), "stinger-haproxy-"));
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    chmodSync(this.runDir, 0o700);
  }

  get cfgFile(): string {
    return join(this.runDir, "haproxy.cfg");
  }

  async start(): Promise<{ url: string; adminUrl: string }> {
    this.writeFiles(this.config);
    const problem = checkHaproxyConfig(this.config.haproxy.binary, this.cfgFile);
    if (problem)
      throw new StingerError("haproxy_config", `haproxy refused the rendered configuration: ${problem}`);
    this.spawn();
    const adminUrl = `http://${this.config.adminBindAddress}/metrics`;
    await this.waitReady(adminUrl);
    this.watch();
    return { url: `${this.config.tls ? "https" : "http"}://${this.config.bindAddress}`, adminUrl };
  }

  /** Re-reads the gateway config and certificate and reloads HAProxy with them, if they validate. */
  reload(reason: string): void {
    if (this.stopping) return;
    let next: GatewayConfig;
    try {
      next = loadConfigFile(gatewayConfigSchema, this.configFile);
      assertHaproxyCanRun(next);
      this.writeFiles(next);
    } catch (err) {
      this.log.error(
        { err: String(err instanceof Error ? err.message : err), reason },
        "haproxy reload refused",
      );
      this.writeFiles(this.config);
      return;
    }
    const problem = checkHaproxyConfig(next.haproxy.binary, this.cfgFile);
    if (problem) {
      this.log.error({ problem, reason }, "haproxy reload refused; keeping the running configuration");
      this.writeFiles(this.config);
      return;
    }
    this.config = next;
    this.child?.kill("SIGUSR2");
    this.log.info({ reason }, "haproxy reloaded");
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const f of this.watched) unwatchFile(f);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    }
    if (this.ownRunDir) rmSync(this.runDir, { recursive: true, force: true });
  }

  private writeFiles(config: GatewayConfig): void {
    const rendered = renderHaproxy(config, this.runDir);
    for (const [name, text] of Object.entries(rendered))
      writeFileSync(join(this.runDir, name), text, { mode: 0o600 });
    if (config.tls) {
      // HAProxy wants certificate and key in one file; it holds the key, so 0600 in a 0700 folder.
      const pem = Buffer.concat([
        readFileSync(config.tls.certFile),
        Buffer.from("\n"),
        readFileSync(config.tls.keyFile),
      ]);
      writeFileSync(join(this.runDir, CERT_FILE), pem, { mode: 0o600 });
    }
  }

  private spawn(): void {
    // Master-worker in the foreground; HAProxy's access log (stdout) goes where stinger's log goes.
    const child = spawn(this.config.haproxy.binary, ["-W", "-db", "-f", this.cfgFile], {
      stdio: ["ignore", 2, 2],
    });
    this.child = child;
    this.startedAt = Date.now();
    child.on("error", (err) => this.log.error({ err: err.message }, "haproxy could not start"));
    child.on("exit", (code, signal) => {
      if (this.child !== child || this.stopping) return;
      const delay = this.backoff.next(Date.now() - this.startedAt);
      this.log.error({ code, signal, restartInMs: delay }, "haproxy exited; starting it again");
      // Not unref'd: while HAProxy is down this timer is all that keeps the supervisor alive.
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, delay);
    });
  }

  private async waitReady(adminUrl: string): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined)
        throw new StingerError("haproxy_exit", `haproxy exited with ${this.child.exitCode} at start`);
      const ok = await fetch(adminUrl).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new StingerError(
      "haproxy_start",
      `haproxy did not answer on ${adminUrl} within ${READY_TIMEOUT_MS} ms`,
    );
  }

  private watch(): void {
    const files = [
      this.configFile,
      ...(this.config.tls ? [this.config.tls.certFile, this.config.tls.keyFile] : []),
    ];
    const interval = this.config.tls?.reloadCheckMs ?? 1000;
    for (const f of files) watchFile(f, { interval, persistent: false }, () => this.reload(`${f} changed`));
    this.watched = files;
  }
}
