/**
 * Where the project lives and which commit it runs, for default paths and run records. One
 * definition: the root comes from the file URL decoded (a path with spaces or % survives).
 */
import { extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, without a trailing slash. */
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

/** Paths inside the project relative to it, so a record or message reads the same on any clone. */
export function projectRelative(path: string): string {
  return path.startsWith(PROJECT_ROOT + "/") ? relative(PROJECT_ROOT, path) : path;
}

/** HC18 as the workspace expects it: `../shared/data/hc18` beside the project. */
export const DEFAULT_HC18_DIR = resolve(PROJECT_ROOT, "../shared/data/hc18");

/** The commit the code ran at: `git rev-parse HEAD`, else read from .git; null if neither works. */
export async function gitCommit(): Promise<{ commit: string | null; dirty: boolean | null }> {
  try {
    const run = (args: string[]) =>
      new Deno.Command("git", { args, cwd: PROJECT_ROOT, stdout: "piped", stderr: "null" })
        .output();
    const head = await run(["rev-parse", "HEAD"]);
    if (head.success) {
      const status = await run(["status", "--porcelain", "--untracked-files=no"]);
      const text = new TextDecoder();
      return {
        commit: text.decode(head.stdout).trim(),
        dirty: status.success ? text.decode(status.stdout).trim().length > 0 : null,
      };
    }
  } catch {
    // No git on the machine, or no permission to run it: read the files (dirty stays unknown).
  }
  try {
    const git = join(PROJECT_ROOT, ".git");
    const head = (await Deno.readTextFile(join(git, "HEAD"))).trim();
    if (!head.startsWith("ref: ")) return { commit: head, dirty: null };
    const ref = head.slice(5);
    const loose = await Deno.readTextFile(join(git, ref)).catch(() => null);
    if (loose) return { commit: loose.trim(), dirty: null };
    const packed = await Deno.readTextFile(join(git, "packed-refs"));
    const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
    return { commit: line ? line.split(" ")[0] : null, dirty: null };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * How an output was made, for the record file beside it: when, at which commit, with which Deno,
 * plus what the caller adds (command, models, backend, inputs).
 */
export async function provenance(
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  return {
    createdAt: new Date().toISOString(),
    git: await gitCommit(),
    deno: Deno.version.deno,
    ...extra,
  };
}

/** A file beside an output, its extension swapped: (`pred.csv`, `.errors.csv`) → `pred.errors.csv`. */
export function siblingPath(output: string, suffix: string): string {
  const ext = extname(output);
  return (ext ? output.slice(0, -ext.length) : output) + suffix;
}

/** The record file that goes with an output file: `pred.csv` → `pred.run.json`. */
export function provenancePath(output: string): string {
  return siblingPath(output, ".run.json");
}

/** UTC stamp for run and output folder names, e.g. `20261201-184637`. */
export function runStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}
