import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIpFilter, type IpFilterConfig } from "../../src/gateway/ip-filter.ts";

describe("createIpFilter: config", () => {
  const bad: { name: string; cfg: IpFilterConfig; mentions: string[] }[] = [
    {
      name: "bad allow entry",
      cfg: { allow: ["10.0.0.0/8", "10.0.0.x"], deny: [] },
      mentions: ["allow", "10.0.0.x"],
    },
    { name: "bad deny entry", cfg: { allow: [], deny: ["1.2.3.4/40"] }, mentions: ["deny", "1.2.3.4/40"] },
    { name: "IPv6 prefix too long", cfg: { allow: [], deny: ["::/200"] }, mentions: ["deny", "::/200"] },
    { name: "hostname", cfg: { allow: ["localhost"], deny: [] }, mentions: ["allow", "localhost"] },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => createIpFilter(c.cfg),
        (err: Error) => c.mentions.every((m) => err.message.includes(m)),
      );
    });
  }
});

describe("createIpFilter: requests", () => {
  const cases: { name: string; cfg: IpFilterConfig; ip: string; want: boolean }[] = [
    { name: "no rules allows", cfg: { allow: [], deny: [] }, ip: "1.2.3.4", want: true },
    { name: "deny hit", cfg: { allow: [], deny: ["1.2.3.0/24"] }, ip: "1.2.3.99", want: false },
    { name: "deny miss", cfg: { allow: [], deny: ["1.2.3.0/24"] }, ip: "1.2.4.1", want: true },
    { name: "allow hit", cfg: { allow: ["10.0.0.0/8"], deny: [] }, ip: "10.20.30.40", want: true },
    { name: "allow miss", cfg: { allow: ["10.0.0.0/8"], deny: [] }, ip: "11.0.0.1", want: false },
    { name: "single address allow", cfg: { allow: ["192.0.2.7"], deny: [] }, ip: "192.0.2.7", want: true },
    {
      name: "single address neighbour",
      cfg: { allow: ["192.0.2.7"], deny: [] },
      ip: "192.0.2.8",
      want: false,
    },
    {
      name: "deny wins over allow",
      cfg: { allow: ["10.0.0.0/8"], deny: ["10.6.6.0/24"] },
      ip: "10.6.6.6",
      want: false,
    },
    {
      name: "deny wins even for an exact allow",
      cfg: { allow: ["10.6.6.6"], deny: ["10.0.0.0/8"] },
      ip: "10.6.6.6",
      want: false,
    },
    { name: "IPv6 allow", cfg: { allow: ["2001:db8::/32"], deny: [] }, ip: "2001:db8:1::1", want: true },
    { name: "IPv6 allow miss", cfg: { allow: ["2001:db8::/32"], deny: [] }, ip: "2001:db9::1", want: false },
    {
      name: "IPv6 deny, odd spelling",
      cfg: { allow: [], deny: ["2001:db8::1"] },
      ip: "2001:DB8:0::0:1",
      want: false,
    },
    // A mapped spelling must not slip past an IPv4 rule, and a mapped rule covers plain IPv4.
    {
      name: "mapped address vs IPv4 deny",
      cfg: { allow: [], deny: ["10.0.0.0/8"] },
      ip: "::ffff:10.1.2.3",
      want: false,
    },
    {
      name: "mapped rule vs IPv4 address",
      cfg: { allow: [], deny: ["::ffff:10.0.0.0/104"] },
      ip: "10.1.2.3",
      want: false,
    },
    { name: "IPv6 /0 deny leaves IPv4 alone", cfg: { allow: [], deny: ["::/0"] }, ip: "1.2.3.4", want: true },
    {
      name: "IPv4 /0 deny leaves IPv6 alone",
      cfg: { allow: [], deny: ["0.0.0.0/0"] },
      ip: "2001:db8::1",
      want: true,
    },
    {
      name: "IPv4 allow does not admit IPv6",
      cfg: { allow: ["0.0.0.0/0"], deny: [] },
      ip: "::1",
      want: false,
    },
    {
      name: "unparseable with deny rules fails closed",
      cfg: { allow: [], deny: ["1.2.3.4"] },
      ip: "",
      want: false,
    },
    {
      name: "unparseable with allow rules",
      cfg: { allow: ["0.0.0.0/0"], deny: [] },
      ip: "junk",
      want: false,
    },
    { name: "unparseable without rules", cfg: { allow: [], deny: [] }, ip: "", want: true },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(createIpFilter(c.cfg)(c.ip), c.want));
  }
});
