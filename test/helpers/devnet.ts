import type { ChildProcess, SpawnOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getFrom } from "./http.ts";
import { spawnOwned, stopOwned } from "./owned.ts";

export const BIN = new URL("../../bin/stinger", import.meta.url).pathname;

export interface RunningDevnet {
  url: string;
  metricsUrl: string;
  gossipAddress: string;
  /** node 0's MQTT over TCP (its WebSocket is `${url}/mqtt`) */
  mqttUrl: string;
  /** APIs of nodes 1.. when started with --nodes */
  nodeUrls: string[];
  /** with `gateway: true`: the HTTPS gateway in front of all nodes, its CA file and metrics */
  gateway?: { url: string; caFile: string; metricsUrl: string };
  stdout: () => string;
  dataDir: string;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill9(): Promise<void>;
}

export function tempDir(prefix = "stinger-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `node ARGS`, under a command prefix when one is given (the prefix must exec the command). */
function spawnWrapped(wrap: string[] | undefined, args: string[], opts: SpawnOptions): ChildProcess {
  return wrap && wrap.length > 0
    ? spawnOwned(wrap[0]!, [...wrap.slice(1), process.execPath, ...args], opts)
    : spawnOwned(process.execPath, args, opts);
}

/** Starts `stinger devnet` on 127.0.0.1 with an ephemeral port and waits for its ready line. */
export async function startDevnet(
  opts: {
    dataDir?: string;
    minPoWScore?: number;
    milestoneInterval?: number;
    nodes?: number;
    /** run the devnet's HTTPS gateway too (default: --no-gateway, faster) */
    gateway?: boolean;
    /** the gateway's data plane (default node) */
    gatewayEngine?: GatewayEngine;
    extraArgs?: string[];
    timeoutMs?: number;
    /** a command prefix the devnet runs under, e.g. `ip netns exec NS` */
    wrap?: string[];
  } = {},
): Promise<RunningDevnet> {
  const dataDir = opts.dataDir ?? tempDir();
  const args = [
    BIN,
    "devnet",
    "--data-dir",
    dataDir,
    "--api-port",
    "0",
    "--metrics-port",
    "0",
    "--gossip-port",
    "0",
    "--mqtt-port",
    "0",
    "--agent-check-port",
    "0",
    "--dashboard-port",
    "0",
    "--min-pow-score",
    String(opts.minPoWScore ?? 1),
    "--milestone-interval",
    String(opts.milestoneInterval ?? 1),
    "--pow-workers",
    "1",
    "--nodes",
    String(opts.nodes ?? 1),
    ...(opts.gateway
      ? [
          "--gateway-port",
          "0",
          "--gateway-metrics-port",
          "0",
          "--gateway-engine",
          opts.gatewayEngine ?? "node",
        ]
      : ["--no-gateway"]),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnWrapped(opts.wrap, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d) => {
    err = (err + d.toString()).slice(-20_000);
  });
  let metricsUrl = "";
  let gossipAddress = "";
  let mqttUrl = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`devnet did not become ready in time; stderr:\n${err}`));
    }, opts.timeoutMs ?? 30_000);
    proc.stdout!.on("data", (d) => {
      out += d.toString();
      const m = /ready: API (http:\/\/\S+)/.exec(out);
      if (m) {
        metricsUrl = /metrics (http:\/\/\S+),/.exec(out)?.[1] ?? "";
        gossipAddress = /gossip (\/\S+),/.exec(out)?.[1] ?? "";
        mqttUrl = /mqtt (mqtt:\/\/\S+),/.exec(out)?.[1] ?? "";
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited with ${code} before ready; stderr:\n${err}`));
    });
  });
  const nodes = opts.nodes ?? 1;
  if (nodes > 1) {
    await waitFor(
      async () => (out.match(/devnet node \d+: API/g) ?? []).length >= nodes - 1,
      30_000,
      "all devnet nodes",
    );
  }
  let gateway: RunningDevnet["gateway"];
  if (opts.gateway) {
    const m = await waitFor(
      async () => /devnet gateway: (https:\/\/\S+) .*\(CA (\S+), admin (http:\/\/\S+)\)/.exec(out),
      30_000,
      "the devnet gateway line",
    );
    gateway = { url: m[1]!, caFile: m[2]!, metricsUrl: m[3]! };
  }
  return {
    url,
    metricsUrl,
    gossipAddress,
    mqttUrl,
    gateway,
    nodeUrls: [...out.matchAll(/devnet node \d+: API (http:\/\/\S+)/g)].map((m) => m[1]!),
    stdout: () => out,
    dataDir,
    proc,
    stderr: () => err,
    stop: () => stopOwned(proc),
    async kill9() {
      await stopOwned(proc, "SIGKILL");
    },
  };
}

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  what = "condition",
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
}

export interface RunningNode {
  url: string;
  proc: ChildProcess;
  stderr: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `stinger node --config FILE` and waits for its ready line. */
export async function startNode(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<RunningNode> {
  const proc = spawnOwned(process.execPath, [BIN, "node", "--config", configFile], {
    stdio: ["ignore", "pipe", "pipe"],
    // Many test nodes at once: their MQTT TCP listeners take any free port unless a test says otherwise.
    env: { ...process.env, STINGER_MQTT_BINDADDRESS: "127.0.0.1:0", ...env },
  });
  let err = "";
  proc.stderr!.on("data", (d) => {
    err = (err + d.toString()).slice(-50_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`node not ready in time; stderr:\n${err}`));
    }, timeoutMs);
    proc.stdout!.on("data", (d) => {
      out += d.toString();
      const m = /ready: API (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before ready; stderr:\n${err}`));
    });
  });
  return {
    url,
    proc,
    stderr: () => err,
    stop: (signal: NodeJS.Signals = "SIGTERM") => stopOwned(proc, signal),
  };
}

