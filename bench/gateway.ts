// Gateway vs nginx vs direct, with one worker process each and with two: the same stinger node, the same wrk load (GET /api/v1/info), on this
// machine. The stinger gateway runs with every check on but not triggering (trusted proxies, IP
// allow/deny, API key, token bucket, route policy, balancer, JSON access log to a file), nginx with
// the baseline's limit_req/limit_conn/allow-deny/real_ip config. Then a one-client flood of requests
// that are refused (429 rate limited, 403 denied) while a legitimate client measures its latency.
// CPU per request: each proxy's processes' user+system time (from /proc) over a wrk run, divided by the
// requests it answered; a bare node:http proxy (bench/bare-proxy.mjs) is the floor for Node.js.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { hashApiKey } from "../src/gateway/auth.ts";
import { BIN, removeDir, startGateway, startNode, tempDir } from "../test/helpers/devnet.ts";
import { freePort } from "../test/helpers/peers.ts";
import { cpuOf, fmt, median, percentile, printHeader, report } from "./_lib.ts";

const DUR = process.env.BENCH_GATEWAY_DURATION ?? "10s";
const CONNS = Number(process.env.BENCH_GATEWAY_CONNECTIONS ?? 50);
const RUNS = Number(process.env.BENCH_GATEWAY_RUNS ?? 2);
const API_KEY = "bench-key-0123456789abcdef";

for (const tool of ["wrk", "nginx"])
  if (spawnSync("which", [tool]).status !== 0) {
    console.error(`bench gateway: needs ${tool} (apt-get install -y nginx wrk)`);
    process.exit(2);
  }

/** User + system CPU time these processes have used so far, in µs. */
function cpuMicros(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuOf(pid) * 1e6, 0);
}

/** The process and all below it (nginx's master and workers; stinger, HAProxy's master and worker). */
function processTree(pid: number): number[] {
  const children = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
    .stdout.trim()
    .split("\n")
    .filter(Boolean)
    .map(Number);
  return [pid, ...children.flatMap(processTree)];
}

interface WrkResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: string;
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
}

function wrk(url: string, headers: string[] = [], duration = DUR): Promise<WrkResult> {
  const args = ["-t1", `-c${CONNS}`, `-d${duration}`, "--latency", ...headers.flatMap((h) => ["-H", h]), url];
  return new Promise((resolve) => {
    const p = spawn("wrk", args);
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("close", () => {
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
        requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
        p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ""),
        p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ""),
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
        errors: /Socket errors: (.*)/.exec(out)?.[1] ?? "none",
      });
    });
  });
}

/** A well-behaved client: one keep-alive connection, 20 requests/s, latency of each (ms). */
async function legitimate(url: string, seconds: number, headers: Record<string, string>) {
  const u = new URL(url);
  const { Agent } = await import("node:http");
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const lat: number[] = [];
  const statuses = new Map<number, number>();
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t = performance.now();
    const status = await new Promise<number>((resolve) => {
      const req = request({ host: u.hostname, port: u.port, path: "/api/v1/info", agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      });
      req.on("error", () => resolve(0));
      req.end();
    });
    lat.push(performance.now() - t);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 50));
  }
  agent.destroy();
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    n: lat.length,
    statuses: Object.fromEntries(statuses),
  };
}

const procs: ChildProcess[] = [];
const dir = tempDir("stinger-bench-gw-");
process.on("exit", () => {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
});

printHeader("gateway");
const load = readFileSync("/proc/loadavg", "utf8").trim();
console.log(
  `# wrk -t1 -c${CONNS} -d${DUR} --latency GET /api/v1/info, ${RUNS} runs each, interleaved; loadavg at start: ${load}`,
);

// The upstream: one stinger node (coordinator on, gossip off), the same for every configuration.
const keys = JSON.parse(spawnSync(process.execPath, [BIN, "keys"], { encoding: "utf8" }).stdout) as {
  keys: { publicKey: string; privateKey: string }[];
};
writeFileSync(
  join(dir, "node.json"),
  JSON.stringify({
    protocol: {
      networkID: "private_tangle1",
      minPoWScore: 1,
      milestonePublicKeyCount: 1,
      publicKeyRanges: [{ key: keys.keys[0]!.publicKey }],
    },
    restAPI: { bindAddress: "127.0.0.1:0" },
    coordinator: { enabled: true, interval: "1h" },
    prometheus: { enabled: false },
    p2p: { enabled: false },
    logger: { level: "warn" },
  }),
);
const node = await startNode(join(dir, "node.json"), { COO_PRV_KEYS: keys.keys[0]!.privateKey });
const nodePort = Number(new URL(node.url).port);

