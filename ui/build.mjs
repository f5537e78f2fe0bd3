// Copies the pinned bpmn-js viewer (see package-lock.json) into the Python package, so that
// `pip install flowdesk` users get the web UI's diagrams without Node.
// Run from the repository root: npm ci --prefix ui && npm run --prefix ui build
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "bpmn-js");
const target = join(here, "..", "src", "flowdesk", "api", "ui", "static", "vendor");
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));

const files = {
  "dist/bpmn-navigated-viewer.production.min.js": "bpmn-navigated-viewer.production.min.js",
  "dist/assets/diagram-js.css": "diagram-js.css",
  "dist/assets/bpmn-js.css": "bpmn-js.css",
  "LICENSE": "bpmn-js.LICENSE.txt",
};
mkdirSync(target, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(join(source, from), join(target, to));
}
// Read by the tests: the committed asset must be the version the lock file pins.
writeFileSync(join(target, "versions.json"), JSON.stringify({ "bpmn-js": version }, null, 2) + "\n");
console.log(`bpmn-js ${version} -> ${target}`);
