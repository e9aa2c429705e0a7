import { toHex } from "../../protocol/hex.ts";
import type { Store } from "../store/store.ts";

/** GET .../children (of a message, or of a transaction's including message), TIP-13's shape. */
export function childrenResponse(store: Store, id: Uint8Array, maxResults: number) {
  const children = store.childrenOf(id, maxResults);
  return {
    data: {
      messageId: toHex(id),
      maxResults,
      count: children.length,
      childrenMessageIds: children.map(toHex),
    },
  };
}
