/**
 * Atomic file writes: write beside the target, then rename. A crash leaves either the old file or
 * the new one, never half of one, which is what makes checkpoints and results resumable.
 */
import { basename, dirname, join, relative, resolve } from "node:path";

let counter = 0;

function tempPathFor(path: string): string {
  return `${path}.${Deno.pid}.${counter++}.tmp`;
}

/**
 * What a process killed inside an atomic write left beside `path`: its temporary siblings
 * (`<name>.<pid>.<n>.tmp`), e.g. the old and the new folder of an interrupted writeDirAtomic.
 */
export async function atomicLeftovers(path: string): Promise<string[]> {
  const parent = dirname(path);
  const temp = new RegExp(`^${RegExp.escape(basename(path))}\\.\\d+\\.\\d+\\.tmp$`);
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir(parent)) {
      if (temp.test(e.name)) {
        found.push(join(parent, e.name));
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return found.sort();
}

export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Replace a whole directory atomically: `fill` writes into a fresh sibling directory, which then
 * takes the target's place (the old one is moved aside first and removed after).
 */
export async function writeDirAtomic(
  path: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const old = tempPathFor(path);
  await Deno.mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
  const hadOld = await Deno.rename(path, old).then(() => true, () => false);
  await Deno.rename(tmp, path);
  if (hadOld) await Deno.remove(old, { recursive: true });
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The path with symlinks resolved as far as it exists (`a/link/new` → `a/target/new`). */
export function realish(path: string): string {
  const abs = resolve(path);
  try {
    return Deno.realPathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : resolve(realish(parent), relative(parent, abs));
  }
}
