// `npm run bench -- <area> [--json]`: runs bench/<area>.ts.
const AREAS = [
  "ingest",
  "reads",
  "pow",
  "pow-load",
  "gossip",
  "gateway",
  "kernel-ban",
  "audit",
  "ledger",
  "mqtt",
  "snapshots",
  "fuzz",
  "soak",
  "chaos",
];
const area = process.argv[2];
if (!area || !AREAS.includes(area)) {
  console.error(`usage: npm run bench -- <${AREAS.join("|")}> [--json]`);
  process.exit(2);
}
await import(`./${area}.ts`);
