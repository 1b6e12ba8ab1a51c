/**
 * What a notebook runs on. `deno task notebooks --quick` (and the test command) sets
 * BIOMETRY_QUICK=1 for the kernel: notebooks then use the synthetic phantoms and short runs, so all
 * of them execute in CI in minutes. Without it they use HC18 when it is present.
 *
 * In a cell: `const dir = await dataDir(); const n = byMode(799, 24);`
 */
import { join, resolve } from "node:path";
import { DEFAULT_HC18_DIR, PROJECT_ROOT } from "../core/project.ts";
import { exists } from "../core/fs.ts";
import { DATASET_FILE } from "../data/dataset.ts";
import { importHc18 } from "../data/hc18.ts";
import { writePhantomDataset } from "../data/phantom_dataset.ts";

export const QUICK_ENV = "BIOMETRY_QUICK";
/** Overrides the raw HC18 folder (default ../shared/data/hc18 beside the project). */
export const DATA_ENV = "BIOMETRY_DATA";

/** Generated datasets live here: data/hc18 (`deno task data:hc18`), data/phantoms. */
export const DATA_ROOT = join(PROJECT_ROOT, "data");
/** The same as `deno task data:phantoms`' defaults, so both make the same dataset. */
export const PHANTOM_DEFAULTS = { count: 200, seed: 0 };

export function isQuick(): boolean {
  const v = Deno.env.get(QUICK_ENV);
  return v !== undefined && v !== "" && v !== "0";
}

/** The quick-mode value when BIOMETRY_QUICK is set, else the full one. */
export function byMode<T>(full: T, quick: T): T {
  return isQuick() ? quick : full;
}

/** The raw HC18 folder: BIOMETRY_DATA, else ../shared/data/hc18 beside the project. */
export function hc18SourceDir(): string {
  const chosen = Deno.env.get(DATA_ENV);
  return chosen ? resolve(PROJECT_ROOT, chosen) : DEFAULT_HC18_DIR;
}

export type DataKind = "hc18" | "phantoms";

/** Which data a notebook uses now: HC18 when present and not in quick mode, else phantoms. */
export async function dataKind(): Promise<DataKind> {
  if (isQuick()) return "phantoms";
  return await exists(join(hc18SourceDir(), "training_set_pixel_size_and_HC.csv"))
    ? "hc18"
    : "phantoms";
}

export interface DataDirOptions {
  /** Folder holding the hc18/ and phantoms/ dataset folders (default: the project's data/). */
  root?: string;
  /** Phantoms to generate when none exist yet (default 200). */
  phantomCount?: number;
}

/**
 * The dataset folder (see lib/data/dataset.ts) a notebook should use, created on first use: the
 * HC18 import in data/hc18, or the phantom dataset in data/phantoms. An existing folder is used
 * as it is, so a dataset made with other `data:*` options is kept.
 */
export async function dataDir(opts: DataDirOptions = {}): Promise<string> {
  const root = opts.root ?? DATA_ROOT;
  const kind = await dataKind();
  const dir = join(root, kind);
  if (await exists(join(dir, DATASET_FILE))) return dir;
  if (kind === "hc18") await importHc18(hc18SourceDir(), dir);
  else {
    const count = opts.phantomCount ?? PHANTOM_DEFAULTS.count;
    await writePhantomDataset(dir, { count, seed: PHANTOM_DEFAULTS.seed });
  }
  return dir;
}
