/**
 * Text forms of an evaluation: summary rows (console, notebooks, Markdown), a JSON summary without
 * the per-image arrays, and the per-image `predictions_vs_gt.csv`.
 */
import { formatCsv } from "../core/csv.ts";
import { LANDMARK_NAMES } from "../core/types.ts";
import { LANDMARK_COLUMNS } from "../data/prototype_csv.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import type { ReviewSubset } from "../inference/cross_check.ts";
import type { EvalResult } from "../metrics/evaluation.ts";
import type { Summary } from "../metrics/summary.ts";
import { markdownTable, type Row } from "../notebook/table.ts";

const statRow = (metric: string, unit: string, s: Summary): Row => ({
  metric,
  unit,
  n: s.n,
  mean: s.mean,
  std: s.std,
  median: s.median,
  min: s.min,
  max: s.max,
});

/** One row per metric with n, mean, std, median, min, max. */
export function summaryRows(r: EvalResult): Row[] {
  const lm = r.landmarks;
  const rows: Row[] = [
    statRow("radial error, all points", "px", lm.px.radial),
    ...LANDMARK_NAMES.map((name) => statRow(`radial error ${name}`, "px", lm.px.perLandmark[name])),
    statRow("radial error, pair-order-free", "px", lm.orderFreePx.radial),
  ];
  if (lm.mm) rows.push(statRow("radial error, all points", "mm", lm.mm.radial));
  const c = r.clinical;
  if (c) {
    rows.push(
      statRow("|ΔOFD|", "mm", c.ofdMm),
      statRow("|ΔBPD|", "mm", c.bpdMm),
      statRow("|ΔHC|", "mm", c.hcMm),
      statRow("GA error from HC (Hadlock)", "days", c.gaHcDays),
      statRow("GA error from BPD (Hadlock)", "days", c.gaBpdDays),
    );
  }
  const s = r.segmentation;
  if (s) {
    rows.push(
      statRow("Dice", "", s.dice),
      statRow("IoU", "", s.iou),
      statRow("precision", "", s.precision),
      statRow("recall", "", s.recall),
      statRow("HD95", s.hd95Unit, s.hd95),
    );
  }
  return rows;
}

/** Success detection rates at the standard thresholds, px and (where known) mm. */
export function sdrRows(r: EvalResult): Row[] {
  const lm = r.landmarks;
  return [
    ...lm.px.sdr.map((s) => ({
      threshold: s.threshold,
      unit: "px",
      n: lm.px.radial.n,
      sdr: s.rate,
    })),
    ...(lm.mm?.sdr ?? []).map((s) => ({
      threshold: s.threshold,
      unit: "mm",
      n: lm.mm!.radial.n,
      sdr: s.rate,
    })),
  ];
}

/** Headline numbers for a one-line comparison of runs. */
export function headline(r: EvalResult): Row {
  const lm = r.landmarks;
  return {
    images: r.nImages,
    mre_px: lm.px.radial.mean,
    mre_px_ci_low: r.mreCiPx.lower,
    mre_px_ci_high: r.mreCiPx.upper,
    mre_mm: lm.mm?.radial.mean,
    hc_abs_err_mm: r.clinical?.hcMm.mean,
    hc_abs_err_mm_ci_low: r.hcAbsCiMm?.lower,
    hc_abs_err_mm_ci_high: r.hcAbsCiMm?.upper,
    dice: r.segmentation?.dice.mean,
    spread_x: r.spread.meanX,
    spread_y: r.spread.meanY,
    collapsed: r.spread.collapsed,
  };
}

/** The result as JSON-ready data, without per-image arrays (those go to the CSV). */
export function summaryJson(r: EvalResult): Record<string, unknown> {
  const { images: _lmImages, ...landmarks } = r.landmarks;
  const clinical = r.clinical ? (({ images: _, ...rest }) => rest)(r.clinical) : undefined;
  const segmentation = r.segmentation
    ? (({ images: _, ...rest }) => rest)(r.segmentation)
    : undefined;
  return {
    nImages: r.nImages,
    headline: headline(r),
    landmarks,
    spread: r.spread,
    ...(clinical ? { clinical } : {}),
    ...(segmentation ? { segmentation } : {}),
    mreCiPx: r.mreCiPx,
    ...(r.mreCiMm ? { mreCiMm: r.mreCiMm } : {}),
    ...(r.hcAbsCiMm ? { hcAbsCiMm: r.hcAbsCiMm } : {}),
  };
}

