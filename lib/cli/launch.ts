/**
 * Permission launcher behind `deno task …`: patient images must never leave the machine, so every
 * script that touches data runs with the narrowest Deno permissions that work, and never network.
 *
 *   deno run --allow-read --allow-run lib/cli/launch.ts <profile> <script.ts> [args…]
 *
 * The launcher itself may only read and spawn processes. Because `--data <dir>` (or any other path
 * argument) can point anywhere, it derives the read list from the arguments, then spawns
 * `Deno.execPath() run <narrow flags> <script> <args…>` and exits with the script's status.
 *
 * Read: the project, the default HC18 folder, the value of every `--data`, every argument that
 * names an existing file or folder, the HC18 pixel-size CSVs beside an `--input`, and the images,
 * masks and labels that each dataset folder among these (and in the project's data/) points at. Write: the
 * profile's folders inside the project, plus the folder holding each value of the profile's output
 * flags. FFI only for libraries under node_modules/ (sharp's libvips) and /usr/lib/ (Debian's
 * oneDNN, and libc for memcpy), which must be opened by absolute path.
 * Env and system information are granted whole: they are read-only, and sharp alone reads an env
 * variable and three system facts (cpus, networkInterfaces, hostname).
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pixelSizeCsvCandidates } from "../inference/inputs.ts";
import { DEFAULT_HC18_DIR, PROJECT_ROOT } from "../core/project.ts";

export interface Profile {
  /** Folders inside the project the script may write. */
  writeDirs: string[];
  /**
   * Flags whose values name outputs the script may write (e.g. `--out`): a folder as given, a file
   * (a name with an extension) through its folder, since atomic writes create a temporary sibling.
   */
  outputFlags: string[];
  /** Programs the script may spawn (data scripts: git alone, for the commit a run records). */
  run: string[];
  /** May also spawn this deno (`Deno.execPath()`), e.g. for one process per measurement. */
  runDeno?: boolean;
}

export const PROFILES: Record<string, Profile> = {
  /** Data import, training, evaluation, prediction, demo. */
  data: {
    writeDirs: ["data", "results", "checkpoints"],
    outputFlags: ["--out", "--overlays"],
    // `git rev-parse` / `git status` only: without them run.json's git.dirty cannot be known.
    run: ["git"],
  },
  /**
   * Notebook runner: spawns Debian's Python (nbclient), through `unshare` into a network namespace
   * of its own where possible; writes executed notebooks + HTML.
   */
  notebooks: {
    writeDirs: ["notebooks", "data"],
    outputFlags: ["--out", "--html-dir"],
    run: ["/usr/bin/python3", "/usr/bin/unshare"],
  },
  /**
   * Benchmarks (synthetic data only): the PyTorch reference runs in Debian's Python (installed
   * beforehand by `setup --for bench`), each tfjs configuration in a deno process of its own.
   */
  bench: {
    writeDirs: ["data", "results", "bench/results"],
    outputFlags: [],
    run: ["/usr/bin/python3"],
    runDeno: true,
  },
};

const FFI_DIRS = [join(PROJECT_ROOT, "node_modules"), "/usr/lib"];

/** `--flag value` and `--flag=value` both count; returns every value given for `flag`. */
export function flagValues(args: string[], flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag && i + 1 < args.length) values.push(args[++i]);
    else if (args[i].startsWith(flag + "=")) values.push(args[i].slice(flag.length + 1));
  }
  return values;
}

/** A path the launcher cannot grant: the command line has to change. */
export class LaunchError extends Error {
  override name = "LaunchError";
}

/**
 * The absolute path, plus its symlink-free form when it exists (Deno checks the path as opened).
 * Permission lists are comma-separated, so a path with a comma cannot be granted.
 */
function grantable(path: string, cwd: string): string[] {
  const abs = resolve(cwd, path);
  if (abs.includes(",")) {
    throw new LaunchError(
      `cannot grant access to a path containing a comma (Deno's permission lists are ` +
        `comma-separated): ${abs}; rename it or pass a path without the comma`,
    );
  }
  const real = existsSync(abs) ? realpathSync(abs) : abs;
  return real === abs ? [abs] : [abs, real];
}

/** Candidate path strings in the arguments: plain arguments and `--flag=value` values. */
function pathLikeArgs(args: string[]): string[] {
  return args.map((a) => a.startsWith("--") && a.includes("=") ? a.slice(a.indexOf("=") + 1) : a)
    .filter((a) => a.length > 0 && !a.startsWith("-"));
}

/**
 * What to grant for an output path: the folder holding it, file or folder alike. An atomic write
 * puts a temporary sibling there and renames it into place (lib/core/fs.ts), and the name alone
 * cannot tell a file (`submission`) from a folder (`data/mine`).
 */
function outputGrant(path: string): string {
  return dirname(path);
}

