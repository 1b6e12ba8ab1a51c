/**
 * Evaluation dashboard: a folder of charts (each as .svg, .png and .plotly.json), the worst-case
 * gallery, `predictions_vs_gt.csv`, `summary.json` and `summary.md` linking the charts.
 */
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { InputError } from "../core/errors.ts";
import { LANDMARK_NAMES } from "../core/types.ts";
import { readGray } from "../io/image.ts";
import type { ReviewSubset } from "../inference/cross_check.ts";
import type { EvalResult } from "../metrics/evaluation.ts";
import { successDetectionRate } from "../metrics/landmarks.ts";
import { quantile } from "../metrics/summary.ts";
import { blandAltmanChart, boxPlot, histogram, lineChart, scatter } from "./charts.ts";
import { type Figure, figureFiles, saveFigure } from "./figure.ts";
import { gridPng, overlayPng } from "./overlay.ts";
import { predictionsVsTruthCsv, reviewMarkdown, summaryJson, summaryMarkdown } from "./report.ts";

export interface DashboardOptions {
  title?: string;
  /** Size of the worst-case gallery (default 12); needs `imagePath` on the cases. */
  worstK?: number;
  galleryCols?: number;
  /** Written into summary.json as `provenance` (what was evaluated, when, at which commit). */
  provenance?: Record<string, unknown>;
  /** The scores split by predict's review verdict (`reviewSplit`): summary.json and summary.md. */
  review?: ReviewSubset[];
}

export interface DashboardFiles {
  figures: string[];
  gallery?: string;
  csv: string;
  summaryJson: string;
  summaryMd: string;
}

/**
 * SDR as a function of the threshold, from 0 to the 99th percentile of the errors (so a few
 * outliers do not squash the curve into the left edge), in `steps` steps.
 */
export function sdrCurve(errors: readonly number[], steps = 100): { x: number[]; y: number[] } {
  const finite = errors.filter(Number.isFinite);
  const max = finite.length ? quantile(finite, 0.99) : 0;
  const x = Array.from({ length: steps + 1 }, (_, i) => (max * i) / steps);
  return { x, y: x.map((t) => successDetectionRate(finite, t)) };
}

/** The dashboard charts by file name, e.g. to show them in a notebook with `showFigure`. */
/** Charts drawn only when the evaluation has the data for them (pixel sizes). */
const OPTIONAL_FIGURES = ["sdr_curve_mm", "bland_altman_hc"];

export function dashboardFigures(r: EvalResult): [string, Figure][] {
  const lm = r.landmarks;
  const errorsPx = lm.images.flatMap((i) => i.errorsPx);
  const figs: [string, Figure][] = [
    [
      "error_histogram",
      histogram(errorsPx, { title: "Radial error, all landmarks", xLabel: "error (px)" }),
    ],
    [
      "per_landmark_box",
      boxPlot(
        LANDMARK_NAMES.map((name, k) => ({ name, values: lm.images.map((i) => i.errorsPx[k]) })),
        { title: "Radial error per landmark", yLabel: "error (px)" },
      ),
    ],
    [
      "sdr_curve",
      lineChart([{ name: "SDR", ...sdrCurve(errorsPx) }], {
        title: "Success detection rate",
        xLabel: "threshold (px)",
        yLabel: "fraction of landmarks within threshold",
      }),
    ],
  ];
  if (lm.mm) {
    const errorsMm = lm.images.flatMap((i) => i.errorsMm ?? []);
    figs.push([
      "sdr_curve_mm",
      lineChart([{ name: "SDR", ...sdrCurve(errorsMm) }], {
        title: "Success detection rate (mm)",
        xLabel: "threshold (mm)",
        yLabel: "fraction of landmarks within threshold",
      }),
    ]);
  }
  if (r.clinical) {
    const c = r.clinical.images;
    figs.push([
      "bland_altman_hc",
      blandAltmanChart(c.map((i) => i.pred.hcMm), c.map((i) => i.truth.hcMm), {
        title: "Head circumference: prediction vs ground truth",
        unit: "mm",
      }),
    ]);
  }
  for (const axis of ["x", "y"] as const) {
    figs.push([
      `scatter_${axis}`,
      scatter(
        LANDMARK_NAMES.map((name, k) => ({
          name,
          x: r.cases.map((c) => c.truth[k][axis]),
          y: r.cases.map((c) => c.pred[k][axis]),
        })),
        {
          title: `Predicted vs true ${axis}`,
          xLabel: `true ${axis} (px)`,
          yLabel: `predicted ${axis} (px)`,
          identityLine: true,
        },
      ),
    ]);
  }
  return figs;
}

