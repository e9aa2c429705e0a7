// The fail2ban filter and jail shipped in deploy/fail2ban match the gateway's real access log and pass
// fail2ban's own configuration test, for both engines' logs (HAProxy's is rendered in the same shape).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  GATEWAY_ENGINES,
  type RunningDevnet,
  type RunningGateway,
  removeDir,
  startDevnet,
  startGatewayWith,
  tempDir,
  waitFor,
} from "../helpers/devnet.ts";
import { gatewayBinds } from "../helpers/gateway-binds.ts";
import { getFrom } from "../helpers/http.ts";

const FILTER = new URL("../../deploy/fail2ban/filter.d/stinger-gateway.conf", import.meta.url).pathname;
const JAIL = new URL("../../deploy/fail2ban/jail.d/stinger-gateway.conf", import.meta.url).pathname;

for (const engine of GATEWAY_ENGINES)
  describe(`fail2ban for the gateway access log (engine ${engine})`, () => {
    const dir = tempDir();
    const log = join(dir, "gateway.log");
    let devnet: RunningDevnet;
    let gateway: RunningGateway;

    before(async () => {
      devnet = await startDevnet({ minPoWScore: 1 });
      gateway = await startGatewayWith(
        join(dir, "gw.json"),
        {
          ...(await gatewayBinds(engine)),
          upstreams: [devnet.url],
          rateLimit: { capacity: 5, refillPerSecond: 0.1 },
          limits: { maxConnectionsPerClient: 2 },
        },
        { logFile: log, engine },
      );
    });

    after(async () => {
      assert.equal(await gateway.stop(), 0);
      assert.equal(await devnet.stop(), 0);
      removeDir(devnet.dataDir);
      removeDir(dir);
    });

    it("the filter counts exactly the abusive refusals, per client IP", async () => {
      for (let i = 0; i < 4; i++)
        assert.equal(
          (await getFrom(gateway.url, "/probe/wp-login.php", { localAddress: "127.0.0.12" })).status,
          404,
        );
      let limited = 0;
      for (let i = 0; i < 10; i++)
        if ((await getFrom(gateway.url, "/api/v1/info", { localAddress: "127.0.0.13" })).status === 429)
          limited++;
      assert.ok(limited >= 4);
      // The logger flushes asynchronously: wait until all 14 requests of the two clients are in the file.
      await waitFor(
        async () => (readFileSync(log, "utf8").match(/"ip":"127\.0\.0\.1[23]"/g) ?? []).length === 14,
        10_000,
        "the 14 access log lines",
      );
      const out = execFileSync("fail2ban-regex", ["--print-all-matched", log, FILTER], { encoding: "utf8" });
      const matched = Number(/Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(out)?.[1]);
      assert.equal(matched, 4 + limited, out);
      // Only the "Matched line(s)" section: fail2ban-regex also lists the missed ones.
      const section = out.split("|- Matched line(s):")[1]?.split("`-")[0] ?? "";
      assert.equal((section.match(/"ip":"127\.0\.0\.12"/g) ?? []).length, 4);
      assert.equal((section.match(/"ip":"127\.0\.0\.13"/g) ?? []).length, limited);
    });

    // HAProxy refuses those at the TCP level without an access-log line (README's support matrix).
    if (engine === "node")
      it("connections refused over the per-client cap are matched too", async () => {
        const { port } = new URL(gateway.url);
        const sockets: Socket[] = [];
        const closed: Promise<void>[] = [];
        for (let i = 0; i < 3; i++) {
          const s = connect({ host: "127.0.0.1", port: Number(port), localAddress: "127.0.0.14" });
          s.on("error", () => {});
          closed.push(new Promise((r) => s.once("close", () => r())));
          sockets.push(s);
          await new Promise((r) => s.once("connect", r));
        }
        // The third socket is over the cap of 2: closed at once, and logged as a "connection" line.
        await Promise.race(closed);
        await waitFor(
          async () => /"ip":"127\.0\.0\.14","reason":"connection_limit"/.test(readFileSync(log, "utf8")),
          10_000,
          "the connection_limit line",
        );
        for (const s of sockets) s.destroy();
        const out = execFileSync("fail2ban-regex", ["--print-all-matched", log, FILTER], {
          encoding: "utf8",
        });
        const section = out.split("|- Matched line(s):")[1]?.split("`-")[0] ?? "";
        assert.equal((section.match(/"ip":"127\.0\.0\.14"/g) ?? []).length, 1, out);
      });

    it("the jail passes fail2ban's configuration test", () => {
      const conf = join(dir, "fail2ban");
      cpSync("/etc/fail2ban", conf, { recursive: true });
      mkdirSync(join(conf, "jail.d"), { recursive: true });
      cpSync(FILTER, join(conf, "filter.d", "stinger-gateway.conf"));
      writeFileSync(
        join(conf, "jail.d", "stinger-gateway.conf"),
        // Same jail, pointed at this test's log; other jails off so the test needs no system logs.
        `${readFileSync(JAIL, "utf8").replace(/^logpath\s*=.*$/m, `logpath = ${log}`)}\n[sshd]\nenabled = false\n`,
      );
      const r = spawnSync("fail2ban-client", ["-c", conf, "-t"], { encoding: "utf8" });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, /OK: configuration test is successful/);
    });
  });
