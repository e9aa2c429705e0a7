// TIP-16's topics, and which of them have subscribers right now (so payloads are built only for those).

/** Every topic a client may subscribe to, as MQTT filters with `+` for the parameter. */
export const TIP16_TOPICS = [
  "milestones/latest",
  "milestones/confirmed",
  "messages",
  "messages/referenced",
  "messages/indexation/+",
  "messages/+/metadata",
  "transactions/+/included-message",
  "outputs/+",
  "addresses/+/outputs",
  "addresses/ed25519/+/outputs",
  "receipts",
] as const;

/** True when an MQTT filter (with `+` and `#`) matches a concrete topic. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Two filters overlap if some topic matches both (used to judge a subscription against TIP-16). */
function overlaps(a: string, b: string): boolean {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === "#" || y[i] === "#") return true;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== "+" && y[i] !== "+" && x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * A subscription is allowed when it can receive some TIP-16 topic: an exact topic, or a filter whose
 * wildcards (`+` one level, `#` the rest) cover topics of the list (e.g. `messages/+/metadata`,
 * `outputs/#`). A filter that can match no TIP-16 topic is refused rather than silently idle.
 */
export function isSubscribable(filter: string): boolean {
  if (filter.length === 0 || filter.length > 256 || filter.startsWith("$")) return false;
  const levels = filter.split("/");
  if (
    levels.some(
      (l, i) => (l.includes("#") && (l !== "#" || i !== levels.length - 1)) || (l.includes("+") && l !== "+"),
    )
  )
    return false;
  return TIP16_TOPICS.some((t) => overlaps(filter, t));
}

/**
 * Subscription counts per filter. `hasSubscribers(topic)` is what every event asks before building its
 * payload: exact filters are one map lookup, wildcard filters (few in practice) are matched in turn.
 * Filters whose count fell to zero are kept until more than `cleanupThreshold` of them pile up
 * (Hornet's topicCleanupThreshold), then dropped together.
 */
export class SubscriptionIndex {
  private readonly exact = new Map<string, number>();
  private readonly wildcard = new Map<string, number>();
  private empty = 0;

  constructor(private readonly cleanupThreshold: number) {}

  add(filter: string): void {
    const map = filter.includes("+") || filter.includes("#") ? this.wildcard : this.exact;
    const n = map.get(filter) ?? 0;
    if (n === 0 && map.has(filter)) this.empty--;
    map.set(filter, n + 1);
  }

  remove(filter: string): void {
    const map = filter.includes("+") || filter.includes("#") ? this.wildcard : this.exact;
    const n = map.get(filter);
    if (!n) return;
    map.set(filter, n - 1);
    if (n - 1 === 0 && ++this.empty > this.cleanupThreshold) this.cleanup();
  }

  hasSubscribers(topic: string): boolean {
    if ((this.exact.get(topic) ?? 0) > 0) return true;
    for (const [filter, n] of this.wildcard) if (n > 0 && filterMatches(filter, topic)) return true;
    return false;
  }

  /** Whether any subscription could match a topic that starts with `prefix/` (cheap pre-check). */
  hasAnyUnder(prefix: string): boolean {
    for (const [f, n] of this.exact) if (n > 0 && f.startsWith(`${prefix}/`)) return true;
    for (const [f, n] of this.wildcard)
      if (n > 0 && (f.startsWith(`${prefix}/`) || f.startsWith("+") || f === "#")) return true;
    return false;
  }

  get size(): number {
    let n = 0;
    for (const c of this.exact.values()) n += c;
    for (const c of this.wildcard.values()) n += c;
    return n;
  }

  private cleanup(): void {
    for (const map of [this.exact, this.wildcard]) for (const [f, n] of map) if (n === 0) map.delete(f);
    this.empty = 0;
  }
}
