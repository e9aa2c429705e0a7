import { toHex } from "../../protocol/hex.ts";
import type { ConeAccess } from "../ledger/white-flag.ts";
import type { Store } from "../store/store.ts";
import { parentsOf } from "./tangle.ts";

/**
 * The messages milestone `index` referenced (its own message included), by hex ID: its past cone down
 * to the messages earlier milestones referenced, as white flag walked it.
 */
export function messagesReferencedBy(store: Store, index: number): Map<string, Uint8Array> {
  const found = new Map<string, Uint8Array>();
  const ms = store.getMilestone(index);
  if (!ms) return found;
  const stack = [ms.messageId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const key = toHex(id);
    if (found.has(key)) continue;
    const bytes = store.getMeta(id)?.r === index ? store.getMessage(id) : undefined;
    if (!bytes) continue;
    found.set(key, id.slice());
    for (const p of parentsOf(bytes)) stack.push(p);
  }
  return found;
}

/**
 * What the past cone of `parents` still lacks, down to the messages earlier milestones referenced (and
 * the solid entry points): at most `limit` message IDs. A milestone whose cone is not solid waits for
 * these; a request for one may have been lost (the peer's answer came while the disk was full, or
 * before a restart), so they are asked for again.
 */
export function missingInCone(parents: Uint8Array[], cone: ConeAccess, limit = 256): Uint8Array[] {
  const visited = new Set<string>();
  const missing: Uint8Array[] = [];
  const stack = [...parents];
  while (stack.length > 0 && missing.length < limit) {
    const id = stack.pop()!;
    const key = toHex(id);
    if (visited.has(key) || cone.isReferenced(id)) continue;
    visited.add(key);
    const bytes = cone.bytes(id);
    if (bytes) stack.push(...parentsOf(bytes));
    else missing.push(id);
  }
  return missing;
}
