// The stinger dashboard page: log in, then live state over a WebSocket, an explorer over the node's
// public REST routes, the gateway's view and the host audit. Everything it shows comes from the node
// and may come from elsewhere before that (peer aliases, message data): text only, never HTML.

// biome-ignore lint/suspicious/noExplicitAny: JSON from the node's own API, read field by field
type Json = Record<string, any>;

const TOKEN_KEY = "stinger-dashboard-token";
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** An element with text or children; attributes set as properties would be (no HTML parsing). */
function h(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Node | string | number)[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : String(c));
  return el;
}

function table(head: string[], rows: (string | number | Node)[][], id?: string): HTMLElement {
  return h(
    "table",
    id ? { id } : {},
    h("thead", {}, h("tr", {}, ...head.map((x) => h("th", {}, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c))))),
  );
}

function card(title: string, value: string | number, sub = "", id?: string): HTMLElement {
  return h(
    "div",
    { class: "card" },
    h("h3", {}, title),
    h("div", { class: "value", ...(id ? { id } : {}) }, value),
    h("div", { class: "sub" }, sub),
  );
}

function showError(message: string): void {
  $("error").textContent = message;
}

let token = sessionStorage.getItem(TOKEN_KEY) ?? "";
let socket: WebSocket | undefined;
let reconnect: number | undefined;

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(path, {
    ...init,
    headers: { ...(init.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  let body: Json = {};
  try {
    body = (await res.json()) as Json;
  } catch {
    body = { error: { message: `HTTP ${res.status}` } };
  }
  if (res.status === 401 && token && path !== "/api/login") logout("the session ended; log in again");
  return { status: res.status, body };
}

const errorText = (r: { status: number; body: Json }) => `${r.status}: ${r.body?.error?.message ?? "error"}`;

// ---- login ----------------------------------------------------------------------------------------

function showLogin(message = ""): void {
  $("login").hidden = false;
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login-error").textContent = message;
}

function logout(message = ""): void {
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  if (reconnect !== undefined) clearTimeout(reconnect);
  socket?.close();
  socket = undefined;
  showLogin(message);
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const r = await api("/api/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: $<HTMLInputElement>("username").value,
      password: $<HTMLInputElement>("password").value,
    }),
  });
  if (r.status !== 200) {
    $("login-error").textContent =
      r.status === 429
        ? "Too many failed logins: wait a minute."
        : r.status === 401
          ? "Wrong user or password."
          : errorText(r);
    return;
  }
  token = r.body.data.token as string;
  sessionStorage.setItem(TOKEN_KEY, token);
  $<HTMLInputElement>("password").value = "";
  startApp();
});

$("logout").addEventListener("click", () => logout());

// ---- tabs -----------------------------------------------------------------------------------------

const TABS = ["overview", "peers", "gateway", "explorer", "security"] as const;
type Tab = (typeof TABS)[number];

function selectTab(tab: Tab): void {
  for (const t of TABS) {
    $(`pane-${t}`).hidden = t !== tab;
    $(`tab-${t}`).classList.toggle("active", t === tab);
  }
  if (tab === "security") void loadAudit();
}

$("tabs").append(
  ...TABS.map((t) => {
    const b = h("button", { id: `tab-${t}`, type: "button" }, t[0]!.toUpperCase() + t.slice(1));
    b.addEventListener("click", () => selectTab(t));
    return b;
  }),
);

// ---- live state -----------------------------------------------------------------------------------

function chart(history: { mps: number; rmps: number }[]): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("id", "rates-chart");
  svg.setAttribute("viewBox", "0 0 120 50");
  svg.setAttribute("preserveAspectRatio", "none");
  const max = Math.max(1, ...history.map((p) => Math.max(p.mps, p.rmps)));
  for (const key of ["mps", "rmps"] as const) {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", key);
    line.setAttribute("vector-effect", "non-scaling-stroke");
    line.setAttribute(
      "points",
      history
        .map((p, i) => `${(i * 120) / Math.max(1, history.length - 1)},${48 - (p[key] / max) * 46}`)
        .join(" "),
    );
    svg.append(line);
  }
  return svg;
}