/**
 * A program named in a profile, as an absolute path: a bare name (`git`) is looked up in the usual
 * bin folders (the launcher may not read PATH); undefined when it is not installed, so a machine
 * without it gets no grant instead of Deno's "failed to resolve" line on every task.
 */
function programPath(program: string): string | undefined {
  if (program.startsWith("/")) return program;
  return ["/usr/local/bin", "/usr/bin", "/bin"].map((d) => join(d, program)).find(existsSync);
}

/**
 * The folders a dataset folder points at (its dataset.json's imageDir, maskDir and labels; see
 * lib/data/dataset.ts): data:hc18 leaves the images where they are, which may be outside every
 * other grant. An unreadable or malformed description grants nothing; the script reports it.
 */
function datasetPaths(dir: string): string[] {
  let info: Record<string, unknown>;
  try {
    // lib/data/dataset.ts's DATASET_FILE; that module loads sharp, which this launcher may not.
    info = JSON.parse(readFileSync(join(dir, "dataset.json"), "utf8"));
  } catch {
    return [];
  }
  // A path with a comma cannot be granted (see grantable); it is left out rather than stopping
  // every task, and the script that needs it says it cannot read it.
  return ["imageDir", "maskDir", "labels"]
    .map((k) => info?.[k])
    .filter((p): p is string => typeof p === "string" && p !== "")
    .map((p) => resolve(dir, p))
    .filter((p) => !p.includes(","));
}

/** Subfolders of the project's data/ (where `--data <name>` and data:hc18's output live). */
function projectDatasets(): string[] {
  const root = join(PROJECT_ROOT, "data");
  try {
    return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) =>
      join(root, e.name)
    );
  } catch {
    return [];
  }
}

/** The Deno permission flags for running a script of `profile` with `args`, from `cwd`. */
export function permissionFlags(profile: Profile, args: string[], cwd: string): string[] {
  const readPaths = [PROJECT_ROOT, DEFAULT_HC18_DIR, ...flagValues(args, "--data")];
  // A comma-separated value (`--only 06,07`) is no path; one that exists as a path is refused below.
  for (const arg of pathLikeArgs(args)) {
    if (existsSync(resolve(cwd, arg))) readPaths.push(arg);
  }
  // `predict --input` looks for HC18's pixel-size CSV beside the images, also one folder up.
  for (const input of flagValues(args, "--input").map((p) => resolve(cwd, p))) {
    if (!existsSync(input)) continue;
    const dir = statSync(input).isDirectory() ? input : dirname(input);
    readPaths.push(...pixelSizeCsvCandidates(dir).filter((c) => existsSync(c)));
  }
  for (const dir of [...projectDatasets(), ...readPaths.map((p) => resolve(cwd, p))]) {
    readPaths.push(...datasetPaths(dir));
  }
  const outputs = profile.outputFlags.flatMap((flag) => flagValues(args, flag)).map(outputGrant);
  // Outputs are readable too: an atomic write renames its temporary file, and rename needs both.
  readPaths.push(...outputs);
  const writePaths = [...profile.writeDirs.map((dir) => join(PROJECT_ROOT, dir)), ...outputs];
  const list = (paths: string[]) => [...new Set(paths.flatMap((p) => grantable(p, cwd)))].join(",");
  const flags = [
    "--no-prompt",
    `--allow-read=${list(readPaths)}`,
    `--allow-write=${list(writePaths)}`,
    `--allow-ffi=${FFI_DIRS.join(",")}`,
    "--allow-env",
    "--allow-sys",
  ];
  const run = [
    ...profile.run.flatMap((p) => programPath(p) ?? []),
    ...(profile.runDeno ? [Deno.execPath()] : []),
  ];
  if (run.length > 0) flags.push(`--allow-run=${run.join(",")}`);
  return flags;
}

if (import.meta.main) {
  const [profileName, script, ...args] = Deno.args;
  const profile = PROFILES[profileName];
  if (!profile || !script) {
    console.error(
      `usage: launch.ts <${Object.keys(PROFILES).join("|")}> <script.ts> [args…]` +
        (profileName && !profile ? `\nunknown profile ${JSON.stringify(profileName)}` : ""),
    );
    Deno.exit(2);
  }
  const scriptPath = resolve(PROJECT_ROOT, script);
  if (!existsSync(scriptPath)) {
    console.error(`launch: ${script} does not exist yet in ${PROJECT_ROOT}`);
    Deno.exit(2);
  }
  let flags: string[];
  try {
    flags = permissionFlags(profile, args, Deno.cwd());
  } catch (err) {
    if (!(err instanceof LaunchError)) throw err;
    console.error(`launch: ${err.message}`);
    Deno.exit(2);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, scriptPath, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the script directly (same process group); the launcher just waits for it to
  // save and stop. A SIGTERM sent to the launcher alone is passed on.
  Deno.addSignalListener("SIGINT", () => {});
  Deno.addSignalListener("SIGTERM", () => child.kill("SIGTERM"));
  Deno.exit((await child.status).code);
}
