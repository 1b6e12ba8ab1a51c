import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT } from "../../lib/core/project.ts";

const TASK = fileURLToPath(new URL("../fixtures/run_main_task.ts", import.meta.url));

/** Runs the fixture task script with one failure case; its exit status and stderr. */
async function runTask(failure: string): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, failure],
    cwd: PROJECT_ROOT,
    env: { BIOMETRY_THREADS: "1", NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("runMain: the wasm backend's 4 GiB heap running out gives one clear line, status 1", async () => {
  const { code, stderr } = await runTask("wasm-out-of-memory");
  assert.equal(code, 1, stderr);
  assert.match(stderr, /error: the wasm backend ran out of memory: its heap stops at 4 GiB/);
  assert.match(stderr, /smaller --batch or --size/);
  assert.doesNotMatch(stderr, /Uncaught|^\s+at /m);
});

Deno.test("runMain: bad input is one line with status 2; a bug keeps its stack", async () => {
  const bad = await runTask("input-error");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^error: labels\.csv, row 3: no such column \(value: "x"\)$/m);
  const bug = await runTask("bug");
  assert.equal(bug.code, 1, bug.stderr);
  assert.match(bug.stderr, /Uncaught.*RangeError: index 7 out of range/);
  assert.match(bug.stderr, /^\s+at /m);
});