function renderOverview(s: Json): void {
  const pane = $("pane-overview");
  const sync = s.sync;
  const pow = s.pow;
  const db = s.database;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  pane.replaceChildren(
    h(
      "div",
      { class: "cards" },
      card("sync", sync.synced ? "synced" : "syncing", sync.healthy ? "healthy" : "not healthy", "sync"),
      card("latest milestone", sync.latestMilestoneIndex, "", "lmi"),
      card("confirmed milestone", sync.confirmedMilestoneIndex, "", "cmi"),
      card(
        "messages/s",
        s.rates.messagesPerSecond,
        `referenced ${s.rates.referencedMessagesPerSecond}/s (${s.rates.referencedRate}%)`,
        "mps",
      ),
      card("tips", s.tips, "", "tips"),
      card(
        "peers",
        `${s.peers.filter((p: Json) => p.connected).length}/${s.peers.length}`,
        "connected / known",
        "peer-count",
      ),
      card(
        "remote PoW",
        pow ? `${pow.busyWorkers}/${pow.workers} busy` : "off",
        pow ? `queue ${pow.queueDepth}/${pow.maxQueue}, ${pow.hashesPerSecond} hashes/s` : "",
        "pow",
      ),
      card(
        "database",
        mb(db.file),
        `history ${mb(db.tangle)}, ledger ${mb(db.ledger)}; pruned to ${db.pruningIndex}`,
        "database",
      ),
      card(
        "ledger",
        `milestone ${s.ledger.index}`,
        `supply ${s.ledger.supply}, treasury ${s.ledger.treasury}${s.ledger.faucet ? `, faucet ${s.ledger.faucet.balance}` : ""}`,
        "ledger",
      ),
      card("MQTT clients", s.mqttClients, "", "mqtt"),
    ),
    h("h3", {}, "Messages per second (blue) and referenced (green), last two minutes"),
    chart(s.history),
    h("h3", {}, "Milestones"),
    table(
      ["index", "issued", "referenced messages", "message"],
      [...s.milestones]
        .reverse()
        .map((m: Json) => [
          m.index,
          new Date(m.timestamp * 1000).toLocaleTimeString(),
          m.referenced,
          m.messageId.slice(0, 16),
        ]),
      "milestones",
    ),
  );
}

function renderPeers(s: Json): void {
  const rows = s.peers.map((p: Json) => {
    const m = p.gossip?.metrics ?? {};
    const hb = p.gossip?.heartbeat;
    return [
      p.alias ?? "",
      p.id,
      p.connected ? "connected" : "not connected",
      hb ? `${hb.solidMilestoneIndex} / ${hb.latestMilestoneIndex}` : "",
      m.newMessages ?? 0,
      m.knownMessages ?? 0,
      m.receivedMessages ?? 0,
      m.sentMessages ?? 0,
      m.droppedPackets ?? 0,
    ];
  });
  $("pane-peers").replaceChildren(
    table(
      ["alias", "peer ID", "state", "solid / latest", "new", "known", "received", "sent", "dropped"],
      rows,
      "peers",
    ),
  );
}

function renderGateway(s: Json): void {
  const g = s.gateway;
  if (!g) {
    $("pane-gateway").replaceChildren(h("p", {}, "No gateway configured (dashboard.gateway.adminURL)."));
    return;
  }
  const kv = (o: Json) => Object.entries(o).map(([k, v]) => [k, v as number]);
  $("pane-gateway").replaceChildren(
    h("p", {}, g.ok ? `Gateway metrics from ${g.url}` : `Gateway unreachable (${g.url}): ${g.error}`),
    h("h3", {}, "Requests by status"),
    table(["status", "requests"], kv(g.requests), "gateway-requests"),
    h("h3", {}, "Refusals by reason"),
    table(["reason", "refused"], kv(g.refusals), "gateway-refusals"),
    h("h3", {}, "Nodes"),
    table(
      ["node", "health", "in flight", "requests", "PoW jobs"],
      g.nodes.map((n: Json) => [
        n.node,
        n.healthy ? "in rotation" : "out of rotation",
        n.inFlight,
        n.requests,
        n.powJobs,
      ]),
      "gateway-nodes",
    ),
  );
}

function render(s: Json): void {
  $("node-name").textContent = `${s.node.alias} · ${s.node.network}`;
  renderOverview(s);
  renderPeers(s);
  renderGateway(s);
}

function setConnection(text: string, ok: boolean): void {
  const el = $("connection");
  el.textContent = text;
  el.className = `badge ${ok ? "ok" : "bad"}`;
}

function connect(): void {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket = ws;
  ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "auth", token })));
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as Json;
    if (msg.type === "state") {
      setConnection("live", true);
      render(msg.data);
    }
  });
  ws.addEventListener("close", (e) => {
    if (socket !== ws) return;
    setConnection("offline", false);
    if (e.code === 4001) return logout("the session ended; log in again");
    reconnect = window.setTimeout(connect, 2000);
  });
}

// ---- explorer -------------------------------------------------------------------------------------

function pre(id: string, title: string, body: unknown): HTMLElement {
  return h("div", {}, h("h3", {}, title), h("pre", { id }, JSON.stringify(body, null, 2)));
}

