import type { Host } from "../host.ts";
import { type Collected, seen } from "../types.ts";

/** A stinger systemd unit as installed: its [Service] settings, the last value of each key. */
export interface StingerUnit {
  path: string;
  service: Map<string, string>;
}

const UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

/** The [Service] section's settings; a later assignment wins, as systemd reads them. */
export function serviceSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const i = line.indexOf("=");
    if (section === "Service" && i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

/** Installed units named stinger*.service (the ones deploy/systemd ships, or an operator's own). */
export async function collectUnits(host: Host): Promise<Collected<StingerUnit[]>> {
  const units: StingerUnit[] = [];
  for (const dir of UNIT_DIRS) {
    const names = (await host.list(dir)) ?? [];
    for (const name of names.filter((n) => /^stinger.*\.service$/.test(n)).sort()) {
      const path = `${dir}/${name}`;
      const text = await host.readText(path);
      if (text.ok) units.push({ path, service: serviceSettings(text.text) });
    }
  }
  return seen(units, UNIT_DIRS.join(", "));
}
