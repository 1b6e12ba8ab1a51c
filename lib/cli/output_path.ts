/**
 * Output paths are checked before any work is done, so that a long run cannot end in a write
 * error after every image was predicted.
 */
import { dirname, isAbsolute, relative } from "node:path";
import { InputError } from "../core/errors.ts";
import { realish } from "../core/fs.ts";

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

/**
 * Refuses an existing, non-empty folder that is not a dataset folder (no dataset.json) as the
 * output of an import: the import replaces the whole folder, and a folder of something else (the
 * images, `data/` itself, a thesis) would be deleted with it. An earlier import's folder is fine.
 */
export async function refuseForeignFolder(out: string, flag: string): Promise<void> {
  const entries: string[] = [];
  try {
    for await (const e of Deno.readDir(out)) entries.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (entries.length === 0 || entries.includes("dataset.json")) return;
  throw new InputError(
    `${flag} is a folder that holds other things (${entries.slice(0, 3).join(", ")}` +
      `${entries.length > 3 ? ", …" : ""}) and no dataset.json; the import replaces the whole ` +
      "folder, so give a new folder or an earlier import's",
    out,
  );
}
