/**
 * Execute the notebooks (notebooks/NN_*.ipynb) with the Deno Jupyter kernel and render HTML.
 *
 *   deno task notebooks [--quick] [--only 01,03] [--out DIR] [--html-dir DIR] [--data DIR]
 *                       [--cell-timeout S]
 *
 * By default notebooks are executed in place, so the committed files carry their outputs and
 * GitHub shows the figures; HTML goes to notebooks/html/. With `--out DIR` the executed copies go
 * to DIR and the HTML to DIR/html (unless `--html-dir` says otherwise), leaving the repo clean.
 * `--quick` sets BIOMETRY_QUICK=1 for the kernel (see lib/notebook/env.ts: small phantom data,
 * short runs); `--data` sets BIOMETRY_DATA.
 *
 * Each notebook runs through tools/nbexec.py with Debian's Python (nbclient), which keeps outputs
 * the Deno kernel sends after reporting idle; the kernel works in the notebook's folder. Prints one
 * line per notebook and finally `notebooks: N passed, N failed`; exits 1 if any failed.
 */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { PROJECT_ROOT } from "../lib/core/project.ts";

const NOTEBOOK_DIR = join(PROJECT_ROOT, "notebooks");
const PYTHON = "/usr/bin/python3"; // Debian's: the pyenv python3 on PATH lacks nbclient
const UNSHARE = "/usr/bin/unshare";

/**
 * The Deno kernel always runs with all permissions, so Deno cannot keep a notebook off the
 * network. Where the OS allows it, the runner's Python and the kernel it starts run in a fresh
 * network namespace that has only its own loopback (which nbclient and the kernel talk over).
 * Returns the command prefix, or [] where namespaces are not available (e.g. a locked-down
 * container), in which case notebooks run with the machine's network.
 */
export async function networkIsolationPrefix(): Promise<string[]> {
  // Root keeps its capabilities with a plain network namespace; others need a user namespace.
  const flags = Deno.uid() === 0 ? ["--net"] : ["--net", "--map-root-user"];
  // `ip` lives in sbin, which a user's PATH may lack; the shell finds it, not Deno (no read grant).
  const up = 'PATH=/usr/sbin:/sbin:$PATH ip link set lo up && exec "$0" "$@"';
  const prefix = [UNSHARE, ...flags, "/bin/sh", "-c", up];
  try {
    const probe = await new Deno.Command(prefix[0], {
      args: [...prefix.slice(1), "/bin/true"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success ? prefix : [];
  } catch {
    return [];
  }
}

export interface NotebookOptions {
  quick: boolean;
  /** Two-digit prefixes to run; empty means all. */
  only: string[];
  outDir?: string;
  htmlDir: string;
  dataDir?: string;
  cellTimeoutS: number;
}

export function parseNotebookArgs(args: string[], cwd = Deno.cwd()): NotebookOptions {
  const opts: Partial<NotebookOptions> & { quick: boolean; only: string[] } = {
    quick: false,
    only: [],
    cellTimeoutS: 1200,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].includes("=") ? args[i].split(/=(.*)/s) : [args[i], undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new Error(`notebooks: ${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--quick":
        opts.quick = true;
        break;
      case "--only":
        opts.only.push(...value().split(",").map((s) => s.trim().padStart(2, "0")));
        break;
      case "--out":
        opts.outDir = resolve(cwd, value());
        break;
      case "--html-dir":
        opts.htmlDir = resolve(cwd, value());
        break;
      case "--data":
        opts.dataDir = resolve(cwd, value());
        break;
      case "--cell-timeout":
        opts.cellTimeoutS = Number(value());
        if (!(opts.cellTimeoutS > 0)) throw new Error(`notebooks: bad --cell-timeout ${args[i]}`);
        break;
      default:
        throw new Error(`notebooks: unknown argument ${JSON.stringify(args[i])}`);
    }
  }
  opts.htmlDir ??= opts.outDir ? join(opts.outDir, "html") : join(NOTEBOOK_DIR, "html");
  return opts as NotebookOptions;
}

/** notebooks/NN_*.ipynb in order, filtered by `only` (two-digit prefixes); none if no folder. */
export function listNotebooks(dir: string, only: string[] = []): string[] {
  if (!existsSync(dir)) return [];
  const names = [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && /^\d\d_.*\.ipynb$/.test(e.name))
    .map((e) => e.name)
    .filter((name) => only.length === 0 || only.includes(name.slice(0, 2)))
    .sort();
  return names.map((n) => join(dir, n));
}

export interface NotebookResult {
  notebook: string;
  ok: boolean;
  seconds: number;
  /** nbexec's stderr when it failed (names the cell and the error). */
  message: string;
}

export async function executeNotebook(
  notebook: string,
  opts: NotebookOptions,
  isolation: string[] = [],
): Promise<NotebookResult> {
  const name = basename(notebook);
  const out = opts.outDir ? join(opts.outDir, name) : notebook;
  const html = join(opts.htmlDir, name.replace(/\.ipynb$/, ".html"));
  await Deno.mkdir(opts.htmlDir, { recursive: true });
  if (opts.outDir) await Deno.mkdir(opts.outDir, { recursive: true });
  const env: Record<string, string> = { BIOMETRY_QUICK: opts.quick ? "1" : "0" };
  if (opts.dataDir) env.BIOMETRY_DATA = opts.dataDir;
  const started = performance.now();
  const command = [...isolation, PYTHON];
  const r = await new Deno.Command(command[0], {
    args: [
      ...command.slice(1),
      join(PROJECT_ROOT, "tools/nbexec.py"),
      notebook,
      out,
      "--html",
      html,
      "--cell-timeout",
      String(opts.cellTimeoutS),
    ],
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr)
    .split("\n").filter((l) => !l.includes('"deno jupyter" is unstable')).join("\n").trim();
  return {
    notebook,
    ok: r.code === 0,
    seconds: (performance.now() - started) / 1000,
    message: stderr,
  };
}

if (import.meta.main) {
  let opts: NotebookOptions;
  try {
    opts = parseNotebookArgs(Deno.args);
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(2);
  }
  const notebooks = listNotebooks(NOTEBOOK_DIR, opts.only);
  if (notebooks.length === 0) {
    console.error(
      `notebooks: none matched in ${NOTEBOOK_DIR}` +
        (opts.only.length ? ` (--only ${opts.only})` : ""),
    );
    Deno.exit(1);
  }
  const isolation = await networkIsolationPrefix();
  if (isolation.length === 0) {
    console.log(
      "notebooks: no network namespace available; kernels run with the machine's network",
    );
  }
  let failed = 0;
  for (const nb of notebooks) {
    const r = await executeNotebook(nb, opts, isolation);
    const mode = opts.quick ? "quick" : "full";
    console.log(
      `notebook ${basename(nb)} (${mode}): ${r.ok ? "ok" : "FAILED"} in ${r.seconds.toFixed(1)} s`,
    );
    if (!r.ok) {
      failed++;
      console.error(r.message);
    }
  }
  console.log(`notebooks: ${notebooks.length - failed} passed, ${failed} failed`);
  Deno.exit(failed > 0 ? 1 : 0);
}
