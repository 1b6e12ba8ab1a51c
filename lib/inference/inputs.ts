/**
 * What `deno task predict --input` accepts: one image file or a folder of them, and pixel sizes
 * from an HC18-style CSV (`filename,pixel size(mm)[,…]`) or the prototype format
 * (`image_name,…,pixel_size_mm`).
 *
 * A folder is listed non-recursively; files are taken by extension (PNG, JPEG, TIFF, WebP, BMP,
 * GIF), sorted by name, and HC18 outline images (`*_Annotation.png`) and hidden files (`.name`,
 * e.g. macOS's `._name.png` resource forks) are left out. Whether a file
 * decodes is decided later, per file, so one corrupt image does not stop the others.
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { readCsv } from "../core/csv.ts";
import { InputError, unreadable } from "../core/errors.ts";
import { exists } from "../core/fs.ts";

export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"];

/** HC18 pixel-size files, looked for in the input folder and then its parent. */
export const HC18_PIXEL_SIZE_CSVS = [
  "test_set_pixel_size.csv",
  "training_set_pixel_size_and_HC.csv",
];

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase()) &&
    !/_Annotation\.png$/i.test(name) && !name.startsWith(".");
}

export interface InputListing {
  /** Absolute paths, sorted by file name. */
  files: string[];
  /** The folder given, or the folder of the single file. */
  dir: string;
  isFolder: boolean;
}

export async function listInputImages(input: string): Promise<InputListing> {
  const path = resolve(input);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (err) {
    throw unreadable(err, path, "input");
  }
  if (info.isFile) return { files: [path], dir: dirname(path), isFolder: false };
  const files: string[] = [];
  for await (const e of Deno.readDir(path)) {
    if ((e.isFile || e.isSymlink) && isImageName(e.name)) files.push(join(path, e.name));
  }
  files.sort((a, b) => (basename(a) < basename(b) ? -1 : basename(a) > basename(b) ? 1 : 0));
  return { files, dir: path, isFolder: true };
}

const NAME_COLUMNS = ["filename", "image_name"];
const SIZE_COLUMNS = ["pixel size(mm)", "pixel_size_mm"];

/**
 * File name → mm per pixel. A bad or duplicated row throws an InputError naming it; an empty size
 * cell (as in predict's own output for an image without one) leaves that image without a size.
 */
export async function readPixelSizes(csvPath: string): Promise<Map<string, number>> {
  const t = await readCsv(csvPath);
  const pick = (names: string[]) => {
    const i = t.header.findIndex((h) => names.includes(h.trim().toLowerCase()));
    if (i < 0) {
      throw new InputError(
        `needs a column ${names.map((n) => `"${n}"`).join(" or ")}`,
        csvPath,
        1,
        t.header,
      );
    }
    return i;
  };
  const nameCol = pick(NAME_COLUMNS), sizeCol = pick(SIZE_COLUMNS);
  const sizes = new Map<string, number>();
  t.rows.forEach((row, i) => {
    const name = (row[nameCol] ?? "").trim();
    const cell = (row[sizeCol] ?? "").trim();
    const mm = Number(cell);
    if (name === "") throw new InputError("empty file name", csvPath, t.lines[i]);
    if (sizes.has(name)) throw new InputError("file listed twice", csvPath, t.lines[i], name);
    if (cell === "") return;
    if (!(Number.isFinite(mm) && mm > 0)) {
      throw new InputError("pixel size must be a positive number of mm", csvPath, t.lines[i], cell);
    }
    sizes.set(name, mm);
  });
  return sizes;
}

/** Whether a CSV is HC18's for the image folder: `<folder>_pixel_size….csv` (`training_set/`). */
export function isNamedAfter(csv: string, dir: string): boolean {
  return basename(csv).toLowerCase().startsWith(`${basename(dir).toLowerCase()}_pixel_size`);
}

/**
 * Where an HC18 pixel-size CSV for the images in `dir` may lie: in `dir`, then in its parent; in
 * each, the CSV named after the folder first (`training_set/` → `training_set_pixel_size_and_HC.csv`).
 * HC18's release keeps both CSVs beside the two folders, and its test and training images share
 * names (`000_HC.png` …), so a training image must not take its size from the test CSV.
 */
