/**
 * HC18 importer. HC18 annotations are ellipse outlines (~2.5 px thick, 255 on 0), not landmarks.
 * For each training case we fit an ellipse to all outline pixels (direct least squares; the thick
 * outline is symmetric about its centre line, so the fit lands on that line), take the axis ends
 * as OFD/BPD landmarks (geometric stand-ins, not clinician landmarks) and fill the fitted ellipse as
 * the cranium mask. The fitted perimeter × pixel size reproduces the CSV head circumference (the
 * HC18 README reports ≤ 0.05 mm), which is checked for every case.
 *
 * Output: a dataset folder (see dataset.ts) whose imageDir points back at HC18's training_set
 * (images are never copied), plus `hc18_fit.csv` with the fitted ellipses and HC differences.
 */
import { join, relative, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { formatCsv, readCsv } from "../core/csv.ts";
import { exists, writeDirAtomic, writeFileAtomic } from "../core/fs.ts";
import type { Ellipse, GrayImage, Mask, Point, SampleRecord } from "../core/types.ts";
import { ellipsePerimeter, ellipseToLandmarks } from "../geometry/ellipse.ts";
import { fitEllipse } from "../geometry/ellipse_fit.ts";
import { imageDimensions, readGray, writeMaskPng } from "../io/image.ts";
import { writeDatasetInfo } from "./dataset.ts";
import { mapPool } from "./pool.ts";
import { formatPrototypeCsv, groupOf, maskFileName } from "./prototype_csv.ts";

export const HC18_SOURCE = "https://doi.org/10.5281/zenodo.1327317";
export const HC18_CITATION =
  'T. L. A. van den Heuvel, D. de Bruijn, C. L. de Korte, B. van Ginneken, "Automated measurement ' +
  'of fetal head circumference using 2D ultrasound images", PLoS ONE 13(8): e0200412, 2018. ' +
  "https://doi.org/10.1371/journal.pone.0200412";
export const HC18_LICENCE = "CC BY 4.0";

export interface Hc18Case {
  id: string;
  /** The case's line in training_set_pixel_size_and_HC.csv, for messages. */
  line: number;
  imagePath: string;
  annotationPath: string;
  pixelSizeMm: number;
  hcMm: number;
}

export interface Hc18TestCase {
  id: string;
  imagePath: string;
  pixelSizeMm: number;
}

/** A column by HC18's name, up to case and spaces (`Filename`, `pixel size (mm)`). */
function column(header: string[], name: string, file: string): number {
  const key = (h: string) => h.toLowerCase().replace(/\s+/g, "");
  const i = header.findIndex((h) => key(h) === key(name));
  if (i < 0) throw new InputError(`missing column "${name}"`, file, 1, header);
  return i;
}

/** A PNG in an HC18 image folder: not hidden (macOS's `._000_HC.png`), not an outline. */
function isCaseImage(name: string): boolean {
  return /\.png$/i.test(name) && !name.startsWith(".") && !/_Annotation\.png$/i.test(name);
}

async function pngsIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && isCaseImage(e.name)) names.push(e.name);
  return names.sort();
}

function positive(cell: string, file: string, row: number, what: string): number {
  const v = Number(cell);
  if (!(Number.isFinite(v) && v > 0) || cell.trim() === "") {
    throw new InputError(`${what} must be a positive number`, file, row, cell);
  }
  return v;
}

async function requireFiles(paths: string[], csv: string, lines: number[]) {
  const ok = await Promise.all(paths.map(exists));
  const missing = ok.findIndex((v) => !v);
  if (missing >= 0) throw new InputError("file not found", csv, lines[missing], paths[missing]);
}

/** HC18's list of training cases with their pixel sizes and HCs. */
function trainingCsv(dir: string): string {
  return join(dir, "training_set_pixel_size_and_HC.csv");
}

/**
 * The training cases listed in training_set_pixel_size_and_HC.csv (files checked to exist).
 * Images in training_set/ the CSV does not list have no pixel size or HC and are left out; the
 * importer reports them (`unlistedTrainingImages`).
 */
export async function listHc18Training(dir: string): Promise<Hc18Case[]> {
  const csv = trainingCsv(dir);
  const t = await readCsv(csv);
  const [f, p, h] = ["filename", "pixel size(mm)", "head circumference (mm)"].map((n) =>
    column(t.header, n, csv)
  );
  const seen = new Set<string>();
  const cases = t.rows.map((r, i): Hc18Case => {
    const id = r[f].trim();
    if (seen.has(id)) throw new InputError("file listed twice", csv, t.lines[i], id);
    seen.add(id);
    return {
      id,
      line: t.lines[i],
      imagePath: join(dir, "training_set", id),
      annotationPath: join(dir, "training_set", id.replace(/\.png$/i, "_Annotation.png")),
      pixelSizeMm: positive(r[p], csv, t.lines[i], "pixel size"),
      hcMm: positive(r[h], csv, t.lines[i], "head circumference"),
    };
  });
  await requireFiles(
    cases.flatMap((c) => [c.imagePath, c.annotationPath]),
    csv,
    t.lines.flatMap((l) => [l, l]),
  );
  return cases;
}

