// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core, against
// `stinger devnet --nodes 2` with its gateway. Log in (a wrong password is refused and counted), watch
// the confirmed milestone rise, find node 1 among the peers, look up a message iota.js sent, watch the
// gateway's counters move, read the host audit; no console errors. Then the bad input: forged and
// expired sessions, malformed lookups, oversized WebSocket frames.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SingleNodeClient, sendData } from "@iota/iota.js";
import { type Browser, chromium, type Page } from "playwright-core";
import WebSocket from "ws";
import { type RunningDevnet, removeDir, startDevnet, tempDir, waitFor } from "../helpers/devnet.ts";

const CHROMIUM = "/usr/bin/chromium";

// The page's globals, for the functions playwright runs inside the page (the page's CSP forbids
// evaluating strings; this file compiles without the DOM library).
interface PageNode {
  textContent: string | null;
}
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelectorAll(selector: string): Iterable<PageNode> & { length: number };
};
declare const sessionStorage: { setItem(key: string, value: string): void };
const DASHBOARD_FILTER = new URL("../../deploy/fail2ban/filter.d/stinger-dashboard.conf", import.meta.url)
  .pathname;
const DOCS_SCREENSHOT = new URL("../../docs/dashboard.png", import.meta.url).pathname;

describe("dashboard (headless Chromium)", () => {
  let devnet: RunningDevnet;
  let browser: Browser;
  let page: Page;
  let url: string;
  let password: string;
  let shots: string;
  /** console errors and page errors, except the 400/401/429 the test provokes on purpose */
  const consoleErrors: string[] = [];
  let expectRefusals = false;

  before(async () => {
    devnet = await startDevnet({ nodes: 2, gateway: true, milestoneInterval: 1, timeoutMs: 60_000 });
    const m = await waitFor(
      async () =>
        /stinger devnet dashboard: (http:\/\/\S+) \(user admin, password in (\S+)\)/.exec(devnet.stdout()),
      30_000,
      "the devnet's dashboard line",
    );
    url = m[1]!;
    password = readFileSync(m[2]!, "utf8").trim();
    shots = tempDir("stinger-dashboard-shots-");
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      if (expectRefusals && /status of (400|401|429)/.test(msg.text())) return;
      consoleErrors.push(`${msg.text()} (${msg.location().url})`);
    });
    page.on("pageerror", (err) => consoleErrors.push(String(err)));
  });

  after(async () => {
    await browser?.close();
    await devnet?.stop();
    if (devnet) removeDir(devnet.dataDir);
    if (shots) removeDir(shots);
  });

  it("refuses a wrong password and counts it, then logs in", async () => {
    await page.goto(url);
    await page.waitForSelector("#login-form", { state: "visible" });
    expectRefusals = true;
    await page.fill("#username", "admin");
    await page.fill("#password", "not the password");
    await page.click("#login-button");
    await page.waitForFunction(
      () => document.getElementById("login-error")?.textContent === "Wrong user or password.",
    );
    expectRefusals = false;
    assert.equal(await page.isVisible("#app"), false);
    await waitFor(
      async () => /"msg":"dashboard login failed"/.test(devnet.stderr()),
      10_000,
      "the failed login logged",
    );
    const line = devnet
      .stderr()
      .split("\n")
      .find((l) => l.includes('"msg":"dashboard login failed"'))!;
    const logged = JSON.parse(line) as { remoteIp: string; user: string; failures: number; refused: string };
    assert.deepEqual(
      [logged.remoteIp, logged.user, logged.failures, logged.refused],
      ["127.0.0.1", "admin", 1, "bad_credentials"],
    );
    assert.ok(!line.includes("not the password"), "the password is not logged");

    await page.fill("#password", password);
    await page.click("#login-button");
    await page.waitForSelector("#app", { state: "visible" });
    await page.waitForSelector("#connection.ok");
    await page.screenshot({ path: join(shots, "overview.png"), fullPage: true });
  });

  it("shows the confirmed milestone rising live, over the WebSocket", async () => {
    const read = async () => Number(await page.textContent("#cmi"));
    const first = await read();
    await waitFor(
      async () => (await read()) >= first + 2,
      20_000,
      "the confirmed milestone up by 2 on the page",
    );
    assert.ok((await read()) >= first + 2);
    assert.match((await page.textContent("#sync")) ?? "", /synced/);
    await page.waitForFunction(() => document.querySelectorAll("#milestones tbody tr").length >= 2);
  });

  it("shows node 1 in the peers pane, connected, with its gossip counters", async () => {
    await page.click("#tab-peers");
    await page.waitForFunction(() =>
      [...document.querySelectorAll("#peers tbody tr")].some(
        (tr) => tr.textContent?.includes("devnet-1") && tr.textContent.includes("connected"),
      ),
    );
    const row = await page.$$eval("#peers tbody tr", (trs) =>
      trs
        .map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""))
        .find((r) => r[0] === "devnet-1"),
    );
    assert.ok(row);
    assert.equal(row[2], "connected");
    assert.ok(Number(row[7]) > 0, `messages sent to node 1: ${row.join(" | ")}`);
    await page.screenshot({ path: join(shots, "peers.png"), fullPage: true });
  });

  it("looks up a message sent by iota.js and shows its metadata and children", async () => {
    const client = new SingleNodeClient(devnet.url);
    const sent = await sendData(client, "dashboard-test", "hello from iota.js");
    await waitFor(
      async () => (await client.messageMetadata(sent.messageId)).referencedByMilestoneIndex !== undefined,
      30_000,
      "the message referenced",
    );
    await page.click("#tab-explorer");
    await page.fill("#explorer-input", sent.messageId);
    await page.click("#explorer-go");
    await page.waitForSelector("#explorer-metadata");
    const meta = JSON.parse((await page.textContent("#explorer-metadata")) ?? "{}") as {
      messageId: string;
      referencedByMilestoneIndex: number;
    };
    assert.equal(meta.messageId, sent.messageId);
    assert.ok(meta.referencedByMilestoneIndex > 0);
    const message = JSON.parse((await page.textContent("#explorer-message")) ?? "{}") as {
      payload: { index: string };
    };
    assert.equal(message.payload.index, Buffer.from("dashboard-test").toString("hex"));
    assert.ok(await page.isVisible("#explorer-children"));
    await page.screenshot({ path: join(shots, "explorer.png"), fullPage: true });

    // A milestone by its index; a malformed ID: the error in the page, not a crash.
    await page.fill("#explorer-input", "3");
    await page.click("#explorer-go");
    await page.waitForSelector("#explorer-milestone");
    expectRefusals = true;
    await page.selectOption("#explorer-kind", "output");
    await page.fill("#explorer-input", "zz-not-an-id");
    await page.click("#explorer-go");
    await page.waitForSelector("#explorer-error");
    assert.match((await page.textContent("#explorer-error")) ?? "", /^400: /);
    await page.selectOption("#explorer-kind", "auto");
  });

  it("shows the gateway's counters moving", async () => {
    await page.click("#tab-gateway");
    await page.waitForSelector("#gateway-requests");
    const total = async () =>
      page.$$eval("#gateway-requests tbody tr td:nth-child(2)", (tds) =>
        tds.reduce((n, td) => n + Number(td.textContent), 0),
      );
    const before = await total();
    const ca = readFileSync(devnet.gateway!.caFile);
    const { Agent, request } = await import("undici");
    const agent = new Agent({ connect: { ca } });
    for (let i = 0; i < 5; i++)
      await (await request(`${devnet.gateway!.url}/api/v1/info`, { dispatcher: agent })).body.text();
    await agent.close();
    await waitFor(async () => (await total()) >= before + 5, 15_000, "the gateway's request count up by 5");
    const nodes = await page.$$eval("#gateway-nodes tbody tr", (trs) =>
      trs.map((tr) => tr.textContent ?? ""),
    );
    assert.equal(nodes.length, 2);
    assert.ok(
      nodes.every((n) => n.includes("in rotation")),
      nodes.join("\n"),
    );
    await page.screenshot({ path: join(shots, "gateway.png"), fullPage: true });
  });

  it("runs the host audit from the security pane and shows its score and findings", async () => {
    await page.click("#tab-security");
    await page.waitForSelector("#audit-none");
    await page.click("#audit-run");
    await page.waitForSelector("#audit-score", { timeout: 120_000 });
    assert.match(
      (await page.textContent("#audit-score")) ?? "",
      /^Score \d+\/100: \d+ finding\(s\), \d+ checks run/,
    );
    assert.ok(existsSync(join(devnet.dataDir, "audit", "report.json")));
    await page.screenshot({ path: join(shots, "security.png"), fullPage: true });
    await page.click("#tab-overview");
    await page.waitForSelector("#cmi");
    await page.screenshot({ path: join(shots, "dashboard.png") });
    // The README's picture, refreshed on request only (it is committed).
    if (process.env.STINGER_UPDATE_SCREENSHOTS === "1")
      copyFileSync(join(shots, "dashboard.png"), DOCS_SCREENSHOT);
    assert.deepEqual(consoleErrors, [], "no console errors");
  });

  it("refuses forged and expired sessions, on the page and on the API", async () => {
    // A forged token in the page's storage: back to the login form on reload.
    const forged = `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.${Buffer.from('{"sub":"admin","aud":"stinger-dashboard","exp":9999999999}').toString("base64url")}.AAAA`;
    expectRefusals = true;
    await page.evaluate((t) => sessionStorage.setItem("stinger-dashboard-token", t), forged);
    await page.reload();
    await page.waitForSelector("#login-form", { state: "visible" });
    for (const [path, token] of [
      ["/api/state", ""],
      ["/api/state", forged],
      ["/api/explorer/api/v1/info", forged],
      ["/api/audit", "garbage"],
    ] as const) {
      const r = await fetch(`${url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      assert.equal(r.status, 401, path);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "401");
    }
    // Bad login bodies: the JSON error shape.
    for (const body of ["{", "[1]", JSON.stringify({ username: 1, password: [] })]) {
      const r = await fetch(`${url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      assert.ok([400, 401].includes(r.status), `${body}: ${r.status}`);
      assert.ok(((await r.json()) as { error?: unknown }).error, body);
    }
    const huge = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "x".repeat(10_000) }),
    });
    assert.equal(huge.status, 413);
    // The strict CSP on the page itself.
    const page0 = await fetch(url);
    assert.match(page0.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.doesNotMatch(await page0.text(), /<script>|\son[a-z]+\s*=/i, "no inline script or handler");
  });

  it("closes a WebSocket that sends an oversized frame, or no session", async () => {
    const wsUrl = `${url.replace(/^http/, "ws")}/ws`;
    const closeOf = (send: (ws: WebSocket) => void) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(wsUrl);
        ws.on("open", () => send(ws));
        ws.on("error", () => {});
        ws.on("close", (code, reason) => resolve({ code, reason: String(reason) }));
      });
    assert.equal((await closeOf((ws) => ws.send("x".repeat(100_000)))).code, 1009);
    assert.deepEqual(await closeOf((ws) => ws.send("not json")), {
      code: 4000,
      reason: "frames must be JSON",
    });
    assert.equal(
      (await closeOf((ws) => ws.send(JSON.stringify({ type: "auth", token: "forged" })))).code,
      4001,
    );
    // The node is still serving.
    assert.equal((await fetch(`${devnet.url}/api/v1/info`)).status, 200);
  });

  it("answers 429 to every login after too many failures in a minute, the right password too", async () => {
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${url}/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "admin", password: `wrong ${i}` }),
      });
      last = r.status;
      await r.arrayBuffer();
    }
    // The first test's failure plus these: over the default 5 a minute.
    assert.equal(last, 429);
    const r = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
    assert.equal(r.status, 429, "even the right password waits");
    assert.ok(Number(r.headers.get("retry-after")) > 0);
  });

  it("lets fail2ban's stinger-dashboard filter match every refused login in the node's log", async () => {
    const log = join(shots, "node.log");
    writeFileSync(log, devnet.stderr());
    const out = execFileSync("fail2ban-regex", ["--print-all-matched", log, DASHBOARD_FILTER], {
      encoding: "utf8",
    });
    const matched = Number(/Lines: \d+ lines, \d+ ignored, (\d+) matched/.exec(out)?.[1]);
    const refused = devnet
      .stderr()
      .split("\n")
      .filter((l) => l.includes('"msg":"dashboard login failed"')).length;
    assert.ok(refused >= 7, `refused logins logged: ${refused}`);
    assert.equal(matched, refused, out);
  });
});
