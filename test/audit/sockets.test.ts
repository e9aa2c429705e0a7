import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { describe, test } from "node:test";
import { collectSockets, parseProcNet } from "../../src/audit/collectors/sockets.ts";
import { LiveHost } from "../../src/audit/host.ts";

describe("/proc/net parser", () => {
  const header =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
  test("IPv4 and IPv6 addresses, ports and states as the kernel writes them", () => {
    const tcp = parseProcNet(
      `${header}   0: 0100007F:36B9 00000000:0000 0A 00000000:00000000 00:00000000 00000000   998        0 4242 1 0\n` +
        `   1: 0100007F:36B9 0100007F:D431 01 00000000:00000000 00:00000000 00000000   998        0 4243 1 0\n`,
      "tcp",
    );
    assert.deepEqual(tcp.sockets, [
      { protocol: "tcp", family: 4, address: "127.0.0.1", port: 14009, uid: 998, inode: 4242 },
    ]);
    const tcp6 = parseProcNet(
      `${header}   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0\n` +
        `   1: 0000000000000000FFFF00000100007F:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 78 1 0\n`,
      "tcp",
    );
    assert.deepEqual(
      tcp6.sockets.map((s) => `${s.address}:${s.port}`),
      ["::1:22", "::ffff:127.0.0.1:443"],
    );
  });

  test("a truncated snapshot counts its bad lines instead of throwing", () => {
    const r = parseProcNet(`${header}   0: 0100007F:36B9 00000000:0000 0A 0000\n   1: zz`, "tcp");
    assert.deepEqual(r.sockets, []);
    assert.equal(r.badLines, 2);
  });
});

describe("live sockets (this process's own listeners)", () => {
  test("TCP and UDP listeners on loopback are found with their owning process", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const udp = createSocket("udp6");
    await new Promise<void>((r) => udp.bind(0, "::1", r));
    try {
      const tcpPort = (server.address() as { port: number }).port;
      const udpPort = udp.address().port;
      const r = await collectSockets(new LiveHost());
      assert.ok(r.ok, r.ok ? "" : r.reason);
      const tcp = r.value.sockets.find((s) => s.protocol === "tcp" && s.port === tcpPort);
      assert.deepEqual(
        { address: tcp?.address, family: tcp?.family, pid: tcp?.process?.pid },
        { address: "127.0.0.1", family: 4, pid: process.pid },
      );
      const u = r.value.sockets.find((s) => s.protocol === "udp" && s.port === udpPort);
      assert.deepEqual(
        { address: u?.address, family: u?.family, pid: u?.process?.pid },
        {
          address: "::1",
          family: 6,
          pid: process.pid,
        },
      );
    } finally {
      server.close();
      udp.close();
    }
  });
});