// nginx: the baseline's config (c), pointed at the node; a second one with a limit that triggers.
async function startNginx(
  name: string,
  rate: string,
  burst: number,
  workers = 1,
): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const prefix = join(dir, name);
  spawnSync("mkdir", ["-p", prefix]);
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes ${workers};
pid nginx.pid;
error_log error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    set_real_ip_from 127.0.0.0/8;
    real_ip_header X-Forwarded-For;
    real_ip_recursive on;
    limit_req_zone  $binary_remote_addr zone=perip:10m rate=${rate};
    limit_conn_zone $binary_remote_addr zone=perip_conn:10m;
    limit_req_status 429;
    limit_conn_status 429;
    upstream node { server 127.0.0.1:${nodePort}; keepalive 64; }
    server {
        listen 127.0.0.1:${port};
        allow 127.0.0.0/8;
        allow 198.51.100.0/24;
        deny all;
        location / {
            limit_req zone=perip burst=${burst} nodelay;
            limit_conn perip_conn 1000;
            proxy_pass http://node;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
`,
  );
  const p = spawn("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"], {
    stdio: "inherit",
  });
  procs.push(p);
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (ok === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, pid: p.pid! };
}

async function startBareProxy(): Promise<{ url: string; pid: number }> {
  const p = spawn(
    process.execPath,
    [new URL("./bare-proxy.mjs", import.meta.url).pathname, String(nodePort)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  procs.push(p);
  const port = await new Promise<string>((resolve) =>
    p.stdout!.once("data", (d) => resolve(String(d).trim())),
  );
  return { url: `http://127.0.0.1:${port}`, pid: p.pid! };
}

async function startStinger(
  name: string,
  capacity: number,
  refill: number,
  workers = 1,
  engine: "node" | "haproxy" = "node",
) {
  // HAProxy binds fixed ports.
  const port = async () => (engine === "haproxy" ? await freePort() : 0);
  writeFileSync(
    join(dir, `${name}.json`),
    JSON.stringify({
      bindAddress: `127.0.0.1:${await port()}`,
      adminBindAddress: `127.0.0.1:${await port()}`,
      upstreams: [node.url],
      workers,
      trustedProxies: ["127.0.0.1"],
      ipFilter: { allow: ["127.0.0.0/8", "198.51.100.0/24"], deny: ["203.0.113.0/24"] },
      auth: { apiKeys: [{ name: "bench", sha256: hashApiKey(API_KEY) }] },
      rateLimit: { capacity, refillPerSecond: refill },
      logger: { level: "info" },
    }),
  );
  // The JSON access log goes to a file, as an operator runs it for fail2ban.
  const g = await startGateway(
    join(dir, `${name}.json`),
    30_000,
    join(dir, `${name}.log`),
    undefined,
    engine === "haproxy" ? ["--engine", "haproxy"] : [],
  );
  procs.push(g.proc);
  return { url: g.url, pid: g.proc.pid! };
}

const nginx = await startNginx("nginx", "200000r/s", 100000);
const nginx2 = await startNginx("nginx-2", "200000r/s", 100000, 2);
const gateway = await startStinger("gateway", 1e9, 1e9);
// Two workers: the primary holds the token buckets and caps, so its CPU counts too.
const gateway2 = await startStinger("gateway-2", 1e9, 1e9, 2);
const bare = await startBareProxy();
// The same config rendered for HAProxy (one thread), the access log to a file as for the node engine.
const haproxyEngine = await startStinger("gateway-haproxy", 1e6, 1e6, 1, "haproxy");
// name, URL, wrk headers, the processes whose CPU counts (none for direct: the node is everyone's upstream)
const targets: [string, string, string[], number[]][] = [
  ["direct", node.url, [], []],
  ["nginx", nginx.url, [], processTree(nginx.pid)],
  ["bare node:http", bare.url, [], [bare.pid]],
  // The API key is checked (SHA-256, constant-time compare) on every request, and keys the bucket.
  ["stinger gateway", gateway.url, [`X-API-Key: ${API_KEY}`], [gateway.pid]],
  ["nginx 2 workers", nginx2.url, [], processTree(nginx2.pid)],
  ["gateway 2 workers", gateway2.url, [`X-API-Key: ${API_KEY}`], processTree(gateway2.pid)],
  ["haproxy engine", haproxyEngine.url, [`X-API-Key: ${API_KEY}`], processTree(haproxyEngine.pid)],
];
for (const [, url, h] of targets) await wrk(`${url}/api/v1/info`, h, "3s"); // warm-up
const results = new Map<string, (WrkResult & { cpuUsPerRequest: number })[]>();
for (let run = 0; run < RUNS; run++)
  for (const [name, url, h, pids] of targets) {
    const before = cpuMicros(pids);
    // The first pid is nginx's master or the gateway's primary: its share shows what coordination costs.
    const firstBefore = cpuMicros(pids.slice(0, 1));
    const w = await wrk(`${url}/api/v1/info`, h);
    const perRequest = (us: number) => us / Math.max(1, w.requests);
    const r = {
      ...w,
      cpuUsPerRequest: pids.length ? perRequest(cpuMicros(pids) - before) : 0,
      firstProcessCpuUsPerRequest:
        pids.length > 1 ? perRequest(cpuMicros(pids.slice(0, 1)) - firstBefore) : 0,
    };
    results.set(name, [...(results.get(name) ?? []), r]);
    const cpu = pids.length
      ? `CPU ${fmt(r.cpuUsPerRequest, 1)} µs/request${pids.length > 1 ? ` (master/primary ${fmt(r.firstProcessCpuUsPerRequest, 1)})` : ""}, `
      : "";
    console.log(
      `${name.padEnd(17)} run ${run + 1}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ` +
        `${cpu}non-2xx ${r.non2xx}, socket errors ${r.errors}`,
    );
  }
const summary = Object.fromEntries(
  [...results].map(([name, rs]) => [
    name,
    {
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest)),
    },
  ]),
);
const g = summary["stinger gateway"]!;
const n = summary.nginx!;
console.log(
  `median: direct ${fmt(summary.direct!.rps)} req/s; nginx ${fmt(n.rps)} req/s p99 ${fmt(n.p99, 2)} ms; gateway ${fmt(g.rps)} req/s p99 ${fmt(g.p99, 2)} ms`,
);
console.log(
  `gateway/nginx: ${fmt(g.rps / n.rps, 2)}x req/s (goal >= 0.7), p99 added vs nginx ${fmt(g.p99 - n.p99, 2)} ms (goal <= 1 ms)`,
);
const n2 = summary["nginx 2 workers"]!;
const g2 = summary["gateway 2 workers"]!;
console.log(
  `2 workers: nginx ${fmt(n2.rps)} req/s p99 ${fmt(n2.p99, 2)} ms, gateway ${fmt(g2.rps)} req/s p99 ${fmt(g2.p99, 2)} ms; ` +
    `gateway/nginx ${fmt(g2.rps / n2.rps, 2)}x req/s, gateway 2 workers / 1 worker ${fmt(g2.rps / g.rps, 2)}x`,
);
const h = summary["haproxy engine"]!;
console.log(
  `haproxy engine: ${fmt(h.rps)} req/s p99 ${fmt(h.p99, 2)} ms, CPU ${fmt(h.cpuUsPerRequest, 1)} µs/request; ` +
    `haproxy engine/nginx ${fmt(h.rps / n.rps, 2)}x req/s (goal >= 0.95), p99 added vs nginx ${fmt(h.p99 - n.p99, 2)} ms`,
);
const b = summary["bare node:http"]!;
console.log(
  `CPU per request (median): nginx ${fmt(n.cpuUsPerRequest, 1)} µs, bare node:http ${fmt(b.cpuUsPerRequest, 1)} µs, ` +
    `gateway ${fmt(g.cpuUsPerRequest, 1)} µs; bare/nginx ${fmt(b.rps / n.rps, 2)}x req/s`,
);

