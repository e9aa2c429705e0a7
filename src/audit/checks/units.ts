// stinger's systemd units keep their hardening (deploy/systemd): a unit that lost a directive is
// reported with the lines to add back. The ban helper alone runs as root, with CAP_NET_ADMIN only.
import { type Check, finding } from "../check.ts";

/** Directive → the values that count as set, and the line to suggest. */
const REQUIRED: [string, RegExp, string][] = [
  ["NoNewPrivileges", /^(yes|true|1|on)$/i, "NoNewPrivileges=yes"],
  ["ProtectSystem", /^strict$/i, "ProtectSystem=strict"],
  ["ProtectHome", /^(yes|true|1|on|read-only|tmpfs)$/i, "ProtectHome=yes"],
  ["PrivateTmp", /^(yes|true|1|on)$/i, "PrivateTmp=yes"],
  [
    "CapabilityBoundingSet",
    /.*/,
    "CapabilityBoundingSet= (empty; CAP_NET_BIND_SERVICE for a gateway on 443)",
  ],
];

const STG_014: Check = {
  id: "STG-014",
  title: "a stinger systemd unit lacks its hardening",
  area: "stinger",
  severity: "medium",
  run(f) {
    if (!f.units.ok) return { skipped: f.units.reason };
    const out = [];
    for (const u of f.units.value) {
      const missing = REQUIRED.filter(([key, ok]) => !u.service.has(key) || !ok.test(u.service.get(key)!));
      const helper = /\bban-helper\b/.test(u.service.get("ExecStart") ?? "");
      const user = u.service.get("User") ?? "root";
      const asRoot = !helper && (user === "root" || user === "0");
      if (missing.length === 0 && !asRoot) continue;
      const lines = [
        ...missing.map(([, , line]) => line),
        ...(asRoot ? ["User=stinger", "Group=stinger"] : []),
      ];
      out.push(
        finding(this, {
          severity: asRoot ? "high" : "medium",
          evidence: `${u.path}: ${[
            ...missing.map(
              ([key]) => `${key} ${u.service.has(key) ? `is "${u.service.get(key)}"` : "is not set"}`,
            ),
            ...(asRoot ? [`runs as ${user}`] : []),
          ].join(", ")}`,
          fix: `in [Service] of ${u.path} (or a drop-in, systemctl edit): ${lines.join("; ")}; then systemctl daemon-reload and restart it (deploy/systemd has the full units)`,
        }),
      );
    }
    return out;
  },
};

export const UNIT_CHECKS: readonly Check[] = [STG_014];