/** Images in training_set/ that training_set_pixel_size_and_HC.csv does not list. */
export async function unlistedTrainingImages(dir: string, cases: readonly Hc18Case[]) {
  const listed = new Set(cases.map((c) => c.id));
  return (await pngsIn(join(dir, "training_set"))).filter((n) => !listed.has(n));
}

/**
 * Where the test set's pixel sizes are: `test_set/test_set_pixel_size.csv`, else beside the
 * folder, as in HC18's Zenodo release.
 */
async function testSetCsv(dir: string): Promise<string> {
  const inside = join(dir, "test_set", "test_set_pixel_size.csv");
  const beside = join(dir, "test_set_pixel_size.csv");
  return !await exists(inside) && await exists(beside) ? beside : inside;
}

/**
 * The unlabelled official test set with its pixel sizes (files checked to exist). The challenge
 * wants one row per test image, so a CSV row listed twice, or a PNG in test_set/ the CSV does not
 * list (it would get no pixel size, hence no mm), is an error rather than a short submission.
 */
export async function listHc18TestSet(dir: string): Promise<Hc18TestCase[]> {
  const csv = await testSetCsv(dir);
  const t = await readCsv(csv);
  const [f, p] = ["filename", "pixel size(mm)"].map((n) => column(t.header, n, csv));
  const seen = new Set<string>();
  const cases = t.rows.map((r, i) => {
    const id = r[f].trim();
    if (seen.has(id)) throw new InputError("file listed twice", csv, t.lines[i], id);
    seen.add(id);
    return {
      id,
      imagePath: join(dir, "test_set", id),
      pixelSizeMm: positive(r[p], csv, t.lines[i], "pixel size"),
    };
  });
  await requireFiles(cases.map((c) => c.imagePath), csv, t.lines);
  const unlisted = (await pngsIn(join(dir, "test_set"))).filter((n) => !seen.has(n));
  if (unlisted.length) {
    throw new InputError(
      `${unlisted.length} test image(s) not listed, so without a pixel size: ${
        unlisted.join(", ")
      }`,
      csv,
    );
  }
  return cases;
}

/** Coordinates of all outline pixels (value > 127). */
export function outlinePoints(annotation: GrayImage): Point[] {
  const pts: Point[] = [];
  const { width, height, data } = annotation;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (data[y * width + x] > 127) pts.push({ x, y });
  }
  return pts;
}

/** Filled ellipse: pixels whose centre lies inside or on it. */
export function fillEllipse(e: Ellipse, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  const c = Math.cos(e.angle), s = Math.sin(e.angle);
  const ia2 = 1 / (e.a * e.a), ib2 = 1 / (e.b * e.b);
  const reach = e.a + 1;
  const y0 = Math.max(0, Math.floor(e.cy - reach)),
    y1 = Math.min(height - 1, Math.ceil(e.cy + reach));
  const x0 = Math.max(0, Math.floor(e.cx - reach)),
    x1 = Math.min(width - 1, Math.ceil(e.cx + reach));
  for (let y = y0; y <= y1; y++) {
    const dy = y - e.cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x - e.cx;
      const u = dx * c + dy * s, v = -dx * s + dy * c;
      if (u * u * ia2 + v * v * ib2 <= 1) data[y * width + x] = 1;
    }
  }
  return { width, height, data };
}

export interface Hc18Fit {
  record: SampleRecord;
  ellipse: Ellipse;
  mask: Mask;
  outlinePixels: number;
  hcFitMm: number;
  /** hcFitMm − CSV HC. */
  hcDiffMm: number;
}

/** Fit one case's annotation outline. */
export async function fitHc18Case(c: Hc18Case): Promise<Hc18Fit> {
  const [annotation, image] = await Promise.all([
    readGray(c.annotationPath),
    imageDimensions(c.imagePath),
  ]);
  // The mask is drawn on the annotation's grid and must lie on the image's.
  if (annotation.width !== image.width || annotation.height !== image.height) {
    throw new InputError(
      `annotation is ${annotation.width}×${annotation.height} but its image is ` +
        `${image.width}×${image.height}`,
      c.annotationPath,
    );
  }
  const pts = outlinePoints(annotation);
  const ellipse = fitEllipse(pts);
  if (!ellipse) {
    throw new InputError(
      "no ellipse fits the annotation outline",
      c.annotationPath,
      undefined,
      pts.length,
    );
  }
  const hcFitMm = ellipsePerimeter(ellipse) * c.pixelSizeMm;
  return {
    record: {
      id: c.id,
      imagePath: c.imagePath,
      landmarks: ellipseToLandmarks(ellipse),
      pixelSizeMm: c.pixelSizeMm,
      hcMm: c.hcMm,
      group: groupOf(c.id),
    },
    ellipse,
    mask: fillEllipse(ellipse, annotation.width, annotation.height),
    outlinePixels: pts.length,
    hcFitMm,
    hcDiffMm: hcFitMm - c.hcMm,
  };
}

