import assert from "node:assert/strict";
import { join } from "node:path";
import {
  parseDenoSummary,
  parseNotebookSummary,
  runDenoTests,
  summaryLine,
} from "../../tools/test.ts";

Deno.test("parseDenoSummary: Deno's summary lines, with colours, steps and ignored tests", () => {
  const cases: [string, ReturnType<typeof parseDenoSummary>][] = [
    ["ok | 5 passed | 0 failed (2s)", { passed: 5, failed: 0, skipped: 0 }],
    ["\x1b[0m\x1b[32mok\x1b[0m | 12 passed | 0 failed \x1b[0m(439ms)", {
      passed: 12,
      failed: 0,
      skipped: 0,
    }],
    ["FAILED | 5 passed (3 steps) | 2 failed (1 step) | 4 ignored (9s)", {
      passed: 5,
      failed: 2,
      skipped: 4,
    }],
    ["error: Module not found", undefined],
    ["", undefined],
  ];
  for (const [output, expected] of cases) {
    assert.deepEqual(parseDenoSummary(`running 3 tests\nx ... ok\n\n${output}\n`), expected);
  }
});

Deno.test("parseNotebookSummary and summaryLine", () => {
  assert.deepEqual(parseNotebookSummary("notebook 01 ok\nnotebooks: 6 passed, 1 failed\n"), {
    passed: 6,
    failed: 1,
    skipped: 0,
  });
  assert.equal(parseNotebookSummary("notebooks: none matched"), undefined);
  assert.equal(summaryLine({ passed: 3, failed: 0, skipped: 0 }), "tests: 3 passed, 0 failed");
  assert.equal(
    summaryLine({ passed: 3, failed: 1, skipped: 2 }),
    "tests: 3 passed, 1 failed, 2 skipped",
  );
});

Deno.test("parseDenoSummary reads what `deno test` really prints", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "sample.test.ts"),
      `Deno.test("a", () => {});
Deno.test("b", async (t) => { await t.step("s1", () => {}); await t.step("s2", () => {}); });
Deno.test("c", () => { throw new Error("boom"); });
Deno.test({ name: "d", ignore: true, fn() {} });`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--no-check", dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.deepEqual(parseDenoSummary(text), { passed: 2, failed: 1, skipped: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runDenoTests: a temp folder a test leaves behind is gone when the run ends", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const record = join(dir, "left.txt");
    await Deno.writeTextFile(
      join(dir, "leaky.test.ts"),
      `Deno.test("leaks", async () => {
  const d = await Deno.makeTempDir({ prefix: "leaked-" });
  await Deno.writeTextFile(d + "/checkpoint.bin", "x".repeat(1000));
  await Deno.writeTextFile(${JSON.stringify(record)}, d);
});`,
    );
    assert.deepEqual(await runDenoTests([dir]), { passed: 1, failed: 0, skipped: 0 });
    const left = await Deno.readTextFile(record);
    assert.match(left, /biometry-tests-[^/]+\/leaked-/);
    await assert.rejects(Deno.stat(left), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
