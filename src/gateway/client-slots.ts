/**
 * What clients hold at once (connections, remote-PoW submits, open WebSockets), counted per client key.
 * With `gateway.workers` > 1 the table lives in the primary process and workers reach it over IPC
 * (cluster/link.ts), so `tryTake` may answer later; check and take are one step either way, so
 * concurrent takers cannot overshoot the cap.
 */
export interface SlotTable {
  /** true when the client held fewer than `max` and now holds one more */
  tryTake(client: string, max: number): boolean | Promise<boolean>;
  release(client: string): void;
  /** slots held through this process (for its metrics) */
  readonly total: number;
}

/** The in-process table. */
export class ClientSlots implements SlotTable {
  private readonly held = new Map<string, number>();
  private count = 0;

  of(client: string): number {
    return this.held.get(client) ?? 0;
  }

  get total(): number {
    return this.count;
  }

  tryTake(client: string, max: number): boolean {
    const n = this.of(client);
    if (n >= max) return false;
    this.held.set(client, n + 1);
    this.count++;
    return true;
  }

  release(client: string): void {
    const n = this.of(client);
    if (n === 0) return;
    if (n === 1) this.held.delete(client);
    else this.held.set(client, n - 1);
    this.count--;
  }
}
