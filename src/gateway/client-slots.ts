/**
 * What clients hold at once (remote-PoW submits, open WebSockets), counted per client key, with the
 * total kept alongside for the metrics.
 */
export class ClientSlots {
  private readonly held = new Map<string, number>();
  private count = 0;

  of(client: string): number {
    return this.held.get(client) ?? 0;
  }

  get total(): number {
    return this.count;
  }

  take(client: string): void {
    this.held.set(client, this.of(client) + 1);
    this.count++;
  }

  release(client: string): void {
    const n = this.of(client);
    if (n === 0) return;
    if (n === 1) this.held.delete(client);
    else this.held.set(client, n - 1);
    this.count--;
  }
}
