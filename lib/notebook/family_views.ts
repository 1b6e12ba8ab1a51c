/**
 * Tables, charts and image grids for the family notebooks (03–06), built from a `FamilyRun`
 * (lib/notebook/family.ts), so the cells only call and show. Heatmap views are in
 * family_heatmap.ts, segmentation views in family_segmentation.ts.
 */
import { Rng } from "../core/rng.ts";
import { LANDMARK_NAMES, type Landmarks, type Sample, type SampleRecord } from "../core/types.ts";
import { auditLabels, type AuditReport } from "../data/audit.ts";
import { canonicalize } from "../data/landmark_order.ts";
import { type EvalResult, evaluate } from "../metrics/evaluation.ts";
import type { RunConfig } from "../training/config.ts";
import type { EpochRecord } from "../training/progress.ts";
import { curvesFigure } from "../training/run.ts";
import { lineChart, scatter } from "../viz/charts.ts";
import type { Figure } from "../viz/figure.ts";
import { gridPng, overlayPng } from "../viz/overlay.ts";
import { spreadPick } from "./exploration.ts";
import type { FamilyRun } from "./family.ts";
import type { Row } from "./table.ts";

// ---------------------------------------------------------------------------------------------
// Run header and curves

const params = (r: FamilyRun) =>
  r.stageParams === undefined
    ? `${r.params.toLocaleString("en")} parameters`
    : `${r.stageParams.toLocaleString("en")} parameters; ${
      r.params.toLocaleString("en")
    } with its first stage`;

/** One Markdown paragraph: data, split, model, training time and commit of the run. */
export function runSummaryMarkdown(r: FamilyRun): string {
  const d = r.run.data;
  const hours = (s?: number) =>
    s === undefined ? "?" : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`;
  const split = r.splitMatchesRun === false
    ? " **Warning: these validation images differ from the ones listed in run.json.**"
    : "";
  return [
    r.note,
    "",
    `Model \`${r.config.model.name}\` (${params(r)}), input ` +
    `${r.config.inputSize}×${r.config.inputSize}×${r.config.channels}; data ${d?.kind ?? "?"} ` +
    `(${d?.images ?? "?"} images, split ${d?.split?.kind ?? "?"} seed ${d?.split?.seed ?? "?"}: ` +
    `${
      d?.split?.train ?? "?"
    } train / ${r.val.records.length} validation, grouped by pregnancy); ` +
    `${r.run.epochsDone ?? r.history.length} epochs in ${hours(r.run.wallClockSec)} on ` +
    `${r.run.backend?.name ?? "?"}; best epoch ${r.run.bestEpoch ?? "?"}; git ` +
    `\`${(r.run.git?.commit ?? "?").slice(0, 10)}\`.${split}`,
  ].join("\n");
}

