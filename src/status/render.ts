import type { NodeStatus, Status } from "./collect.ts";

const mark = (ok: boolean) => (ok ? "ok" : "!!");

function nodeLines(n: NodeStatus): string[] {
  if (!n.reachable) return [`[!!] node ${n.url}: unreachable (${n.error})`];
  const lines = [
    `[${mark(n.healthy)}] node ${n.url}: ${n.healthy ? "healthy, synced" : "NOT healthy"} (${n.name} ${n.version})`,
    `     milestones: latest ${n.latestMilestoneIndex}, confirmed ${n.confirmedMilestoneIndex}, pruned to ${n.pruningIndex}; ` +
      `${n.messagesPerSecond?.toFixed(1)} msg/s, ${n.referencedMessagesPerSecond?.toFixed(1)} referenced/s`,
  ];
  if (n.peers) lines.push(`     peers: ${n.peers.connected} of ${n.peers.total} connected`);
  if (n.pow !== undefined)
    lines.push(
      n.pow === null
        ? "     remote PoW: off"
        : `     remote PoW: ${n.pow.busyWorkers}/${n.pow.workers} workers busy, queue ${n.pow.queueDepth}/${n.pow.maxQueue}`,
    );
  if (n.ledger)
    lines.push(
      `     ledger: at milestone ${n.ledger.index}, state ${n.ledger.stateHash.slice(0, 16)}…, treasury ${n.treasury ?? "?"}`,
    );
  else if (n.treasury !== undefined) lines.push(`     ledger: treasury ${n.treasury}`);
  if (n.unauthorized?.length)
    lines.push(`     (no valid --token for this node: ${n.unauthorized.join(", ")} not shown)`);
  return lines;
}

/** One screen for people: every part with [ok] or [!!], then the verdict. */
export function renderStatus(s: Status): string {
  const lines: string[] = [];
  for (const n of s.nodes) lines.push(...nodeLines(n));
  if (s.gateway) {
    const g = s.gateway;
    lines.push(
      `[${mark(g.healthy)}] gateway ${g.url}: ${g.healthy ? "serving" : g.reachable ? "NOT healthy" : "unreachable"}${g.error ? ` (${g.error})` : ""}`,
    );
    for (const n of g.nodes ?? [])
      lines.push(
        `     node ${n.node}: ${n.healthy ? "in rotation" : "OUT of rotation"}, ${n.inFlight} in flight`,
      );
  }
  lines.push(
    s.healthy ? "status: healthy" : `status: DEGRADED\n${s.problems.map((p) => `  - ${p}`).join("\n")}`,
  );
  return `${lines.join("\n")}\n`;
}
