/**
 * Workspace setup, idempotent and quick when everything is already there (well under a second).
 *
 *   deno task setup             everything for the tasks and tests: npm packages, Debian packages,
 *                               Jupyter kernelspec
 *   deno task setup --for demo  only what the demo needs (npm packages, native math libraries)
 *   --for bench                 the demo's needs plus PyTorch (python3-torch) and jemalloc
 *                               (libjemalloc2), the benchmark's reference; `deno task bench` runs
 *                               this first
 *
 * Debian packages are installed only when running as root with apt-get; otherwise setup stops and
 * prints the exact command to run.
 *
 * `deno` is always spawned as `Deno.execPath()`, so this works when deno itself came from `npx`
 * and is not on PATH.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../lib/core/project.ts";

/**
 * Debian packages by role: the fast CPU backend, the notebook runner's Python side, and the
 * benchmark's PyTorch reference with jemalloc (large, so only `--for bench` installs them).
 */
export const DEBIAN_PACKAGES = {
  runtime: ["libdnnl2"],
  notebooks: ["jupyter-nbconvert", "jupyter-client", "python3-nbclient"],
  bench: ["python3-torch", "libjemalloc2"],
} as const;

export const PURPOSES = ["all", "demo", "bench"] as const;
export type Purpose = (typeof PURPOSES)[number];

export class SetupError extends Error {
  override name = "SetupError";
}

export function packagesFor(purpose: Purpose): string[] {
  const extra = { all: DEBIAN_PACKAGES.notebooks, demo: [], bench: DEBIAN_PACKAGES.bench }[purpose];
  return [...DEBIAN_PACKAGES.runtime, ...extra];
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<void> {
  const { code } = await new Deno.Command(cmd, {
    args,
    cwd: PROJECT_ROOT,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) throw new SetupError(`${cmd} ${args.join(" ")} exited with ${code}`);
}

async function output(cmd: string, args: string[]): Promise<{ code: number; text: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" })
      .output();
    return { code: r.code, text: new TextDecoder().decode(r.stdout) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { code: 127, text: "" };
    throw err;
  }
}

/** Names from `packages` that dpkg does not report as installed. */
export async function missingDebianPackages(packages: string[]): Promise<string[]> {
  const { text } = await output("dpkg-query", ["-W", "-f=${Package} ${Status}\\n", ...packages]);
  const installed = new Set(
    text.split("\n").filter((l) => l.endsWith(" install ok installed")).map((l) => l.split(" ")[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

async function ensureNpmPackages(): Promise<void> {
  // `deno install` is a no-op (milliseconds) when node_modules matches package.json + deno.lock.
  await run(Deno.execPath(), ["install", "--quiet"]);
}

async function ensureDebianPackages(purpose: Purpose): Promise<void> {
  const missing = await missingDebianPackages(packagesFor(purpose));
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  const hasApt = (await output("apt-get", ["--version"])).code === 0;
  if (!hasApt || Deno.uid() !== 0) {
    throw new SetupError(
      `missing Debian packages: ${missing.join(", ")}.\n` +
        `Install them as root, then run this again:\n  sudo apt-get update && sudo ${command}`,
    );
  }
  console.log(`setup: installing ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], env);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], env);
}

/** Jupyter kernelspec folders in the order jupyter_client searches them (user folder first). */
function kernelspecCandidates(): string[] {
  const dirs = (Deno.env.get("JUPYTER_PATH") ?? "").split(":").filter(Boolean);
  const home = Deno.env.get("HOME");
  const dataDir = Deno.env.get("JUPYTER_DATA_DIR") ??
    (home ? join(home, ".local/share/jupyter") : undefined);
  if (dataDir) dirs.push(dataDir);
  dirs.push("/usr/local/share/jupyter", "/usr/share/jupyter");
  return dirs.map((d) => join(d, "kernels", "deno", "kernel.json"));
}

/** True when a `deno` kernelspec exists and its deno binary is still there (npx caches move). */
export function hasUsableDenoKernel(): boolean {
  for (const file of kernelspecCandidates()) {
    if (!existsSync(file)) continue;
    try {
      const argv0 = JSON.parse(Deno.readTextFileSync(file)).argv?.[0];
      return typeof argv0 === "string" && existsSync(argv0);
    } catch {
      return false;
    }
  }
  return false;
}

async function ensureDenoKernel(): Promise<void> {
  if (hasUsableDenoKernel()) return;
  console.log("setup: installing the Deno Jupyter kernelspec");
  await run(Deno.execPath(), ["jupyter", "--install", "--force"]);
}

export async function setup(purpose: Purpose): Promise<void> {
  await ensureNpmPackages();
  await ensureDebianPackages(purpose);
  if (purpose === "all") await ensureDenoKernel();
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--for");
  const purpose = i >= 0 ? Deno.args[i + 1] : "all";
  if (!(PURPOSES as readonly string[]).includes(purpose)) {
    console.error(
      `setup: --for must be one of ${PURPOSES.join(", ")}, got ${JSON.stringify(purpose)}`,
    );
    Deno.exit(2);
  }
  try {
    await setup(purpose as Purpose);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    console.error(`setup: ${err.message}`);
    Deno.exit(1);
  }
}