/** Loss curves, validation MRE, and (segmentation) validation Dice against the epoch. */
export function trainingCurveFigures(history: readonly EpochRecord[]): Figure[] {
  const x = history.map((r) => r.epoch);
  const line = (key: string, name: string) => ({ name, x, y: history.map((r) => r[key] ?? NaN) });
  const figs = [
    curvesFigure(history),
    lineChart([line("val_mre_px", "val MRE")], {
      title: "Validation MRE (original pixels)",
      xLabel: "epoch",
      yLabel: "MRE (px)",
      points: history.length < 30,
    }),
  ];
  if (history.some((r) => Number.isFinite(r.val_dice))) {
    figs.push(lineChart([line("val_dice", "val Dice")], {
      title: "Validation Dice",
      xLabel: "epoch",
      yLabel: "Dice",
      points: history.length < 30,
    }));
  }
  return figs;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** The headline numbers of an evaluation as one row (used for side-by-side tables). */
export function headlineRow(name: string, ev: EvalResult): Row {
  const mm = ev.landmarks.mm;
  const sdr = (t: number) => mm?.sdr.find((s) => s.threshold === t)?.rate;
  return {
    model: name,
    images: ev.nImages,
    "MRE px": ev.landmarks.px.radial.mean,
    "MRE mm": mm?.radial.mean,
    "SDR 2 mm": sdr(2),
    "SDR 4 mm": sdr(4),
    "order-free MRE px": ev.landmarks.orderFreePx.radial.mean,
    "spread x": ev.spread.meanX,
    "spread y": ev.spread.meanY,
    "|ΔHC| mm": ev.clinical?.hcMm.mean,
  };
}

/** Spread ratio (std of predictions / std of truths) per landmark and axis. */
export function spreadRows(ev: EvalResult): Row[] {
  return ev.spread.perLandmark.map((p) => ({ landmark: p.name, "spread x": p.x, "spread y": p.y }));
}

/** Predicted against true x (and y), one series per landmark, titled with the mean spread ratio. */
export function coordinateScatterFigures(ev: EvalResult): Figure[] {
  return (["x", "y"] as const).map((axis) =>
    scatter(
      LANDMARK_NAMES.map((name, k) => ({
        name,
        x: ev.cases.map((c) => c.truth[k][axis]),
        y: ev.cases.map((c) => c.pred[k][axis]),
      })),
      {
        title: `Predicted vs true ${axis} (spread ratio ${
          (axis === "x" ? ev.spread.meanX : ev.spread.meanY).toFixed(2)
        })`,
        xLabel: `true ${axis} (px)`,
        yLabel: `predicted ${axis} (px)`,
        identityLine: true,
      },
    )
  );
}

// ---------------------------------------------------------------------------------------------
// Image grids

interface TileOptions {
  /** Draw the predicted mask contour and ellipse (segmentation families). */
  shapes?: boolean;
}

export function caseCaption(r: FamilyRun, i: number): string {
  const e = r.evaluation.landmarks.images[i];
  const error = e.mreMm !== undefined ? `${e.mreMm.toFixed(1)} mm` : `${e.mrePx.toFixed(0)} px`;
  return `${e.id.replace(/\.png$/i, "")}  MRE ${error}`;
}

async function caseTile(r: FamilyRun, i: number, opts: TileOptions, caption: string) {
  const p = r.predictions[i];
  const png = await overlayPng(r.val.samples[i].image, {
    truth: r.val.samples[i].landmarks,
    prediction: p.landmarks,
    ...(opts.shapes ? { ellipse: p.ellipse, ...(p.mask ? { mask: p.mask } : {}) } : {}),
  });
  return { png, caption };
}

/** Validation images by index with truth (green) and prediction (blue), captions with the MRE. */
export async function overlayGridPng(
  r: FamilyRun,
  indices: readonly number[],
  opts: TileOptions & { cols?: number; tileWidth?: number } = {},
): Promise<Uint8Array> {
  const tiles = [];
  for (const i of indices) tiles.push(await caseTile(r, i, opts, caseCaption(r, i)));
  return await gridPng(tiles, { cols: opts.cols ?? 5, tileWidth: opts.tileWidth ?? 240 });
}

/** `n` validation indices spread evenly over the split (first … last). */
export function spreadIndices(r: FamilyRun, n: number): number[] {
  return spreadPick(r.val.records.map((_, i) => i), n);
}

/** Per-image MRE in mm when every image has a pixel size (so captions and order agree), else px. */
function imageErrors(r: FamilyRun): number[] {
  const images = r.evaluation.landmarks.images;
  const mm = images.every((e) => e.mreMm !== undefined);
  return images.map((e) => (mm ? e.mreMm! : e.mrePx));
}

/** Validation indices by MRE, worst first. */
export function worstIndices(r: FamilyRun, n: number): number[] {
  return imageErrors(r).map((mre, i) => ({ i, mre })).sort((a, b) => b.mre - a.mre)
    .slice(0, n).map((e) => e.i);
}

/** Validation indices by MRE, best first. */
export function bestIndices(r: FamilyRun, n: number): number[] {
  return imageErrors(r).map((mre, i) => ({ i, mre })).sort((a, b) => a.mre - b.mre)
    .slice(0, n).map((e) => e.i);
}

// ---------------------------------------------------------------------------------------------
// Notebook 03: why the prototype collapsed

/**
 * The constant guess: the mean training landmarks (original pixels) predicted for every
 * validation image. With `randomEnds`, each training label first has the ends of each axis in a
 * random order (as when labels carry no order convention); the truth stays canonical.
 */
export function meanShapeBaseline(
  train: readonly SampleRecord[],
  val: readonly Sample[],
  opts: { randomEnds?: boolean; seed?: number } = {},
): EvalResult {
  const rng = new Rng(opts.seed ?? 0);
  const labels = train.map((r) => {
    const l = canonicalize(r.landmarks);
    if (!opts.randomEnds) return l;
    const [o1, o2] = rng.next() < 0.5 ? [l[0], l[1]] : [l[1], l[0]];
    const [b1, b2] = rng.next() < 0.5 ? [l[2], l[3]] : [l[3], l[2]];
    return [o1, o2, b1, b2] as Landmarks;
  });
  const mean = [0, 1, 2, 3].map((k) => ({
    x: labels.reduce((s, l) => s + l[k].x, 0) / labels.length,
    y: labels.reduce((s, l) => s + l[k].y, 0) / labels.length,
  })) as Landmarks;
  return evaluate(val.map((s) => ({
    id: s.id,
    truth: s.landmarks,
    pred: mean,
    ...(s.pixelSizeMm !== undefined ? { pixelSizeMm: s.pixelSizeMm } : {}),
  })));
}

export type PlantedFault = "none" | "ofd_bpd_swapped" | "point_off_skull" | "ends_swapped";

/**
 * The label audit on a copy of `samples` with faults planted in memory (the files are not
 * touched): in turn OFD/BPD swapped, one OFD end pushed 15 % of the OFD length outwards off the
 * skull, the two OFD ends swapped, and untouched rows. Returns the report and, per row, what was
 * planted and which audit codes fired.
 */
export function plantedFaultAudit(
  samples: readonly Sample[],
  count = 12,
): { report: AuditReport; rows: Row[] } {
  const kinds: PlantedFault[] = ["ofd_bpd_swapped", "point_off_skull", "ends_swapped", "none"];
  const chosen = samples.slice(0, count);
  const planted = chosen.map((s, i) => {
    const kind = kinds[i % kinds.length];
    const [o1, o2, b1, b2] = s.landmarks;
    let l: Landmarks = [o1, o2, b1, b2];
    if (kind === "ofd_bpd_swapped") l = [b1, b2, o1, o2];
    if (kind === "point_off_skull") {
      const push = 0.15;
      l = [{ x: o1.x + push * (o1.x - o2.x), y: o1.y + push * (o1.y - o2.y) }, o2, b1, b2];
    }
    if (kind === "ends_swapped") l = [o2, o1, b1, b2];
    return { kind, landmarks: l };
  });
  const report = auditLabels(chosen.map((s, i) => ({
    row: i + 2,
    id: s.id,
    landmarks: planted[i].landmarks,
    image: { width: s.image.width, height: s.image.height },
    ...(s.mask ? { mask: s.mask } : {}),
  })));
  const byRow = new Map(report.flagged.map((f) => [f.row, f.issues]));
  const rows = chosen.map((s, i) => ({
    id: s.id,
    planted: planted[i].kind,
    "audit codes": (byRow.get(i + 2) ?? []).map((x) => x.code).join(", ") || "(none)",
  }));
  return { report, rows };
}

// ---------------------------------------------------------------------------------------------
// Shared text

/** The training setup of a run, one row per setting. */
export function trainingSetupRows(c: RunConfig): Row[] {
  const s = c.schedule;
  const schedule = s.kind === "cosine-warmup"
    ? `cosine, ${s.warmupEpochs} warm-up epochs, down to ${s.minLr}`
    : s.kind === "plateau"
    ? `ReduceLROnPlateau ×${s.factor} after ${s.patience} epochs`
    : "constant";
  return [
    { setting: "config", value: c.name },
    { setting: "model", value: c.model.name },
    {
      setting: "task (options)",
      // Three decimals: the coordinate task's target mean/std are 8 numbers each.
      value: `${c.task} ${
        JSON.stringify(c.taskOptions, (_, v) => typeof v === "number" ? +v.toFixed(3) : v)
      }`,
    },
    { setting: "input", value: `${c.inputSize}×${c.inputSize}×${c.channels}` },
    { setting: "batch × epochs", value: `${c.batchSize} × ${c.epochs}` },
    {
      setting: "optimiser",
      value: `AdamW lr ${c.optimizer.lr}, weight decay ${c.optimizer.weightDecay}`,
    },
    { setting: "schedule", value: schedule },
    { setting: "gradient clipping (global norm)", value: c.gradClipNorm || "off" },
    { setting: "best checkpoint by", value: c.monitor },
  ];
}

/**
 * Notebook 03's verdict, from the numbers: the model's MRE against the constant guess, and
 * whether its predictions still spread like the truth (spread ratio ≥ 0.5 on both axes).
 */
export function collapseVerdictMarkdown(model: EvalResult, baseline: EvalResult): string {
  const m = model.landmarks.px.radial.mean, b = baseline.landmarks.px.radial.mean;
  const sp = model.spread;
  const ratio = m / b;
  return [
    `This run's MRE is **${m.toFixed(1)} px** against **${b.toFixed(1)} px** for the constant mean`,
    `guess (${
      ratio < 1
        ? `${(100 * (1 - ratio)).toFixed(0)} % lower`
        : `${(100 * (ratio - 1)).toFixed(0)} % higher`
    }).`,
    `Its predictions spread ${sp.meanX.toFixed(2)} (x) and ${
      sp.meanY.toFixed(2)
    } (y) times as much as`,
    `the truth: ${
      sp.collapsed
        ? "**still collapsed towards the mean shape** (below 0.5 on an axis): more training, or a look at the labels and targets, is needed before the numbers mean anything."
        : "the predictions follow the images rather than a mean shape."
    }`,
  ].join(" ");
}
