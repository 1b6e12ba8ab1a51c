/** initBackend: order, overrides, reasons, and a clean fallback when oneDNN is missing. */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { BACKEND_ORDER, formatBackendReport, initBackend } from "../../lib/backend/mod.ts";
import { InputError } from "../../lib/core/errors.ts";
import { DEFAULT_DNNL_PATH } from "../../lib/backend/dnnl/ffi.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const FIXTURE = new URL("./fixtures/print_report.ts", import.meta.url).pathname;
/** The permissions `deno task` grants (lib/cli/launch.ts): FFI only under /usr/lib and node_modules. */
const TASK_PERMISSIONS = [
  "--allow-read",
  "--allow-env",
  "--allow-sys",
  `--allow-ffi=/usr/lib,${ROOT}node_modules`,
];

/** Runs initBackend in a fresh process (oneDNN loads once per process) and returns its report. */
async function reportInChild(env: Record<string, string>, permissions = ["-A"]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, FIXTURE],
    env,
    cwd: ROOT,
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

const dnnlPresent = (() => {
  try {
    return Deno.statSync(DEFAULT_DNNL_PATH).isFile;
  } catch {
    return false;
  }
})();

Deno.test("auto: tfjs-node flavours are skipped with their import error, then the fast path runs", async () => {
  const r = await initBackend();
  assert.deepEqual(r.reasons.slice(0, 2).map((x) => x.backend), ["tfjs-node-gpu", "tfjs-node"]);
  for (const reason of r.reasons) assert.ok(reason.skipped.length > 0);
  const hidden = Deno.env.get("BIOMETRY_DNNL_PATH") !== undefined &&
    Deno.env.get("BIOMETRY_DNNL_PATH") !== DEFAULT_DNNL_PATH;
  assert.equal(r.name, dnnlPresent && !hidden ? "cpu-dnnl" : "wasm");
  assert.equal(tf.getBackend(), r.details.tfBackend);
  assert.ok(r.threads >= 1 && r.threads <= navigator.hardwareConcurrency);
  assert.match(String(r.details.threadsChosenBy), /load average|BIOMETRY_THREADS/);
  assert.match(formatBackendReport(r), new RegExp(`backend: ${r.name}`));
});

Deno.test("prefer moves a backend to the front; unknown names are an InputError", async () => {
  const r = await initBackend({ prefer: "cpu" });
  assert.equal(r.name, "cpu");
  assert.deepEqual(r.reasons, []);
  await assert.rejects(() => initBackend({ prefer: "tpu" }), InputError);
  await assert.rejects(() => initBackend({ threads: 0 }), InputError);
  await initBackend(); // leave the default active for other tests
});

Deno.test("BIOMETRY_DNNL_PATH pointing nowhere falls back to wasm and says why", async () => {
  const r = await reportInChild({ BIOMETRY_DNNL_PATH: "/nonexistent/libdnnl.so.2" });
  assert.equal(r.name, "wasm");
  const dnnl = r.reasons.find((x: { backend: string }) => x.backend === "cpu-dnnl");
  assert.match(dnnl.skipped, /nonexistent/);
  assert.deepEqual(r.reasons.map((x: { backend: string }) => x.backend), BACKEND_ORDER.slice(0, 3));
});

Deno.test({
  name: "FFI granted only for /usr/lib, as deno task does, is enough for the fast path",
  ignore: !dnnlPresent,
  fn: async () => {
    const r = await reportInChild({ BIOMETRY_DNNL_PATH: DEFAULT_DNNL_PATH }, TASK_PERMISSIONS);
    assert.equal(r.name, "cpu-dnnl", JSON.stringify(r.reasons));
  },
});

Deno.test("BIOMETRY_BACKEND selects the backend", async () => {
  const r = await reportInChild({ BIOMETRY_BACKEND: "cpu" });
  assert.equal(r.name, "cpu");
  assert.equal(r.details.requested, "cpu");
});
