// stinger ban-helper --group takes a group name (as the systemd unit gives it) or a number.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BIN, removeDir, tempDir } from "../helpers/devnet.ts";

test("--group by name: the socket is 0660 and owned by that group; an unknown name is one line, exit 2", async () => {
  const dir = tempDir();
  const socket = join(dir, "ban.sock");
  const helper = spawn(process.execPath, [BIN, "ban-helper", "--socket", socket, "--group", "root"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ready line")), 10_000);
      helper.stdout!.on("data", (d) => {
        if (String(d).includes(`stinger ban-helper ready: ${socket}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      helper.once("exit", (code) => reject(new Error(`exited ${code}`)));
    });
    const st = statSync(socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, 0);
  } finally {
    helper.kill("SIGTERM");
    await new Promise((r) => helper.once("exit", r));
    removeDir(dir);
  }
  const bad = spawnSync(process.execPath, [BIN, "ban-helper", "--group", "no-such-group-here"], {
    encoding: "utf8",
  });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim(), 'stinger: --group: no group "no-such-group-here" in /etc/group');
});