export interface Hc18ImportReport {
  cases: number;
  /** PNGs in training_set/ the CSV does not list (left out). */
  unlisted: string[];
  maxAbsHcDiffMm: number;
  worstId: string;
  meanAbsHcDiffMm: number;
}

/** Throws when a case's fitted HC differs from its CSV HC by more than `tolerance` mm. */
function checkHcAgreement(
  csv: string,
  cases: readonly Hc18Case[],
  fits: readonly Omit<Hc18Fit, "mask">[],
  tolerance: number,
): void {
  const off = fits.flatMap((f, i) => Math.abs(f.hcDiffMm) > tolerance ? [i] : []);
  if (off.length === 0) return;
  const shown = off.slice(0, 5).map((i) =>
    `${cases[i].id} (row ${cases[i].line}: fitted ${fits[i].hcFitMm.toFixed(2)} mm, CSV ${
      fits[i].record.hcMm
    } mm)`
  );
  const first = cases[off[0]];
  throw new InputError(
    `${off.length} case(s) whose annotation outline gives an HC more than ${tolerance} mm from ` +
      `the CSV's, so nothing was written: ${shown.join("; ")}${off.length > 5 ? "; …" : ""}. ` +
      "Check those outlines and rows, or accept a larger difference with --hc-tolerance MM",
    csv,
    first.line,
    first.id,
  );
}

export interface Hc18ImportOptions {
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Largest accepted |fitted HC − CSV HC| in mm (default HC_TOLERANCE_MM). A case beyond it means
   * the outline and the CSV disagree, and nothing is written.
   */
  hcToleranceMm?: number;
}

/** HC18's own cases agree within 0.046 mm; 0.1 mm leaves room for other outline rasterisers. */
export const HC_TOLERANCE_MM = 0.1;

/**
 * Import every training case into a dataset folder at outDir, replaced atomically and only when
 * every case's fitted HC agrees with the CSV (else an InputError lists the cases that do not, and
 * an earlier folder at outDir stays as it was).
 */
export async function importHc18(
  hc18Dir: string,
  outDir: string,
  opts: Hc18ImportOptions = {},
): Promise<Hc18ImportReport> {
  const cases = await listHc18Training(hc18Dir);
  const absOut = resolve(outDir);
  const imageDir = resolve(hc18Dir, "training_set");
  let done = 0;
  let fits: Omit<Hc18Fit, "mask">[] = [];
  await writeDirAtomic(absOut, async (tmp) => {
    fits = await mapPool(cases, opts.concurrency ?? 4, async (c) => {
      const { mask, ...fit } = await fitHc18Case(c);
      await writeMaskPng(join(tmp, "masks", maskFileName(c.id)), mask);
      opts.onProgress?.(++done, cases.length);
      return fit;
    });
    checkHcAgreement(trainingCsv(hc18Dir), cases, fits, opts.hcToleranceMm ?? HC_TOLERANCE_MM);
    await writeFileAtomic(join(tmp, "labels.csv"), formatPrototypeCsv(fits.map((f) => f.record)));
    await writeFileAtomic(
      join(tmp, "hc18_fit.csv"),
      formatCsv(
        [
          "image_name",
          "cx",
          "cy",
          "a",
          "b",
          "angle",
          "outline_pixels",
          "hc_fit_mm",
          "hc_csv_mm",
          "hc_diff_mm",
        ],
        fits.map((f) => [
          f.record.id,
          f.ellipse.cx,
          f.ellipse.cy,
          f.ellipse.a,
          f.ellipse.b,
          f.ellipse.angle,
          f.outlinePixels,
          f.hcFitMm,
          f.record.hcMm,
          f.hcDiffMm,
        ]),
      ),
    );
    await writeDatasetInfo(tmp, {
      name: "hc18",
      source: HC18_SOURCE,
      citation: HC18_CITATION,
      licence: HC18_LICENCE,
      // Relative to the final folder (same parent as tmp), so the dataset can move with its source.
      imageDir: relative(absOut, imageDir),
      maskDir: "masks",
      labels: "labels.csv",
    });
  });
  let worst = fits[0];
  let sum = 0;
  for (const f of fits) {
    sum += Math.abs(f.hcDiffMm);
    if (Math.abs(f.hcDiffMm) > Math.abs(worst.hcDiffMm)) worst = f;
  }
  return {
    cases: fits.length,
    unlisted: await unlistedTrainingImages(hc18Dir, cases),
    maxAbsHcDiffMm: Math.abs(worst?.hcDiffMm ?? 0),
    worstId: worst?.record.id ?? "",
    meanAbsHcDiffMm: fits.length ? sum / fits.length : 0,
  };
}
