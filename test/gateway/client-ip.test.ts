import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientRateKey, createClientIpResolver, normalizeIp } from "../../src/gateway/client-ip.ts";

describe("createClientIpResolver: config", () => {
  const bad: { name: string; entries: string[]; names: string }[] = [
    { name: "not an address", entries: ["proxy.local"], names: "proxy.local" },
    { name: "IPv4 prefix > 32", entries: ["10.0.0.0/33"], names: "10.0.0.0/33" },
    { name: "IPv6 prefix > 128", entries: ["2001:db8::/129"], names: "2001:db8::/129" },
    { name: "empty prefix", entries: ["10.0.0.0/"], names: "10.0.0.0/" },
    { name: "non-numeric prefix", entries: ["10.0.0.0/8a"], names: "10.0.0.0/8a" },
    { name: "negative prefix", entries: ["10.0.0.0/-1"], names: "10.0.0.0/-1" },
    { name: "octet out of range", entries: ["10.0.0.256/32"], names: "10.0.0.256/32" },
    { name: "port in config", entries: ["10.0.0.1:80"], names: "10.0.0.1:80" },
    { name: "bracketed IPv6 in config", entries: ["[::1]"], names: "[::1]" },
    { name: "empty string", entries: ["10.0.0.1", ""], names: '""' },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => createClientIpResolver(c.entries),
        (err: Error) => err.message.includes("trustedProxies") && err.message.includes(c.names),
      );
    });
  }

  it("accepts IPv4, IPv6, single addresses and IPv4-mapped CIDRs", () => {
    assert.doesNotThrow(() =>
      createClientIpResolver(["10.0.0.0/8", "192.168.1.1", "2001:db8::/32", "::1", "::ffff:172.16.0.0/108"]),
    );
  });
});