export interface RunningGateway {
  url: string;
  metricsUrl: string;
  proc: ChildProcess;
  stop(): Promise<number | null>;
}

/** Starts `stinger gateway --config FILE` and waits for its ready line. */
export async function startGateway(
  configFile: string,
  timeoutMs = 30_000,
  logFile?: string,
  wrap?: string[],
  extraArgs: string[] = [],
): Promise<RunningGateway> {
  // The access log (stderr) goes to logFile when given, as an operator would redirect it for fail2ban.
  const stderr = logFile ? openSync(logFile, "a") : "inherit";
  const proc = spawnWrapped(wrap, [BIN, "gateway", "--config", configFile, ...extraArgs], {
    stdio: ["ignore", "pipe", stderr],
  });
  if (typeof stderr === "number") closeSync(stderr);
  const [url, metricsUrl] = await new Promise<[string, string]>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error("gateway not ready in time"));
    }, timeoutMs);
    proc.stdout!.on("data", (d) => {
      out += d.toString();
      const m = /ready: (https?:\/\/\S+) \(metrics (http:\/\/\S+),/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, m[2]!]);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before ready`));
    });
  });
  return {
    url,
    metricsUrl,
    proc,
    stop: () => stopOwned(proc),
  };
}

/** The gateway's two data planes; tests that hold for both run once per engine. */
export type GatewayEngine = "node" | "haproxy";
export const GATEWAY_ENGINES: GatewayEngine[] = ["node", "haproxy"];

export function engineArgs(engine: GatewayEngine = "node"): string[] {
  return engine === "haproxy" ? ["--engine", "haproxy"] : [];
}

/**
 * Writes `config` to `file`, starts `stinger gateway` on it and waits until it answers /health from
 * `localAddress` (127.0.0.1 unless the test keeps that address for an attacker).
 */
export async function startGatewayWith(
  file: string,
  config: Record<string, unknown>,
  opts: { logFile?: string; localAddress?: string; ca?: Buffer; engine?: GatewayEngine } = {},
): Promise<RunningGateway> {
  writeFileSync(file, JSON.stringify(config));
  const gateway = await startGateway(file, 30_000, opts.logFile, undefined, engineArgs(opts.engine));
  await waitFor(
    async () =>
      (await getFrom(gateway.url, "/health", { localAddress: opts.localAddress ?? "127.0.0.1", ca: opts.ca }))
        .status === 200,
    20_000,
    "gateway ready",
  );
  return gateway;
}