/** The mm MRE for the headline, saying over how many images when not all have a pixel size. */
function mmHeadline(r: EvalResult): string {
  const mm = r.landmarks.mm;
  if (!mm) return "";
  const n = mm.radial.n / 4; // four points per image
  return `, ${mm.radial.mean.toFixed(3)} mm` +
    (n < r.nImages ? ` (the ${n} with a pixel size)` : "");
}

export function summaryMarkdown(r: EvalResult, title = "Evaluation"): string {
  const ci = (c: { lower: number; upper: number; level: number }, unit: string, of = "the MRE") =>
    `${(100 * c.level).toFixed(0)} % bootstrap CI of ${of}: ${c.lower.toFixed(2)}–${
      c.upper.toFixed(2)
    } ${unit}`;
  const spread = r.spread;
  const lines = [
    `# ${title}`,
    "",
    `${r.nImages} image${r.nImages === 1 ? "" : "s"}. ` +
    `MRE ${r.landmarks.px.radial.mean.toFixed(2)} px` + mmHeadline(r) + ".",
    "",
    `- ${ci(r.mreCiPx, "px")}`,
    ...(r.mreCiMm ? [`- ${ci(r.mreCiMm, "mm")}`] : []),
    ...(r.hcAbsCiMm ? [`- ${ci(r.hcAbsCiMm, "mm", "the mean |ΔHC|")}`] : []),
    `- Spread ratio (pred/true std) x ${spread.meanX.toFixed(2)}, y ${spread.meanY.toFixed(2)}` +
    (spread.collapsed ? ` — **collapsed towards the mean shape** (< ${spread.threshold})` : ""),
    "",
    "## Metrics",
    "",
    markdownTable(summaryRows(r)),
    "",
    "## Success detection rate",
    "",
    markdownTable(sdrRows(r)),
    "",
  ];
  return lines.join("\n");
}

/**
 * One row per image: id, true and predicted coordinates, per-landmark radial errors and MRE in
 * px, and, when the pixel size is known, the same in mm plus OFD/BPD/HC of truth and prediction.
 */
export function predictionsVsTruthCsv(r: EvalResult): string {
  const names = LANDMARK_NAMES.map((n) => n.toLowerCase());
  const header = [
    "image_name",
    ...LANDMARK_COLUMNS.map((c) => `gt_${c}`),
    ...LANDMARK_COLUMNS.map((c) => `pred_${c}`),
    ...names.map((n) => `err_${n}_px`),
    "mre_px",
    "pixel_size_mm",
    ...names.map((n) => `err_${n}_mm`),
    "mre_mm",
    "gt_ofd_mm",
    "pred_ofd_mm",
    "gt_bpd_mm",
    "pred_bpd_mm",
    "gt_hc_mm",
    "pred_hc_mm",
  ];
  const rows = r.cases.map((c, i) => {
    const e = r.landmarks.images[i];
    const coords = (l: typeof c.truth) => l.flatMap((p) => [p.x, p.y]);
    const mm = c.pixelSizeMm !== undefined
      ? (() => {
        const t = measuresFromLandmarks(c.truth, c.pixelSizeMm!);
        const p = measuresFromLandmarks(c.pred, c.pixelSizeMm!);
        return [...e.errorsMm!, e.mreMm, t.ofdMm, p.ofdMm, t.bpdMm, p.bpdMm, t.hcMm, p.hcMm];
      })()
      : new Array(11).fill(undefined);
    return [
      c.id,
      ...coords(c.truth),
      ...coords(c.pred),
      ...e.errorsPx,
      e.mrePx,
      c.pixelSizeMm,
      ...mm,
    ];
  });
  return formatCsv(header, rows);
}

/** The review split as table rows (empty cells where a subset has no image, or none in mm). */
export function reviewRows(split: readonly ReviewSubset[]): Row[] {
  const cell = (v: number) => (Number.isFinite(v) ? v : "");
  return split.map((s) => ({
    images: s.subset,
    n: s.images,
    "MRE px": cell(s.mrePx),
    "MRE mm": cell(s.mreMm),
    "|ΔHC| mm": cell(s.hcAbsMm),
  }));
}

/** summary.md's section on predict's review verdict. */
export function reviewMarkdown(split: readonly ReviewSubset[]): string {
  return [
    "## By predict's review verdict (`--cross-check`)",
    "",
    markdownTable(reviewRows(split), { digits: 2 }),
    "",
  ].join("\n");
}
