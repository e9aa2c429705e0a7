import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createMemoryRateLimiter,
  type RateLimitConfig,
  type RateLimitDecision,
  rateLimitHeaders,
} from "../../src/gateway/rate-limit.ts";

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms), set: (ms: number) => (t = ms) };
}

describe("createMemoryRateLimiter: config", () => {
  const bad: { name: string; cfg: RateLimitConfig; message: RegExp }[] = [
    { name: "zero capacity", cfg: { capacity: 0, refillPerSecond: 1 }, message: /capacity/ },
    { name: "negative capacity", cfg: { capacity: -5, refillPerSecond: 1 }, message: /capacity/ },
    { name: "NaN capacity", cfg: { capacity: Number.NaN, refillPerSecond: 1 }, message: /capacity/ },
    { name: "zero refill", cfg: { capacity: 10, refillPerSecond: 0 }, message: /refillPerSecond/ },
    {
      name: "infinite refill",
      cfg: { capacity: 10, refillPerSecond: Number.POSITIVE_INFINITY },
      message: /refillPerSecond/,
    },
    { name: "zero maxKeys", cfg: { capacity: 10, refillPerSecond: 1, maxKeys: 0 }, message: /maxKeys/ },
    {
      name: "fractional maxKeys",
      cfg: { capacity: 10, refillPerSecond: 1, maxKeys: 1.5 },
      message: /maxKeys/,
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => assert.throws(() => createMemoryRateLimiter(c.cfg), c.message));
  }

  const badTakes: { name: string; cost: number; mult?: number; message: RegExp }[] = [
    { name: "negative cost", cost: -1, message: /cost/ },
    { name: "NaN cost", cost: Number.NaN, message: /cost/ },
    { name: "zero multiplier", cost: 1, mult: 0, message: /multiplier/ },
    { name: "negative multiplier", cost: 1, mult: -2, message: /multiplier/ },
  ];
  for (const c of badTakes) {
    it(`take rejects ${c.name}`, async () => {
      const rl = createMemoryRateLimiter({ capacity: 10, refillPerSecond: 1 });
      await assert.rejects(rl.take("k", c.cost, c.mult), c.message);
    });
  }
});

describe("createMemoryRateLimiter: token bucket", () => {
  // Each step: advance the clock, take, and check the whole decision.
  type Step = { advanceMs?: number; key?: string; cost?: number; mult?: number; want: RateLimitDecision };
  const d = (
    allowed: boolean,
    limit: number,
    remaining: number,
    resetSeconds: number,
    retryAfterSeconds = 0,
  ): RateLimitDecision => ({ allowed, limit, remaining, resetSeconds, retryAfterSeconds });

  const scenarios: { name: string; cfg: RateLimitConfig; steps: Step[] }[] = [
    {
      name: "burst up to capacity, then 429 with Retry-After",
      cfg: { capacity: 3, refillPerSecond: 1 },
      steps: [
        { want: d(true, 3, 2, 1) },
        { want: d(true, 3, 1, 2) },
        { want: d(true, 3, 0, 3) },
        { want: d(false, 3, 0, 3, 1) },
      ],
    },
    {
      name: "refill with the injected clock",
      cfg: { capacity: 10, refillPerSecond: 2 },
      steps: [
        { cost: 10, want: d(true, 10, 0, 5) },
        { advanceMs: 400, want: d(false, 10, 0, 5, 1) }, // 0.8 tokens: not enough
        { advanceMs: 100, want: d(true, 10, 0, 5) }, // 1.0 token
        { advanceMs: 2_000, want: d(true, 10, 3, 4) }, // +4, -1
        { advanceMs: 60_000, want: d(true, 10, 9, 1) }, // refill caps at capacity
      ],
    },
    {
      name: "cost > 1 and retry-after for the shortfall",
      cfg: { capacity: 10, refillPerSecond: 1 },
      steps: [
        { cost: 7, want: d(true, 10, 3, 7) },
        { cost: 5, want: d(false, 10, 3, 7, 2) }, // denied requests do not spend tokens
        { advanceMs: 2_000, cost: 5, want: d(true, 10, 0, 10) },
        { cost: 0, want: d(true, 10, 0, 10) },
      ],
    },
    {
      name: "cost larger than capacity is never allowed",
      cfg: { capacity: 5, refillPerSecond: 1 },
      steps: [
        { cost: 6, want: d(false, 5, 5, 0, 5) },
        { advanceMs: 3_600_000, cost: 6, want: d(false, 5, 5, 0, 5) },
        { cost: 5, want: d(true, 5, 0, 5) },
      ],
    },
    {
      name: "multiplier scales capacity and refill",
      cfg: { capacity: 4, refillPerSecond: 1 },
      steps: [
        { mult: 2.5, cost: 10, want: d(true, 10, 0, 4) },
        { mult: 2.5, want: d(false, 10, 0, 4, 1) },
        { advanceMs: 1_000, mult: 2.5, cost: 2, want: d(true, 10, 0, 4) }, // 2.5 tokens/s
        { mult: 2.5, cost: 6, want: d(false, 10, 0, 4, 3) }, // 0.5 left, needs 5.5 at 2.5/s
      ],
    },
    {
      name: "keys are independent",
      cfg: { capacity: 1, refillPerSecond: 1 },
      steps: [
        { key: "a", want: d(true, 1, 0, 1) },
        { key: "a", want: d(false, 1, 0, 1, 1) },
        { key: "b", want: d(true, 1, 0, 1) },
      ],
    },
    {
      name: "a clock stepping back does not refill",
      cfg: { capacity: 2, refillPerSecond: 1 },
      steps: [
        { cost: 2, want: d(true, 2, 0, 2) },
        { advanceMs: -10_000, want: d(false, 2, 0, 2, 1) },
        { advanceMs: 1_000, want: d(true, 2, 0, 2) },
      ],
    },
  ];
  for (const s of scenarios) {
    it(s.name, async () => {
      const c = clock();
      const rl = createMemoryRateLimiter(s.cfg, c.now);
      for (const [i, step] of s.steps.entries()) {
        if (step.advanceMs) c.advance(step.advanceMs);
        const got = await rl.take(step.key ?? "k", step.cost ?? 1, step.mult);
        assert.deepEqual(got, step.want, `step ${i}`);
      }
    });
  }

  it("evicts the least recently used key beyond maxKeys", async () => {
    const c = clock();
    const rl = createMemoryRateLimiter({ capacity: 1, refillPerSecond: 0.001, maxKeys: 2 }, c.now);
    assert.equal((await rl.take("a", 1)).allowed, true);
    assert.equal((await rl.take("b", 1)).allowed, true);
    assert.equal((await rl.take("a", 1)).allowed, false); // touches "a": "b" is now the oldest
    assert.equal((await rl.take("c", 1)).allowed, true); // evicts "b"
    assert.equal((await rl.take("a", 1)).allowed, false, "a was kept");
    assert.equal((await rl.take("b", 1)).allowed, true, "b came back with a fresh bucket, evicting c");
    assert.equal((await rl.take("b", 1)).allowed, false, "b is tracked again");
    assert.equal((await rl.take("c", 1)).allowed, true, "c was evicted, evicting a");
    assert.equal((await rl.take("a", 1)).allowed, true, "a was evicted");
  });

  it("stays bounded under many keys", async () => {
    const c = clock();
    const rl = createMemoryRateLimiter({ capacity: 1, refillPerSecond: 0.001, maxKeys: 100 }, c.now);
    for (let i = 0; i < 10_000; i++) await rl.take(`ip-${i}`, 1);
    // The last 100 keys are still tracked (and empty), the first ones were dropped.
    assert.equal((await rl.take("ip-9999", 1)).allowed, false);
    assert.equal((await rl.take("ip-9901", 1)).allowed, false);
    assert.equal((await rl.take("ip-0", 1)).allowed, true);
  });

  it("rejects take after close", async () => {
    const rl = createMemoryRateLimiter({ capacity: 1, refillPerSecond: 1 });
    await rl.close();
    await assert.rejects(rl.take("k", 1), /closed/);
  });
});

