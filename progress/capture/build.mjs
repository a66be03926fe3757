// Copies MediaPipe Tasks Vision (Apache-2.0) from node_modules into frontend/vendor/, the only browser assets
// the Capture component loads besides its own files and the package's face_landmarker.task.
// Run: cd progress/capture && npm ci && npm run build
//
// The bundle's usage-metrics upload (a POST to odml.pa.googleapis.com every minute) is removed: client photos are
// health data and the page must make no request outside this machine. The patch fails loudly if an upgrade
// changes the code it removes, so it is re-checked on every upgrade.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "node_modules", "@mediapipe", "tasks-vision");
const target = join(here, "frontend", "vendor");
mkdirSync(target, { recursive: true });

const METRICS_URL = '"https://odml.pa.googleapis.com/v1/log"';
const SEND = "async send(t,e,r){var n=this.h?new AbortController";
let bundle = readFileSync(join(source, "vision_bundle.mjs"), "utf8");
for (const needle of [METRICS_URL, SEND]) {
  const count = bundle.split(needle).length - 1;
  if (count !== 1) throw new Error(`expected ${needle} once in vision_bundle.mjs, found ${count}: re-check the patch`);
}
bundle = bundle.replace(METRICS_URL, '"about:blank"').replace(SEND, "async send(t,e,r){return;var n=this.h?new AbortController");
bundle = bundle.replace(/\n\/\/# sourceMappingURL=.*$/m, "\n");
if (/https?:\/\/[a-z0-9.-]+\.(googleapis|gstatic|google)\.com/.test(bundle)) throw new Error("a Google URL is left in the bundle");
writeFileSync(join(target, "vision_bundle.mjs"), bundle);
for (const name of ["vision_wasm_internal.js", "vision_wasm_internal.wasm"]) {
  copyFileSync(join(source, "wasm", name), join(target, name));
}
const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
writeFileSync(join(target, "VERSION"), `@mediapipe/tasks-vision ${version} (Apache-2.0), metrics upload removed by build.mjs\n`);
console.log(`frontend/vendor/: @mediapipe/tasks-vision ${version}`);
