/**
 * Predict a list of image files with per-file error handling, and the prediction CSV.
 *
 * Files are decoded a batch at a time (sharp, concurrently) and predicted together; a file that
 * cannot be read or decoded gets an error and the others go on. Rows are in the input order.
 *
 * Prediction CSV (one row per predicted image; `deno task evaluate --pred` reads it as is):
 *   image_name, ofd_1_x, ofd_1_y, ofd_2_x, ofd_2_y, bpd_1_x, bpd_1_y, bpd_2_x, bpd_2_y   original px
 *   [pixel_size_mm, ofd_mm, bpd_mm, hc_mm, ga_weeks]   when pixel sizes were given (empty cells for
 *                                                       images the pixel-size file does not list)
 *   confidence                                          [0, 1], 4 significant digits; empty when the model has none
 *   plausible, issues                                   `predictionChecks`: false, and why, for a
 *                                                       result that is no head measurement
 *   [cross_check_px, cross_check_mm, cross_check_hc_mm, review, review_reasons]
 *                                                       with other models' second opinion
 *                                                       (`crossCheck`); mm and review need a
 *                                                       pixel size, else empty
 * Failed files are listed separately (`errorsCsv`: image_name, error), so every row of the
 * prediction CSV is a complete prediction.
 */
import { basename, extname, join } from "node:path";
import { formatCsv } from "../core/csv.ts";
import { siblingPath } from "../core/project.ts";
import { writeFileAtomic } from "../core/fs.ts";
import type { GrayImage, Landmarks } from "../core/types.ts";
import { auditLabels } from "../data/audit.ts";
import { LANDMARK_COLUMNS } from "../data/prototype_csv.ts";
import { readGray } from "../io/image.ts";
import { ellipseShapeIssues } from "../postprocess/validate.ts";
import { overlayPng } from "../viz/overlay.ts";
import type { ImagePrediction, InputImage } from "./predictor.ts";
import type { ImagePredictor } from "./coarse_to_fine.ts";
import { type CrossCheck, crossCheck, type Opinion } from "./cross_check.ts";
import type { TtaOptions } from "./uncertainty.ts";

export interface FileResult {
  path: string;
  /** File name, the `image_name` of the CSV. */
  name: string;
  prediction?: ImagePrediction;
  error?: string;
  /** Other models' second opinion on this prediction (`addCrossChecks`). */
  crossCheck?: CrossCheck;
}

export interface PredictFilesOptions {
  /** File name → mm per pixel. */
  pixelSizes?: ReadonlyMap<string, number>;
  tta?: boolean | TtaOptions;
  /** Write overlays here: `<stem>.png`, or `<file name>.png` where files share a stem. */
  overlaysDir?: string;
  /** Called after each batch with the number of files done. */
  onProgress?: (done: number, total: number) => void;
}