// Floods: one client (by X-Forwarded-For through the trusted loopback hop) hammers; a legitimate one
// (another forwarded address) keeps asking 20 times a second.
const limitedNginx = await startNginx("nginx-limited", "50r/s", 100);
const limitedGateway = await startStinger("gateway-limited", 100, 50);
const limitedHaproxy = await startStinger("haproxy-limited", 100, 50, 1, "haproxy");
const floods: Record<string, unknown> = {};
for (const [name, url] of [
  ["nginx", limitedNginx.url],
  ["stinger gateway", limitedGateway.url],
  ["haproxy engine", limitedHaproxy.url],
] as const) {
  const legitHeaders = { "x-forwarded-for": "198.51.100.8" };
  const quiet = await legitimate(url, 3, legitHeaders);
  for (const [kind, xff] of [
    ["429 rate limited", "198.51.100.7"],
    ["403 denied", "203.0.113.5"],
  ] as const) {
    const [flood, during] = await Promise.all([
      wrk(`${url}/api/v1/info`, [`X-Forwarded-For: ${xff}`]),
      legitimate(url, Number.parseInt(DUR, 10) - 1, legitHeaders),
    ]);
    console.log(
      `${name.padEnd(16)} flood ${kind}: ${fmt(flood.rps)} req/s (${fmt(flood.non2xx)} refused, p99 ${fmt(flood.p99, 2)} ms); ` +
        `legitimate client p50/p99 ${fmt(during.p50, 2)}/${fmt(during.p99, 2)} ms (quiet ${fmt(quiet.p50, 2)}/${fmt(quiet.p99, 2)} ms), statuses ${JSON.stringify(during.statuses)}`,
    );
    floods[`${name} ${kind}`] = { flood, legitimate: during, quiet };
  }
}
report({ summary, runs: Object.fromEntries(results), floods });
await node.stop();
for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 500));
removeDir(dir);