async function lookUp(query: string, kind: string): Promise<void> {
  const out = $("explorer-result");
  out.replaceChildren(h("p", {}, "looking up…"));
  const q = query.trim();
  const get = (path: string) => api(`/api/explorer${path}`);
  const fail = (r: { status: number; body: Json }) =>
    out.replaceChildren(h("p", { class: "error", id: "explorer-error" }, errorText(r)));
  const message = async (id: string): Promise<boolean> => {
    const [m, meta, children] = await Promise.all([
      get(`/api/v1/messages/${id}`),
      get(`/api/v1/messages/${id}/metadata`),
      get(`/api/v1/messages/${id}/children`),
    ]);
    if (m.status !== 200) return false;
    out.replaceChildren(
      pre("explorer-metadata", "Metadata", meta.body.data),
      pre("explorer-children", "Children", children.body.data),
      pre("explorer-message", "Message", m.body.data),
    );
    return true;
  };
  const hex64 = /^(0x)?[0-9a-fA-F]{64}$/;
  const k =
    kind !== "auto"
      ? kind
      : /^\d+$/.test(q)
        ? "milestone"
        : /^(0x)?[0-9a-fA-F]{68}$/.test(q)
          ? "output"
          : hex64.test(q)
            ? "message"
            : "address";
  const id = q.replace(/^0x/, "");
  if (k === "milestone") {
    const [ms, changes] = await Promise.all([
      get(`/api/v1/milestones/${id}`),
      get(`/api/v1/milestones/${id}/utxo-changes`),
    ]);
    if (ms.status !== 200) return fail(ms);
    out.replaceChildren(
      pre("explorer-milestone", "Milestone", ms.body.data),
      pre("explorer-utxo", "UTXO changes", changes.body.data),
    );
    return;
  }
  if (k === "output") {
    const r = await get(`/api/v1/outputs/${id}`);
    if (r.status !== 200) return fail(r);
    out.replaceChildren(pre("explorer-output", "Output", r.body.data));
    return;
  }
  if (k === "message" || k === "transaction") {
    if (k === "message" && (await message(id))) return;
    const inc = await get(`/api/v1/transactions/${id}/included-message`);
    if (inc.status === 200) {
      out.replaceChildren(
        pre("explorer-transaction", "Message that includes the transaction", inc.body.data),
      );
      return;
    }
    if (kind !== "auto") return fail(inc);
  }
  const addressPath = hex64.test(q) ? `/api/v1/addresses/ed25519/${id}` : `/api/v1/addresses/${q}`;
  const [bal, outs] = await Promise.all([get(addressPath), get(`${addressPath}/outputs`)]);
  if (bal.status !== 200) return fail(bal);
  out.replaceChildren(
    pre("explorer-address", "Address", bal.body.data),
    pre("explorer-outputs", "Outputs", outs.body.data),
  );
}

$("explorer-form").addEventListener("submit", (e) => {
  e.preventDefault();
  void lookUp($<HTMLInputElement>("explorer-input").value, $<HTMLSelectElement>("explorer-kind").value).catch(
    (err: Error) => showError(err.message),
  );
});

// ---- security -------------------------------------------------------------------------------------

function renderAudit(data: Json): void {
  const r = data.report;
  const findings = (r.findings ?? []) as Json[];
  $("audit-result").replaceChildren(
    h(
      "p",
      { id: "audit-score" },
      `Score ${r.score}/100: ${findings.length} finding(s), ${r.checksRun} checks run, written ${new Date(data.writtenAt).toLocaleString()}`,
    ),
    table(
      ["id", "severity", "finding", "fix"],
      findings.map((f) => [f.id, h("span", { class: `sev-${f.severity}` }, f.severity), f.title, f.fix]),
      "audit-findings",
    ),
  );
}

async function loadAudit(): Promise<void> {
  const r = await api("/api/audit");
  if (r.status === 200 && r.body.data.report === null)
    $("audit-result").replaceChildren(
      h(
        "p",
        { id: "audit-none" },
        `No audit report yet (${r.body.data.path}): run one now, or write one with stinger audit --json.`,
      ),
    );
  else if (r.status === 200) renderAudit(r.body.data);
  else
    $("audit-result").replaceChildren(h("p", { id: "audit-none" }, r.body?.error?.message ?? errorText(r)));
}

$("audit-run").addEventListener("click", async () => {
  $("audit-result").replaceChildren(h("p", {}, "auditing the host…"));
  const r = await api("/api/audit/run", { method: "POST" });
  if (r.status === 200) renderAudit(r.body.data);
  else $("audit-result").replaceChildren(h("p", { class: "error" }, errorText(r)));
});

// ---- start ----------------------------------------------------------------------------------------

function startApp(): void {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  selectTab("overview");
  connect();
}

window.addEventListener("unhandledrejection", (e) => showError(String(e.reason?.message ?? e.reason)));

if (token) {
  void api("/api/session").then((r) => (r.status === 200 ? startApp() : logout()));
} else showLogin();