export function pixelSizeCsvCandidates(dir: string): string[] {
  const own = (n: string) => isNamedAfter(n, dir);
  const names = [
    ...HC18_PIXEL_SIZE_CSVS.filter(own),
    ...HC18_PIXEL_SIZE_CSVS.filter((n) => !own(n)),
  ];
  return [dir, dirname(dir)].flatMap((folder) => names.map((n) => join(folder, n)));
}

/**
 * Those of `pixelSizeCsvCandidates(dir)` that exist, in order (`choosePixelSizes` picks among
 * them). The task launcher grants read access to exactly these files when they exist; one the
 * process may not read counts as missing.
 */
export async function findPixelSizeCsvs(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of pixelSizeCsvCandidates(dir)) {
    const here = await exists(path).catch((err) => {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        return false;
      }
      throw err;
    });
    if (here) found.push(path);
  }
  return found;
}

/**
 * Each image's pixel size from `sizes` (a pixel-size CSV's names): by its file name, else by the
 * one entry with the same name up to case and extension (`000_HC` or `000_hc.PNG` for
 * `000_HC.png`). Only an image extension counts as one: `case.1` names `case.1.png`. `missing`
 * lists the images with neither, for the caller to report.
 */
export function matchPixelSizes(
  files: readonly string[],
  sizes: ReadonlyMap<string, number>,
): { byName: Map<string, number>; missing: string[] } {
  const stem = (n: string) =>
    (IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) ? n.slice(0, -extname(n).length) : n)
      .toLowerCase();
  const byStem = new Map<string, number[]>();
  for (const [name, mm] of sizes) byStem.set(stem(name), [...(byStem.get(stem(name)) ?? []), mm]);
  const byName = new Map<string, number>(), missing: string[] = [];
  for (const name of files.map((f) => basename(f))) {
    const loose = byStem.get(stem(name)) ?? [];
    const mm = sizes.get(name) ?? (loose.length === 1 ? loose[0] : undefined);
    if (mm === undefined) missing.push(name);
    else byName.set(name, mm);
  }
  return { byName, missing };
}

/** The images whose size in `chosen` differs from the one `other` gives them. */
function pixelSizeConflicts(
  files: readonly string[],
  chosen: ReadonlyMap<string, number>,
  other: ReadonlyMap<string, number>,
): { name: string; chosen: number; other: number }[] {
  const theirs = matchPixelSizes(files, other).byName;
  return [...chosen].flatMap(([name, mm]) => {
    const o = theirs.get(name);
    return o !== undefined && Math.abs(o - mm) > 1e-9 * Math.max(o, mm)
      ? [{ name, chosen: mm, other: o }]
      : [];
  });
}

export interface PixelSizeChoice {
  path: string;
  byName: Map<string, number>;
  missing: string[];
  /** Other CSVs found that size some of the same images differently (a sign of a wrong pick). */
  conflicts: { path: string; clash: ReturnType<typeof pixelSizeConflicts> }[];
}

/**
 * Which of `candidates` (findPixelSizeCsvs's, or one given) sizes the images in `dir`: the first
 * named after the folder; otherwise the one that covers most of `files` (ties in order), and any
 * other that sizes the same images differently is reported. HC18's test and
 * training images share names, so with both CSVs beside a folder of another name the pick is a
 * guess. A CSV that fails to read is an error only if it would be the one picked.
 */
export async function choosePixelSizes(
  files: readonly string[],
  dir: string,
  candidates: readonly string[],
): Promise<PixelSizeChoice | undefined> {
  if (candidates.length === 0) return undefined;
  const tables = await Promise.all(
    candidates.map((p) => readPixelSizes(p).catch((err: Error) => err)),
  );
  const covered = tables.map((t) =>
    t instanceof Error ? -1 : matchPixelSizes(files, t).byName.size
  );
  const ownIndex = candidates.findIndex((c) => isNamedAfter(c, dir));
  const own = ownIndex >= 0;
  // Unreadable tables count −1, so the most covering one is readable if any is.
  const pick = own ? ownIndex : covered.indexOf(Math.max(...covered));
  const table = tables[pick];
  if (table instanceof Error) throw table;
  const chosen = matchPixelSizes(files, table);
  const conflicts = own ? [] : candidates.flatMap((path, i) => {
    const t = tables[i];
    if (i === pick || t instanceof Error) return [];
    const clash = pixelSizeConflicts(files, chosen.byName, t);
    return clash.length ? [{ path, clash }] : [];
  });
  return { path: candidates[pick], ...chosen, conflicts };
}
