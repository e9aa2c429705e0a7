// Builds the dashboard page from dashboard/ into dist/dashboard/ with esbuild: one bundled,
// minified script, the stylesheet and the HTML page (no inline code: the server's CSP forbids it).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "dashboard");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "dashboard", "src", "main.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  sourcemap: false,
  legalComments: "none",
  logLevel: "warning",
});
copyFileSync(join(root, "dashboard", "src", "style.css"), join(out, "app.css"));
copyFileSync(join(root, "dashboard", "index.html"), join(out, "index.html"));
console.log(`dashboard built: ${out}`);
