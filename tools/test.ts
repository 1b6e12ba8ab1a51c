/**
 * The project's test command (`deno task test`, also what CI runs):
 *
 *   1. setup (npm packages, Debian packages, Jupyter kernelspec; quick when already done);
 *   2. `deno test` over tests/ with the permissions tests need, never network, with TMPDIR set to
 *      a private folder that is removed afterwards;
 *   3. every notebook in quick mode, through the notebook task's launcher, into a temporary
 *      folder (the repo stays clean);
 *   4. one summary line `tests: N passed, N failed[, N skipped]`, each notebook counting as one
 *      test; exit status 1 on any failure.
 *
 *   deno task test [test paths…] [--skip-notebooks]
 */
import { join } from "node:path";
import { setup, SetupError } from "./setup.ts";
import { listNotebooks } from "./notebooks.ts";
import { PROJECT_ROOT } from "../lib/core/project.ts";

/** Tests may read anything, write temp folders, load sharp/oneDNN, spawn deno and Python. */
export const TEST_PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-ffi",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
];

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g; // colour codes, stripped before parsing

/**
 * Counts from Deno's final test summary, e.g. `FAILED | 5 passed (2 steps) | 1 failed | 3 ignored
 * (2s)`. Steps are parts of a test, not tests, so they are not counted. Undefined when there is
 * no summary (e.g. a type error stopped the run before any test).
 */
export function parseDenoSummary(output: string): Counts | undefined {
  const lines = output.replace(ANSI, "").split("\n").map((l) => l.trim());
  const summary = lines.findLast((l) => /^(ok|FAILED) \| \d+ passed/.test(l));
  if (!summary) return undefined;
  const count = (word: string) => Number(summary.match(new RegExp(`(\\d+) ${word}`))?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), skipped: count("ignored") };
}

/** Counts from tools/notebooks.ts' last line `notebooks: N passed, N failed`. */
export function parseNotebookSummary(output: string): Counts | undefined {
  const m = output.replace(ANSI, "").match(/^notebooks: (\d+) passed, (\d+) failed$/m);
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: 0 } : undefined;
}

export function summaryLine(c: Counts): string {
  return `tests: ${c.passed} passed, ${c.failed} failed` +
    (c.skipped ? `, ${c.skipped} skipped` : "");
}

/** Runs a command, streaming its output through while keeping a copy to parse. */
async function runTee(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: PROJECT_ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const pump = async (
    stream: ReadableStream<Uint8Array>,
    sink: { write(b: Uint8Array): Promise<number> },
  ) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, output };
}

/**
 * `deno test` with TMPDIR (and so every Deno.makeTempDir, also in the deno and Python processes
 * tests start) pointing into a folder of this run's own, removed when the tests end: tests remove
 * their own folders, but one that fails halfway or forgets must not leave its checkpoints (tens of
 * MB per training fixture) to fill the disk of the machine that runs the next job.
 */
export async function runDenoTests(paths: string[]): Promise<Counts> {
  const tmp = await Deno.makeTempDir({ prefix: "biometry-tests-" });
  const { code, output } = await runTee(["test", ...TEST_PERMISSIONS, ...paths], { TMPDIR: tmp })
    .finally(() => Deno.remove(tmp, { recursive: true }));
  const counts = parseDenoSummary(output);
  if (!counts) return { passed: 0, failed: 1, skipped: 0 }; // did not get as far as running tests
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // e.g. a leak or uncaught error
  return counts;
}

async function runNotebooksQuick(): Promise<Counts> {
  const notebooks = listNotebooks(join(PROJECT_ROOT, "notebooks"));
  if (notebooks.length === 0) return { passed: 0, failed: 0, skipped: 0 };
  const out = await Deno.makeTempDir({ prefix: "notebooks-quick-" });
  const { code, output } = await runTee([
    "run",
    "--allow-read",
    "--allow-run",
    "lib/cli/launch.ts",
    "notebooks",
    "tools/notebooks.ts",
    "--quick",
    "--out",
    out,
  ]);
  const counts = parseNotebookSummary(output) ??
    { passed: 0, failed: notebooks.length, skipped: 0 };
  if (code === 0) await Deno.remove(out, { recursive: true });
  else console.error(`executed notebooks kept for inspection in ${out}`);
  return counts;
}

async function main(args: string[]): Promise<Counts> {
  const skipNotebooks = args.includes("--skip-notebooks");
  const paths = args.filter((a) => !a.startsWith("--"));
  await setup("all");
  const t0 = performance.now();
  const unit = await runDenoTests(paths.length ? paths : ["tests/"]);
  const t1 = performance.now();
  const nb = skipNotebooks ? { passed: 0, failed: 0, skipped: 0 } : await runNotebooksQuick();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  console.log(
    `\ntimes: deno test ${seconds(t1 - t0)}, notebooks ${seconds(performance.now() - t1)}`,
  );
  return {
    passed: unit.passed + nb.passed,
    failed: unit.failed + nb.failed,
    skipped: unit.skipped + nb.skipped,
  };
}

if (import.meta.main) {
  let total: Counts;
  try {
    total = await main(Deno.args);
  } catch (err) {
    // Setup problems and runner bugs still end with the summary line CI looks for.
    console.error(err instanceof SetupError ? `setup: ${err.message}` : err);
    total = { passed: 0, failed: 1, skipped: 0 };
  }
  console.log(`\n${summaryLine(total)}`); // alone on its line, whatever came before
  Deno.exit(total.failed > 0 ? 1 : 0);
}