describe("rateLimitHeaders", () => {
  const cases: { name: string; d: RateLimitDecision; cfg: RateLimitConfig; want: Record<string, string> }[] =
    [
      {
        name: "allowed",
        d: { allowed: true, limit: 100, remaining: 42, resetSeconds: 6, retryAfterSeconds: 0 },
        cfg: { capacity: 100, refillPerSecond: 10 },
        want: { "RateLimit-Policy": '"default";q=100;w=10', RateLimit: '"default";r=42;t=6' },
      },
      {
        name: "denied adds Retry-After",
        d: { allowed: false, limit: 100, remaining: 0, resetSeconds: 10, retryAfterSeconds: 1 },
        cfg: { capacity: 100, refillPerSecond: 10 },
        want: {
          "RateLimit-Policy": '"default";q=100;w=10',
          RateLimit: '"default";r=0;t=10',
          "Retry-After": "1",
        },
      },
      {
        name: "window rounds up",
        d: { allowed: true, limit: 10, remaining: 9, resetSeconds: 1, retryAfterSeconds: 0 },
        cfg: { capacity: 10, refillPerSecond: 3 },
        want: { "RateLimit-Policy": '"default";q=10;w=4', RateLimit: '"default";r=9;t=1' },
      },
      {
        name: "multiplied limit stays an integer",
        d: { allowed: true, limit: 10 * 0.33, remaining: 3, resetSeconds: 0, retryAfterSeconds: 0 },
        cfg: { capacity: 10, refillPerSecond: 1 },
        want: { "RateLimit-Policy": '"default";q=3;w=10', RateLimit: '"default";r=3;t=0' },
      },
    ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(rateLimitHeaders(c.d, c.cfg), c.want));
  }

  it("matches a real decision end to end", async () => {
    const c = clock();
    const cfg = { capacity: 2, refillPerSecond: 0.5 };
    const rl = createMemoryRateLimiter(cfg, c.now);
    await rl.take("k", 2);
    assert.deepEqual(rateLimitHeaders(await rl.take("k", 1), cfg), {
      "RateLimit-Policy": '"default";q=2;w=4',
      RateLimit: '"default";r=0;t=4',
      "Retry-After": "2",
    });
  });
});
