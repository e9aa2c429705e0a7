import type { Socket } from "node:net";

/**
 * Calls `onLine` for every newline-terminated line arriving on `socket` (the helper's line protocol,
 * both ends). A partial line longer than `maxLength` calls `onOverflow` instead of growing without end.
 */
export function readLines(
  socket: Socket,
  onLine: (line: string) => void,
  limit?: { maxLength: number; onOverflow: () => void },
): void {
  socket.setEncoding("utf8");
  let buffered = "";
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
    if (limit && buffered.length > limit.maxLength) {
      buffered = "";
      limit.onOverflow();
    }
  });
}
