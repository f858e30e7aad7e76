// Copies the front-end libraries the app serves from node_modules into app/static/vendor.
// Run by `make` and by the Dockerfile's node stage (`npm ci && npm run build`), so both
// serve byte-identical files. The vendor folder is git-ignored: nothing third-party is
// committed.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "app", "static", "vendor");

const assets = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  // The basic partial bundle (bar, scatter, pie), not the full one: a quarter the size.
  ["plotly.js-basic-dist-min/plotly-basic.min.js", "plotly-basic.min.js"],
  // The API's interactive documentation at /docs (for signed-in users).
  ["swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui-bundle.js"],
  ["swagger-ui-dist/swagger-ui.css", "swagger-ui.css"],
];

mkdirSync(vendor, { recursive: true });
for (const [from, to] of assets) {
  copyFileSync(join(root, "node_modules", from), join(vendor, to));
  console.log(`app/static/vendor/${to} <- node_modules/${from}`);
}
