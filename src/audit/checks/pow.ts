// The remote-PoW settings in force, against what this host can afford (the operator's checklist:
// decide deliberately whether the node does PoW for clients). Config changes only: harden leaves them.
import { splitHostPort } from "../../config/common.ts";
import { expectedJobMs, TYPICAL_MESSAGE_SIZE } from "../../node/pow/benchmark.ts";
import { parseDuration } from "../../util/units.ts";
import { type Check, finding, type Skipped } from "../check.ts";
import { isLoopback } from "../collectors/sockets.ts";
import type { Facts } from "../facts.ts";
import type { Finding } from "../types.ts";

type NodeDeployment = NonNullable<Facts["deployment"]["node"]>;

/** Judges the node config when it has remote PoW on; a node without it passes, no config is a skip. */
function withPowNode(f: Facts, judge: (n: NodeDeployment) => Finding[] | Skipped): Finding[] | Skipped {
  const n = f.deployment.node;
  if (!n) return { skipped: "no node config given (--node-config)" };
  return n.config.restAPI.powEnabled ? judge(n) : [];
}

function workersOf(n: NodeDeployment, cores: number): number {
  return n.config.restAPI.powWorkerCount ?? Math.max(1, cores - 1);
}

/** A job's mean duration on the node's workers at its network's score, from the measured rate. */
function jobFigures(
  f: Facts,
  n: NodeDeployment,
): { expectedMs: number; workers: number; rate: number } | string {
  if (!f.pow.ok) return `no PoW facts: ${f.pow.reason}`;
  const { cores, perWorkerHashesPerSecond: perWorker } = f.pow.value;
  if (cores === null) return "the host's cores are unknown (/proc/cpuinfo)";
  if (perWorker === null) return f.pow.value.rateUnknown ?? "no PoW measurement of this host";
  const workers = workersOf(n, cores);
  const rate = perWorker * workers;
  return {
    expectedMs: expectedJobMs(n.config.protocol.minPoWScore, TYPICAL_MESSAGE_SIZE, rate),
    workers,
    rate,
  };
}

const STG_010: Check = {
  id: "STG-010",
  title: "remote PoW has as many workers as the host has cores",
  area: "stinger",
  severity: "high",
  run(f) {
    return withPowNode(f, (n) => {
      if (!f.pow.ok || f.pow.value.cores === null)
        return { skipped: "the host's cores are unknown (/proc/cpuinfo)" };
      const cores = f.pow.value.cores;
      const workers = workersOf(n, cores);
      if (workers < cores) return [];
      return [
        finding(this, {
          evidence: `${n.file}: restAPI.powWorkerCount ${workers} on a host with ${cores} core(s): while clients' PoW runs, nothing is left for the API, gossip and milestones`,
          fix:
            cores > 1
              ? `set "restAPI": {"powWorkerCount": ${cores - 1}} (one core kept), or "powEnabled": false; \`stinger pow --benchmark\` shows what the host affords`
              : `set "restAPI": {"powEnabled": false}: a one-core host has no core to spare for clients' PoW`,
        }),
      ];
    });
  },
};

const STG_011: Check = {
  id: "STG-011",
  title: "the remote-PoW queue is longer than the workers can drain within the PoW timeout",
  area: "stinger",
  severity: "medium",
  run(f) {
    return withPowNode(f, (n) => {
      const job = jobFigures(f, n);
      if (typeof job === "string") return { skipped: job };
      const { maxQueue, timeout } = n.config.restAPI.pow;
      const timeoutMs = parseDuration(timeout);
      // The last job in the queue finishes after (maxQueue + 1) jobs.
      const lastDoneMs = (maxQueue + 1) * job.expectedMs;
      if (lastDoneMs <= timeoutMs) return [];
      const fits = Math.max(0, Math.floor(timeoutMs / job.expectedMs) - 1);
      return [
        finding(this, {
          evidence: `${n.file}: restAPI.pow.maxQueue ${maxQueue}; one job at minPoWScore ${n.config.protocol.minPoWScore} takes ~${Math.round(job.expectedMs)} ms on ${job.workers} worker(s) (${job.rate.toLocaleString("en-US")} hashes/s measured), so the last queued job would finish after ~${Math.round(lastDoneMs / 1000)} s, beyond restAPI.pow.timeout ${timeout}: clients wait for nothing`,
          fix: `set "restAPI": {"pow": {"maxQueue": ${fits}}} (more is answered 503 at once, which clients retry elsewhere)`,
        }),
      ];
    });
  },
};