async function decodeFile(path: string): Promise<GrayImage | Error> {
  try {
    return await readGray(path);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export async function predictFiles(
  predictor: ImagePredictor,
  files: readonly string[],
  opts: PredictFilesOptions = {},
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const step = predictor.batchSize;
  const overlayName = overlayNames(files);
  for (let start = 0; start < files.length; start += step) {
    const chunk = files.slice(start, start + step);
    const decoded = await Promise.all(chunk.map(decodeFile));
    const good: { r: FileResult; input: InputImage }[] = [];
    for (const [k, path] of chunk.entries()) {
      const name = basename(path);
      const img = decoded[k];
      const r: FileResult = { path, name };
      results.push(r);
      if (img instanceof Error) r.error = img.message;
      else {good.push({
          r,
          input: { id: name, image: img, pixelSizeMm: opts.pixelSizes?.get(name) },
        });}
    }
    if (good.length) {
      try {
        const preds = await predictor.predict(good.map((g) => g.input), { tta: opts.tta });
        preds.forEach((p, k) => (good[k].r.prediction = p));
      } catch (err) {
        for (const g of good) g.r.error = `prediction failed: ${(err as Error).message}`;
      }
      if (opts.overlaysDir) {
        for (const g of good) {
          if (g.r.prediction) {
            const path = join(opts.overlaysDir, overlayName(g.r.name));
            await writeOverlay(path, g.input.image, g.r.prediction).catch((err) => {
              g.r.error = `overlay failed: ${(err as Error).message}`;
            });
          }
        }
      }
    }
    opts.onProgress?.(Math.min(files.length, start + step), files.length);
  }
  return results;
}

function caption(p: ImagePrediction): string {
  const parts = [p.id];
  if (p.measures) {
    parts.push(`HC ${p.measures.hcMm.toFixed(1)} mm`, `GA ${p.measures.gaWeeks.toFixed(1)} wk`);
  }
  if (p.confidence !== null) parts.push(`conf ${p.confidence.toFixed(2)}`);
  if (!predictionChecks(p).plausible) parts.push("implausible"); // as the CSV's `plausible` says
  return parts.join("  ");
}

/**
 * Overlay file name per input name: `<stem>.png`, unless two inputs share the stem (`x.png`,
 * `x.jpg`), which then keep their whole name (`x.jpg.png`); a name still taken (`x.tif` beside
 * `x.tif.png`) gets `-2`, `-3`, … in input order, so no overlay overwrites another.
 */
export function overlayNames(files: readonly string[]): (name: string) => string {
  const names = files.map((f) => basename(f));
  const stem = (name: string) => basename(name, extname(name));
  const count = new Map<string, number>();
  for (const n of names) count.set(stem(n), (count.get(stem(n)) ?? 0) + 1);
  const chosen = new Map<string, string>(), used = new Set<string>();
  for (const n of names) {
    const base = count.get(stem(n))! > 1 ? n : stem(n);
    let file = `${base}.png`;
    for (let k = 2; used.has(file); k++) file = `${base}-${k}.png`;
    used.add(file);
    chosen.set(n, file);
  }
  return (name) => chosen.get(name) ?? `${stem(name)}.png`;
}

async function writeOverlay(path: string, image: GrayImage, p: ImagePrediction): Promise<void> {
  const png = await overlayPng(image, {
    prediction: p.landmarks,
    ellipse: p.ellipse,
    mask: p.mask,
    caption: caption(p),
  });
  await writeFileAtomic(path, png);
}

export const MEASURE_COLUMNS = ["pixel_size_mm", "ofd_mm", "bpd_mm", "hc_mm", "ga_weeks"] as const;

export const CROSS_CHECK_COLUMNS = [
  "cross_check_px",
  "cross_check_mm",
  "cross_check_hc_mm",
  "review",
  "review_reasons",
] as const;

export function predictionHeader(withMeasures: boolean, withCrossCheck = false): string[] {
  return [
    "image_name",
    ...LANDMARK_COLUMNS,
    ...(withMeasures ? MEASURE_COLUMNS : []),
    "confidence",
    "plausible",
    "issues",
    ...(withCrossCheck ? CROSS_CHECK_COLUMNS : []),
  ];
}

/**
 * Attach each predicted file's second opinion: `opinions` maps another model's name to its
 * landmarks by file name. A file that no other model predicted gets none.
 */
export function addCrossChecks(
  results: readonly FileResult[],
  opinions: ReadonlyMap<string, ReadonlyMap<string, Landmarks>>,
): void {
  for (const r of results) {
    if (!r.prediction) continue;
    const others: Opinion[] = [...opinions].flatMap(([model, byName]) => {
      const landmarks = byName.get(r.name);
      return landmarks ? [{ model, landmarks }] : [];
    });
    if (others.length) {
      r.crossCheck = crossCheck(r.prediction.landmarks, others, r.prediction.pixelSizeMm);
    }
  }
}

/**
 * Whether a prediction reads as a head at all, so that a blank frame's answer (four points on one
 * spot, a BPD longer than the OFD, points off the image) is not mistaken for a measurement:
 * the segmentation validator's issues where there is one, else the ellipse's shape (axis ratio, HC
 * range), and for every family the label audit's error checks on the four points. Issue codes in
 * that order.
 */
export function predictionChecks(p: ImagePrediction): { plausible: boolean; issues: string[] } {
  const shape = p.plausible === undefined
    ? ellipseShapeIssues(p.ellipse, p.pixelSizeMm).issues
    : (p.issues ?? []).map((reason) => reason.split(":")[0]);
  const points = auditLabels([{
    row: 1,
    id: p.id,
    landmarks: p.landmarks,
    image: { width: p.width, height: p.height },
  }]);
  const codes = points.flagged.flatMap((r) => r.issues.map((i) => i.code));
  const input = (p.inputIssues ?? []).map((reason) => reason.split(":")[0]);
  return {
    plausible: p.plausible !== false && input.length === 0 && shape.length === 0 &&
      points.errors === 0,
    issues: [...input, ...shape, ...codes],
  };
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function crossCheckCells(c: CrossCheck | undefined): (string | number)[] {
  if (!c) return ["", "", "", "", ""];
  const mm = (v: number | undefined) => v === undefined ? "" : round(v, 3);
  return [
    round(c.pointsPx, 3),
    mm(c.pointsMm),
    mm(c.hcMm),
    c.review === undefined ? "" : String(c.review),
    c.reasons.join(";"),
  ];
}

/** The prediction CSV text (see the module comment); failed files are left out. */
export function predictionsCsv(
  results: readonly FileResult[],
  withMeasures: boolean,
  withCrossCheck = false,
): string {
  const rows = results.filter((r) => r.prediction).map((r) => {
    const p = r.prediction!;
    const coords = p.landmarks.flatMap((q) => [round(q.x, 3), round(q.y, 3)]);
    const m = p.measures;
    const measures = withMeasures
      ? (m
        ? [
          p.pixelSizeMm!,
          round(m.ofdMm, 3),
          round(m.bpdMm, 3),
          round(m.hcMm, 3),
          round(m.gaWeeks, 3),
        ]
        : ["", "", "", "", ""])
      : [];
    const checks = predictionChecks(p);
    return [
      r.name,
      ...coords,
      ...measures,
      p.confidence === null ? "" : Number(p.confidence.toPrecision(4)),
      String(checks.plausible),
      checks.issues.join(";"),
      ...(withCrossCheck ? crossCheckCells(r.crossCheck) : []),
    ];
  });
  return formatCsv(predictionHeader(withMeasures, withCrossCheck), rows);
}

/** `image_name,error` for every failed file. */
export function errorsCsv(results: readonly FileResult[]): string {
  return formatCsv(
    ["image_name", "error"],
    results.filter((r) => r.error).map((r) => [r.name, r.error!]),
  );
}

/** `<dir>/<stem>.errors.csv` beside the prediction CSV. */
export function errorsPathFor(outCsv: string): string {
  return siblingPath(outCsv, ".errors.csv");
}
