import { chmodSync, cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "audit");

/**
 * Copies a fixture host to a temp folder and applies the modes listed in hosts/<name>.modes (git keeps
 * no modes). Returns the new root; the caller removes it.
 */
export function materializeHost(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `stinger-audit-${name}-`));
  cpSync(join(FIXTURES, "hosts", name), root, { recursive: true });
  for (const line of readFileSync(join(FIXTURES, "hosts", `${name}.modes`), "utf8").split("\n")) {
    const m = /^(0[0-7]{3})\s+(\S+)$/.exec(line.trim());
    if (m) chmodSync(join(root, m[2]!), Number.parseInt(m[1]!, 8));
  }
  return root;
}