const STG_012: Check = {
  id: "STG-012",
  title: "remote PoW is reachable without the gateway's PoW cost and per-client cap",
  area: "stinger",
  severity: "high",
  run(f) {
    return withPowNode(f, (n) => {
      const { host, port } = splitHostPort(n.config.restAPI.bindAddress);
      if (host === "localhost" || isLoopback(host)) return [];
      return [
        finding(this, {
          evidence: `${n.file}: restAPI.powEnabled with restAPI.bindAddress "${n.config.restAPI.bindAddress}": clients can make the node mine without the gateway's PoW cost, cap and rate limit`,
          fix: `set "restAPI": {"bindAddress": "127.0.0.1:${port}"} and reach the node through stinger gateway`,
        }),
      ];
    });
  },
};

const STG_013: Check = {
  id: "STG-013",
  title: "the gateway does not limit remote-PoW submits to what the node can mine",
  area: "stinger",
  severity: "medium",
  run(f) {
    return withPowNode(f, (n) => {
      const g = f.deployment.gateway;
      if (!g) return { skipped: "no gateway config given (--gateway-config)" };
      const { rateLimit } = g.config;
      const out = [];
      if (rateLimit.powSubmitCost <= rateLimit.submitCost)
        out.push(
          finding(this, {
            evidence: `${g.file}: rateLimit.powSubmitCost ${rateLimit.powSubmitCost} is no more than a plain submit's ${rateLimit.submitCost}: asking the node to mine costs a client nothing extra`,
            fix: `set "rateLimit": {"powSubmitCost": ${Math.max(50, rateLimit.submitCost * 10)}} (\`stinger pow --benchmark\` recommends a value for this host)`,
          }),
        );
      const job = jobFigures(f, n);
      if (typeof job !== "string") {
        const perClient = rateLimit.refillPerSecond / rateLimit.powSubmitCost;
        const nodeRate = 1000 / job.expectedMs;
        if (perClient > nodeRate) {
          const cost = Math.ceil(rateLimit.refillPerSecond / (nodeRate / 2));
          out.push(
            finding(this, {
              evidence: `${g.file}: one client may submit ${perClient.toFixed(1)} remote-PoW jobs a second (refillPerSecond ${rateLimit.refillPerSecond} / powSubmitCost ${rateLimit.powSubmitCost}); the node mines ~${nodeRate.toFixed(1)} a second: one client can keep it busy`,
              fix: `set "rateLimit": {"powSubmitCost": ${cost}} so one client gets at most half the node's mining${cost > rateLimit.capacity ? `, and "capacity": ${cost} so one submit fits` : ""}`,
            }),
          );
        }
      }
      if (rateLimit.maxPowSubmitsPerClient > n.config.restAPI.pow.maxJobsPerClient)
        out.push(
          finding(this, {
            severity: "low",
            evidence: `${g.file}: rateLimit.maxPowSubmitsPerClient ${rateLimit.maxPowSubmitsPerClient} is above the node's restAPI.pow.maxJobsPerClient ${n.config.restAPI.pow.maxJobsPerClient}: the extra submits pass the gateway only to be refused by the node`,
            fix: `set "rateLimit": {"maxPowSubmitsPerClient": ${n.config.restAPI.pow.maxJobsPerClient}}`,
          }),
        );
      return out;
    });
  },
};

export const POW_CHECKS: readonly Check[] = [STG_010, STG_011, STG_012, STG_013];