describe("normalizeIp", () => {
  const cases: [string, string | null][] = [
    ["1.2.3.4", "1.2.3.4"],
    ["  1.2.3.4\t", "1.2.3.4"],
    ["1.2.3.4:5678", "1.2.3.4"],
    ["[::1]:80", "::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:102:304", "1.2.3.4"],
    ["[::ffff:10.0.0.1]:443", "10.0.0.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80::1%eth0", "fe80::1"],
    ["::", "::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["unknown", null],
    ["", null],
    ["01.2.3.4", null],
    ["1.2.3.4:", null],
    ["1.2.3.4:99999999", null],
    ["::1:80", "::1:80"], // a bare IPv6 is taken as written; ports need brackets
    ["[1.2.3.4]:80", null],
    ["1.2.3.4, 5.6.7.8", null],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${want}`, () => assert.equal(normalizeIp(input), want));
  }
});

describe("createClientIpResolver: requests", () => {
  const resolve = createClientIpResolver(["10.0.0.0/8", "2001:db8:ffff::/48", "::ffff:192.168.0.0/112"]);
  const cases: {
    name: string;
    peer: string;
    xff: string | string[] | undefined;
    want: string;
  }[] = [
    // Spoofing: an untrusted peer's XFF is ignored entirely.
    {
      name: "untrusted peer, forged XFF",
      peer: "203.0.113.9",
      xff: "10.0.0.1, 1.1.1.1",
      want: "203.0.113.9",
    },
    { name: "untrusted peer, no XFF", peer: "203.0.113.9", xff: undefined, want: "203.0.113.9" },
    { name: "untrusted mapped peer", peer: "::ffff:203.0.113.9", xff: "8.8.8.8", want: "203.0.113.9" },
    { name: "trusted peer, no XFF", peer: "10.0.0.5", xff: undefined, want: "10.0.0.5" },
    { name: "trusted peer, empty XFF", peer: "10.0.0.5", xff: "", want: "10.0.0.5" },
    { name: "trusted peer, one hop", peer: "10.0.0.5", xff: "198.51.100.7", want: "198.51.100.7" },
    // The client prepends a forged address; the walk stops at the first untrusted hop from the right.
    {
      name: "client-forged left entries are ignored",
      peer: "10.0.0.5",
      xff: "6.6.6.6, 10.9.9.9, 198.51.100.7",
      want: "198.51.100.7",
    },
    {
      name: "multi-hop trusted chain",
      peer: "10.0.0.5",
      xff: "6.6.6.6, 198.51.100.7, 10.1.1.1, 10.2.2.2",
      want: "198.51.100.7",
    },
    {
      name: "all hops trusted: leftmost",
      peer: "10.0.0.5",
      xff: "10.3.3.3, 10.2.2.2, 10.1.1.1",
      want: "10.3.3.3",
    },
    {
      name: "several header instances joined",
      peer: "10.0.0.5",
      xff: ["6.6.6.6, 198.51.100.7", "10.1.1.1"],
      want: "198.51.100.7",
    },
    {
      name: "header instances, untrusted in the later one",
      peer: "10.0.0.5",
      xff: ["198.51.100.7", "203.0.113.1"],
      want: "203.0.113.1",
    },
    {
      name: "ports and whitespace stripped",
      peer: "10.0.0.5",
      xff: " 198.51.100.7:5678 ,10.1.1.1:80 ",
      want: "198.51.100.7",
    },
    // Malformed entries stop the walk at the last trusted hop's view.
    { name: "malformed rightmost entry", peer: "10.0.0.5", xff: "198.51.100.7, garbage", want: "10.0.0.5" },
    {
      name: "malformed behind a trusted hop",
      peer: "10.0.0.5",
      xff: "1.1.1.1, nope, 10.1.1.1",
      want: "10.1.1.1",
    },
    {
      name: "malformed left of the client",
      peer: "10.0.0.5",
      xff: "nope, 198.51.100.7",
      want: "198.51.100.7",
    },
    {
      name: "empty list elements skipped",
      peer: "10.0.0.5",
      xff: "198.51.100.7, ,10.1.1.1,",
      want: "198.51.100.7",
    },
    // IPv6 and IPv4-mapped.
    {
      name: "IPv6 trusted peer, IPv6 client",
      peer: "2001:db8:ffff::1",
      xff: "2001:DB8:1::0:5",
      want: "2001:db8:1::5",
    },
    { name: "IPv6 untrusted peer", peer: "2001:db8:1::1", xff: "10.0.0.1", want: "2001:db8:1::1" },
    {
      name: "bracketed IPv6 with port in XFF",
      peer: "10.0.0.5",
      xff: "[2001:db8:1::5]:443",
      want: "2001:db8:1::5",
    },
    { name: "mapped trusted peer", peer: "::ffff:10.0.0.5", xff: "198.51.100.7", want: "198.51.100.7" },
    { name: "mapped client in XFF", peer: "10.0.0.5", xff: "::ffff:198.51.100.7", want: "198.51.100.7" },
    { name: "mapped CIDR trusts plain IPv4", peer: "192.168.3.4", xff: "198.51.100.7", want: "198.51.100.7" },
    {
      name: "mapped trusted hop in XFF",
      peer: "10.0.0.5",
      xff: "198.51.100.7, ::ffff:10.2.2.2",
      want: "198.51.100.7",
    },
    // Robustness: never throws.
    { name: "unparseable peer", peer: "", xff: "1.2.3.4", want: "" },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(resolve(c.peer, c.xff), c.want));
  }

  it("trusting nothing ignores XFF even from loopback", () => {
    assert.equal(createClientIpResolver([])("127.0.0.1", "1.2.3.4"), "127.0.0.1");
  });

  it("an IPv6 /0 does not trust IPv4 peers", () => {
    assert.equal(createClientIpResolver(["::/0"])("10.0.0.1", "1.2.3.4"), "10.0.0.1");
    assert.equal(createClientIpResolver(["::/0"])("2001:db8::1", "1.2.3.4"), "1.2.3.4");
  });

  it("walks a long header without throwing", () => {
    const xff = `${Array.from({ length: 2000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(",")}`;
    assert.equal(resolve("10.0.0.5", `198.51.100.7,${xff}`), "198.51.100.7");
  });
});

describe("clientRateKey", () => {
  it("keeps IPv4 addresses whole", () => {
    assert.equal(clientRateKey("203.0.113.7"), "203.0.113.7");
  });

  it("groups IPv6 addresses by /64", () => {
    const a = clientRateKey(normalizeIp("2001:db8:1:2:aaaa:bbbb:cccc:dddd")!);
    assert.equal(a, "2001:db8:1:2::/64");
    assert.equal(clientRateKey(normalizeIp("2001:db8:1:2::1")!), a);
    assert.notEqual(clientRateKey(normalizeIp("2001:db8:1:3::1")!), a);
  });

  it("honours other prefix lengths, including ones inside a group", () => {
    assert.equal(clientRateKey("2001:db8:1:2::1", 48), "2001:db8:1::/48");
    assert.equal(clientRateKey("2001:db8:1:2ff::1", 56), "2001:db8:1:200::/56");
    assert.equal(clientRateKey("2001:db8::1", 128), "2001:db8::1");
  });
});