/** Overlays of the `k` images with the largest MRE, worst first. */
export async function worstCaseGallery(
  r: EvalResult,
  k: number,
  cols = 4,
): Promise<Uint8Array | undefined> {
  const ranked = r.cases.map((c, i) => ({ c, mre: r.landmarks.images[i].mrePx }))
    .filter((e) => e.c.imagePath)
    .sort((a, b) => b.mre - a.mre)
    .slice(0, k);
  if (ranked.length === 0) return undefined;
  const tiles = await Promise.all(ranked.map(async ({ c, mre }) => {
    const caption = `${c.id}  MRE ${mre.toFixed(1)} px`;
    // The metrics need no pixels: an undecodable image keeps its place in the gallery, blank.
    const image = await readGray(c.imagePath!).catch((err) => {
      if (err instanceof InputError) return undefined;
      throw err;
    });
    return image
      ? { png: await overlayPng(image, { truth: c.truth, prediction: c.pred }), caption }
      : {
        png: await overlayPng({ width: 360, height: 240, data: new Float32Array(360 * 240) }),
        caption: `${caption} (image not decodable)`,
      };
  }));
  return gridPng(tiles, { cols, tileWidth: 360 });
}

export async function writeDashboard(
  dir: string,
  r: EvalResult,
  opts: DashboardOptions = {},
): Promise<DashboardFiles> {
  const figures: string[] = [];
  for (const [name, fig] of dashboardFigures(r)) {
    await saveFigure(fig, dir, name);
    figures.push(name);
  }
  const galleryPng = await worstCaseGallery(r, opts.worstK ?? 12, opts.galleryCols ?? 4);
  const gallery = galleryPng ? join(dir, "worst_cases.png") : undefined;
  if (gallery) await writeFileAtomic(gallery, galleryPng!);
  // An earlier evaluation into the same folder may have drawn charts this one has no data for
  // (mm charts without pixel sizes, the gallery without --images): they would pass for its own.
  const stale = [
    ...OPTIONAL_FIGURES.filter((name) => !figures.includes(name))
      .flatMap((name) => Object.values(figureFiles(dir, name))),
    ...(gallery ? [] : [join(dir, "worst_cases.png")]),
  ];
  for (const path of stale) {
    await Deno.remove(path).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
  }
  const files: DashboardFiles = {
    figures,
    ...(gallery ? { gallery } : {}),
    csv: join(dir, "predictions_vs_gt.csv"),
    summaryJson: join(dir, "summary.json"),
    summaryMd: join(dir, "summary.md"),
  };
  await writeFileAtomic(files.csv, predictionsVsTruthCsv(r));
  await writeJsonAtomic(files.summaryJson, {
    ...summaryJson(r),
    ...(opts.provenance ? { provenance: opts.provenance } : {}),
    ...(opts.review ? { review: opts.review } : {}),
  });
  const charts = [
    "## Charts",
    "",
    ...figures.map((name) => `![${name}](${name}.png)`),
    ...(gallery
      ? [
        "",
        "## Worst cases (green: truth, blue: prediction)",
        "",
        "![worst cases](worst_cases.png)",
      ]
      : []),
    "",
  ];
  const review = opts.review ? reviewMarkdown(opts.review) + "\n" : "";
  await writeFileAtomic(
    files.summaryMd,
    summaryMarkdown(r, opts.title) + "\n" + review + charts.join("\n"),
  );
  return files;
}
