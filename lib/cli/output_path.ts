/**
 * Output paths are checked before any work is done, so that a long run cannot end in a write
 * error after every image was predicted.
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { InputError } from "../core/errors.ts";

/**
 * Refuses `path` (the value of `flag`) unless the folder holding it is writable (an atomic write
 * renames a temporary sibling into place) and it is not an existing folder where a file is meant,
 * or the other way round.
 */
export async function checkOutputPath(
  path: string,
  flag: string,
  kind: "file" | "folder",
): Promise<void> {
  const folder = dirname(path);
  const { state } = await Deno.permissions.query({ name: "write", path: folder });
  if (state !== "granted") {
    throw new InputError(
      `${flag}: no permission to write in ${folder}; a task may write inside the project's ` +
        "results/, data/ and checkpoints/ folders and in the folder of each output it is given",
      path,
    );
  }
  const stat = await Deno.stat(path).catch(() => null);
  if (kind === "file" && stat?.isDirectory) {
    throw new InputError(`${flag} names a folder; give a file name inside it`, path);
  }
  if (kind === "folder" && stat && !stat.isDirectory) {
    throw new InputError(`${flag} names a file; give a folder`, path);
  }
}

/** The path with symlinks resolved as far as it exists (`a/link/new` → `a/target/new`). */
function realish(path: string): string {
  const abs = resolve(path);
  try {
    return Deno.realPathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : resolve(realish(parent), relative(parent, abs));
  }
}

/**
 * Refuses an output folder that an atomic write would replace together with something the run
 * reads: `out` equal to one of `keep`, or a folder above it (`--out` naming the images' folder
 * would delete the images).
 */
export function refuseReplacing(
  out: string,
  flag: string,
  keep: readonly { path: string; what: string }[],
): void {
  const o = realish(out);
  for (const { path, what } of keep) {
    const rel = relative(o, realish(path));
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) {
      throw new InputError(
        `${flag} would replace ${what} (${path}), which lies in it; give a folder of its own`,
        out,
      );
    }
  }
}
