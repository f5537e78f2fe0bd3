// Copies the pinned bpmn-js viewer and swagger-ui (see package-lock.json) into the Python package,
// so that `pip install flowdesk` users get the web UI's diagrams and the API docs without Node or a CDN,
// and axe-core (a dev dependency) beside the browser tests, which check every page with it.
// Run from the repository root: npm ci --prefix ui && npm run --prefix ui build
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "src", "flowdesk", "api", "ui", "static", "vendor");

const packages = {
  "bpmn-js": {
    "dist/bpmn-navigated-viewer.production.min.js": "bpmn-navigated-viewer.production.min.js",
    "dist/assets/diagram-js.css": "diagram-js.css",
    "dist/assets/bpmn-js.css": "bpmn-js.css",
    "LICENSE": "bpmn-js.LICENSE.txt",
  },
  "swagger-ui-dist": {
    "swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui.css",
    "LICENSE": "swagger-ui.LICENSE.txt",
  },
};
mkdirSync(target, { recursive: true });
const versions = {};
for (const [name, files] of Object.entries(packages)) {
  const source = join(here, "node_modules", name);
  versions[name] = JSON.parse(readFileSync(join(source, "package.json"), "utf8")).version;
  for (const [from, to] of Object.entries(files)) {
    copyFileSync(join(source, from), join(target, to));
  }
  console.log(`${name} ${versions[name]} -> ${target}`);
}
// Read by the tests: the committed assets must be the versions the lock file pins.
writeFileSync(join(target, "versions.json"), JSON.stringify(versions, null, 2) + "\n");

// Test-only assets (never shipped): axe-core, which the browser tests run on every page.
const testTarget = join(here, "..", "tests", "browser", "vendor");
mkdirSync(testTarget, { recursive: true });
const axe = join(here, "node_modules", "axe-core");
for (const [from, to] of Object.entries({ "axe.min.js": "axe.min.js", "LICENSE": "axe-core.LICENSE.txt" })) {
  copyFileSync(join(axe, from), join(testTarget, to));
}
const axeVersion = JSON.parse(readFileSync(join(axe, "package.json"), "utf8")).version;
writeFileSync(join(testTarget, "versions.json"), JSON.stringify({ "axe-core": axeVersion }, null, 2) + "\n");
console.log(`axe-core ${axeVersion} -> ${testTarget}`);
