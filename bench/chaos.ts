// `npm run bench -- chaos [--minutes N] [--seed S] [--faults-per-minute F] [--json]`: the chaos run of
// test/helpers/chaos.ts for as long as asked (default 10 minutes, 4 faults a minute): value transfers,
// data messages (local and remote PoW) and reads through the gateway to three nodes while a node, the
// coordinator's node, the gateway or Redis is killed with SIGKILL at random moments and restarted.
// Prints each fault, the answers the clients got and every invariant checked afterwards; exits 1 if one
// is broken. The same seed replays the same fault schedule (which part, when, for how long).
import { ChaosNetwork } from "../test/helpers/chaos.ts";
import { fmt, numberOption, printHeader, report } from "./_lib.ts";

const MINUTES = numberOption("chaos", "--minutes", 10, 0.1);
const FAULTS_PER_MINUTE = numberOption("chaos", "--faults-per-minute", 4, 0.1);
const SEED = numberOption("chaos", "--seed", Math.floor(Math.random() * 2 ** 31));

const net = new ChaosNetwork();
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error("bench chaos: SIGINT, stopping every process (again to leave at once)");
  void net.stop().finally(() => process.exit(130));
});

async function main(): Promise<number> {
  printHeader("chaos");
  console.log(
    `# ${fmt(MINUTES, 1)} min, ${fmt(FAULTS_PER_MINUTE, 1)} faults/min, seed ${SEED} (replay: --seed ${SEED})`,
  );
  await net.start();
  await net.run({
    durationMs: MINUTES * 60_000,
    faultsPerMinute: FAULTS_PER_MINUTE,
    seed: SEED,
    log: (l) => console.log(l),
  });
  console.log("# load stopped; waiting for the network to settle, then checking");
  const r = await net.checkNetwork((l) => console.log(l));

  console.log(`\n## chaos: ${fmt(r.seconds / 60, 1)} min, ${r.faults.length} faults, seed ${r.seed}`);
  console.log("| part killed | times | down s (mean) | serving again after restart s (mean, max) |");
  console.log("|---|---:|---:|---:|");
  for (const target of [...new Set(r.faults.map((f) => f.target))].sort()) {
    const fs = r.faults.filter((f) => f.target === target);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `| ${target} | ${fs.length} | ${fmt(mean(fs.map((f) => f.downMs)) / 1000, 1)} | ` +
        `${fmt(mean(fs.map((f) => f.recoveryMs)) / 1000, 1)}, ${fmt(Math.max(...fs.map((f) => f.recoveryMs)) / 1000, 1)} |`,
    );
  }
  console.log("\n| requests | answers |");
  console.log("|---|---|");
  for (const [kind, statuses] of Object.entries(r.requests).sort())
    console.log(
      `| ${kind} | ${Object.entries(statuses)
        .sort()
        .map(([s, n]) => `${s}: ${fmt(n)}`)
        .join(", ")} |`,
    );
  console.log(
    `\nacknowledged (201): ${fmt(r.acked.transfers)} transfers, ${fmt(r.acked.data)} data messages; ` +
      `${r.unanswered.transfers} transfer submits without a definite answer, ${r.unanswered.stored} of them stored; ` +
      `confirmed milestone ${r.confirmedMilestone}`,
  );
  console.log("\n| invariant | holds | detail |");
  console.log("|---|---|---|");
  for (const inv of r.invariants) console.log(`| ${inv.name} | ${inv.ok ? "yes" : "NO"} | ${inv.detail} |`);
  if (r.problems.length) {
    console.log(`\n${r.problems.length} problems; the first ones:`);
    for (const p of r.problems.slice(0, 10)) console.log(`  ${p.slice(0, 600)}`);
  } else console.log("\nno problems");
  report({ ...r, minutes: MINUTES, faultsPerMinute: FAULTS_PER_MINUTE });
  return r.problems.length ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`bench chaos: ${(err as Error).stack ?? String(err)}`);
} finally {
  await net.stop();
}
process.exit(code);
