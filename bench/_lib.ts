import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The header every benchmark prints: what ran where, so figures can be compared later. */
export function printHeader(name: string): void {
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {}
  console.log(`# bench ${name}`);
  console.log(
    `# cpu: ${cpus()[0]?.model ?? "?"} x${cpus().length}, node ${process.version}, commit ${commit}`,
  );
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Resident memory of a process in MiB (anonymous = heap and caches; file = mapped database pages). */
export function rssOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
}

export const JSON_MODE = process.argv.includes("--json");

export function report(results: Record<string, unknown>): void {
  if (JSON_MODE) console.log(JSON.stringify(results));
}

const CLK_TCK = (() => {
  try {
    return Number(execSync("getconf CLK_TCK", { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, all threads) another process has used so far. */
export function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** The value of `--name V` or `--name=V` on the command line. */
export function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

/** A numeric option (at least `min`); a bad one ends the bench with one line and exit code 2. */
export function numberOption(bench: string, name: string, fallback: number, min = 0): number {
  const text = option(name);
  const v = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(v) || v < min) {
    console.error(`bench ${bench}: ${name} must be a number >= ${min}, got ${text}`);
    process.exit(2);
  }
  return v;
}
