import { toHex } from "../../protocol/hex.ts";
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
