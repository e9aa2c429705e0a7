import assert from "node:assert/strict";
import { test } from "node:test";
import { type OffenderPolicy, Offenders } from "../../src/gateway/kernel-ban/offenders.ts";

const policy: OffenderPolicy = {
  threshold: 3,
  windowSeconds: 10,
  banSeconds: 60,
  reasons: ["rate_limited", "invalid_api_key"],
  exempt: ["10.0.0.0/8", "2001:db8:ffff::1"],
  ipv6PrefixLength: 64,
};

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("the threshold-th refusal in one window names the client, once per ban", () => {
  const c = clock();
  const o = new Offenders(policy, c.now);
  assert.equal(o.refused("192.0.2.7", "rate_limited"), null);
  assert.equal(o.refused("192.0.2.7", "invalid_api_key"), null);
  assert.deepEqual(o.refused("192.0.2.7", "rate_limited"), {
    target: "192.0.2.7",
    seconds: 60,
    ip: "192.0.2.7",
  });
  // Banned already: more refusals (in flight before the kernel drop) name it no second time.
  for (let i = 0; i < 10; i++) assert.equal(o.refused("192.0.2.7", "rate_limited"), null);
  // After the ban it starts from zero.
  c.advance(60_000);
  assert.equal(o.refused("192.0.2.7", "rate_limited"), null);
  assert.equal(o.refused("192.0.2.7", "rate_limited"), null);
  assert.ok(o.refused("192.0.2.7", "rate_limited"));
});

test("refusals spread over windows, other reasons and other clients do not add up", () => {
  const c = clock();
  const o = new Offenders(policy, c.now);
  o.refused("192.0.2.8", "rate_limited");
  o.refused("192.0.2.8", "rate_limited");
  c.advance(10_000);
  assert.equal(o.refused("192.0.2.8", "rate_limited"), null, "a new window started");
  for (let i = 0; i < 5; i++) assert.equal(o.refused("192.0.2.9", "no_healthy_node"), null);
  assert.equal(o.refused("192.0.2.10", "rate_limited"), null);
  assert.equal(o.refused("192.0.2.11", "rate_limited"), null);
});

test("exempt addresses and bad input are never named", () => {
  const o = new Offenders(policy, clock().now);
  for (let i = 0; i < 10; i++) {
    assert.equal(o.refused("10.1.2.3", "rate_limited"), null);
    assert.equal(o.refused("::ffff:10.1.2.3", "rate_limited"), null, "IPv4-mapped form of an exempt address");
    assert.equal(o.refused("", "rate_limited"), null);
    assert.equal(o.refused("not-an-ip", "rate_limited"), null);
  }
});

test("IPv6 clients are banned by prefix, as the rate limiter groups them", () => {
  const o = new Offenders(policy, clock().now);
  o.refused("2001:db8:1:2::1", "rate_limited");
  o.refused("2001:db8:1:2::2", "rate_limited");
  assert.deepEqual(o.refused("2001:db8:1:2:aaaa::3", "rate_limited"), {
    target: "2001:db8:1:2::/64",
    seconds: 60,
    ip: "2001:db8:1:2:aaaa::3",
  });
  const single = new Offenders({ ...policy, ipv6PrefixLength: 128, threshold: 1 }, clock().now);
  assert.equal(single.refused("2001:db8::5", "rate_limited")?.target, "2001:db8::5/128");
});

test("memory stays bounded under many source addresses", () => {
  const o = new Offenders({ ...policy, maxTracked: 1000 }, clock().now);
  for (let i = 0; i < 50_000; i++)
    o.refused(`198.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "rate_limited");
  assert.equal(o.tracked, 1000);
});
