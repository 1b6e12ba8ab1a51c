/**
 * Train-and-compare the model families on one dataset and one validation split: the engine of
 * `deno task demo` and notebook 07.
 *
 * Every family is trained through lib/training/run.ts (runTraining; run id `<prefix>-<family>`,
 * so an interrupted comparison resumes: finished runs are reused, unfinished ones continue from
 * `last/`), then its best checkpoint is scored by the SAME code path for every family: the
 * Predictor (lib/inference/predictor.ts) on the validation images in original pixels, and
 * lib/metrics' evaluate() on the result. Dice is computed on the original image grid for the
 * families that predict a mask. Speed is the predictor's wall time per image (preprocessing,
 * model, decoding; image decoding excluded), measured after one warm-up batch.
 */
import { join } from "node:path";
import type { BackendReport } from "../backend/mod.ts";
import { formatCsv } from "../core/csv.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import type { Sample, SampleRecord } from "../core/types.ts";
import { loadDataset, loadSample } from "../data/dataset.ts";
import { type EvalCase, type EvalResult, evaluate } from "../metrics/evaluation.ts";
import { markdownTable, type Row, textTable } from "../notebook/table.ts";
import { applyOverrides, type RunConfig } from "../training/config.ts";
import type { ProgressSink } from "../training/progress.ts";
import {
  CHECKPOINTS_ROOT,
  resolveDataDir,
  RESULTS_ROOT,
  runTraining,
  splitRecords,
} from "../training/run.ts";
import { resolveConfig } from "../training/tasks/mod.ts";
import { boxPlot, lineChart, scatter } from "../viz/charts.ts";
import type { Figure } from "../viz/figure.ts";
import { sdrCurve } from "../viz/dashboard.ts";
import { saveFigure } from "../viz/figure.ts";
import { gridPng, overlayPng } from "../viz/overlay.ts";
import { InterruptedError } from "./interrupt.ts";
import { familyInfo, readRunConfig } from "./model_dir.ts";
import { type ImagePrediction, type PredictOptions, Predictor } from "./predictor.ts";
import { InputError } from "../core/errors.ts";
import { CoarseToFine, type ImagePredictor } from "./coarse_to_fine.ts";
import { failureAuroc } from "./uncertainty.ts";

export const DEMO_FAMILIES = ["coord", "heatmap", "unet", "deeplab"] as const;

export interface CompareOptions {
  /** Family names (lib/inference/model_dir.ts FAMILIES); default coord, heatmap, unet, deeplab. */
  families?: readonly string[];
  /** Config variant of every family (`quick`, `cpu`, …). */
  variant: string;
  /** Run-id prefix; the runs are `<prefix>-<family>`. */
  prefix: string;
  /** Dataset folder or keyword for config.data.dir (default: the variant's own). */
  data?: string;
  /** Dotted config overrides for every family (e.g. epochs), then per family. */
  overrides?: Record<string, string>;
  familyOverrides?: Record<string, Record<string, string>>;
  backend?: BackendReport;
  /** Training progress for one family. */
  progress?: (family: string) => ProgressSink;
  log?: (line: string) => void;
  resultsRoot?: string;
  checkpointsRoot?: string;
  signal?: AbortSignal;
  /** Also run the TTA confidence study on the validation images (default true; 4× predictions). */
  tta?: boolean;
}

export interface FamilyMetrics {
  family: string;
  model: string;
  images: number;
  mre_px: number;
  mre_mm: number | null;
  /** Fraction of landmarks within 2 mm / 4 mm. */
  sdr_2mm: number | null;
  sdr_4mm: number | null;
  hc_abs_mm: number | null;
  dice: number | null;
  /** AUROC of "error > 2 mm" (px without pixel sizes: > 2 % of the image width) vs TTA confidence. */
  tta_auroc: number | null;
  /** The same images predicted with TTA (flip + shifts, combined as ellipses): MRE and |ΔHC|. */
  tta_mre_px: number | null;
  tta_hc_abs_mm: number | null;
  ms_per_image: number;
  params: number;
  train_s: number;
  epochs: number;
}

export interface FamilyResult {
  family: string;
  config: RunConfig;
  runId: string;
  runDir: string;
  checkpointDir: string;
  metrics: FamilyMetrics;
  evaluation: EvalResult;
  predictions: ImagePrediction[];
  confidence?: ConfidenceStudy;
}

export interface ConfidenceStudy {
  /** Per image: the TTA prediction's MRE (in `unit`) and its confidence. */
  rows: { id: string; mre: number; confidence: number; dispersionPx: number }[];
  unit: "mm" | "px";
  /** Failure threshold in `unit`: 2 mm, or 2 % of the image width without pixel sizes. */
  threshold: number | "2% of width";
  /** AUROC of failure vs 1 − confidence (NaN when all images fail or none does). */
  auroc: number;
  /** The TTA predictions scored like scorePredictor's (landmarks and clinical measures). */
  evaluation: EvalResult;
}

/** The run config of `family` at `variant`, with data and overrides applied. */
export async function familyConfig(
  family: string,
  variant: string,
  data?: string,
  overrides: Record<string, string> = {},
): Promise<RunConfig> {
  const info = familyInfo(family);
  const base = await resolveConfig(info.config(variant));
  return applyOverrides(base, {
    ...(data !== undefined ? { "data.dir": data } : {}),
    ...overrides,
  });
}

interface RunJson {
  endedAt?: string;
  interrupted?: boolean;
  wallClockSec?: number;
  epochsDone?: number;
}

async function readRunJson(runDir: string): Promise<RunJson | undefined> {
  return await Deno.readTextFile(join(runDir, "run.json")).then(JSON.parse, () => undefined);
}

/** Predict `records` with timing and score them; masks are compared on the original grid. */
export async function scorePredictor(
  predictor: ImagePredictor,
  samples: readonly Sample[],
  records: readonly SampleRecord[],
  seed = 0,
  opts: PredictOptions = {},
): Promise<{ evaluation: EvalResult; predictions: ImagePrediction[]; msPerImage: number }> {
  const inputs = samples.map((s) => ({ id: s.id, image: s.image, pixelSizeMm: s.pixelSizeMm }));
  await predictor.predict(inputs.slice(0, predictor.batchSize), opts); // warm-up: kernels, buffers
  const t0 = performance.now();
  const predictions = await predictor.predict(inputs, opts);
  const msPerImage = (performance.now() - t0) / Math.max(1, inputs.length);
  const cases: EvalCase[] = predictions.map((p, i) => ({
    id: p.id,
    truth: samples[i].landmarks,
    pred: p.landmarks,
    ...(samples[i].pixelSizeMm !== undefined ? { pixelSizeMm: samples[i].pixelSizeMm } : {}),
    imagePath: records[i].imagePath,
    ...(p.mask && samples[i].mask ? { predMask: p.mask, truthMask: samples[i].mask } : {}),
  }));
  return { evaluation: evaluate(cases, { seed }), predictions, msPerImage };
}

/** The validation images of a config's split, decoded once and shared between checkpoints. */
export interface ValidationSet {
  /** Data folder and split settings; equal keys = the same images. */
  key: string;
  records: SampleRecord[];
  samples: Sample[];
}

/** The data folder and split settings of a config; equal keys = the same validation images. */
export async function splitKey(config: RunConfig): Promise<{ key: string; dir: string }> {
  const { dir } = await resolveDataDir(config);
  const d = config.data;
  return {
    dir,
    key: JSON.stringify([
      dir,
      d.valFraction,
      d.splitSeed,
      d.folds,
      d.folds > 1 ? d.fold : 0,
      d.limit,
    ]),
  };
}

/**
 * `model`, with `refine` behind it when given, as one predictor for scoring on a split; refused
 * when the two were trained on different splits, since a validation image of one could then be a
 * training image of the other. `calibrateLast` (default `calibrate`, default true) decides the
 * direction calibration of the stage whose answer is reported.
 */
export async function loadScoredChain(
  model: string,
  refine: string | undefined,
  opts: { calibrate?: boolean; calibrateLast?: boolean } = {},
): Promise<{ predictor: ImagePredictor; last: Predictor }> {
  const calibrate = opts.calibrate ?? true;
  const last = opts.calibrateLast ?? calibrate;
  const first = await Predictor.load(model, { calibrate: refine ? calibrate : last });
  if (!refine) return { predictor: first, last: first };
  const second = await Predictor.load(refine, { calibrate: last });
  const [a, b] = [await splitKey(first.config), await splitKey(second.config)];
  if (a.key !== b.key) {
    first.dispose();
    second.dispose();
    throw new InputError(
      `--model and --refine were trained on different splits: ${a.key} vs ${b.key}`,
    );
  }
  return { predictor: new CoarseToFine(first, second), last: second };
}

export async function validationSet(config: RunConfig): Promise<ValidationSet> {
  const { key, dir } = await splitKey(config);
  const records = splitRecords(await loadDataset(dir), config).val;
  return { key, records, samples: await Promise.all(records.map(loadSample)) };
}

/**
 * Score the best checkpoint of a run on its validation split (`val` is reused when it is the same
 * split). Returns the evaluation, predictions, speed and parameter count.
 */
export async function scoreCheckpoint(
  config: RunConfig,
  checkpointDir: string,
  val?: ValidationSet,
  opts: { tta?: boolean } = {},
): Promise<
  {
    evaluation: EvalResult;
    predictions: ImagePrediction[];
    msPerImage: number;
    params: number;
    val: ValidationSet;
    confidence?: ConfidenceStudy;
  }
> {
  const set = val && val.key === (await splitKey(config)).key ? val : await validationSet(config);
  const predictor = await Predictor.fromDir(join(checkpointDir, "best"), config);
  try {
    const scored = await scorePredictor(predictor, set.samples, set.records, config.seed);
    const confidence = opts.tta ? await confidenceStudy(predictor, set.samples) : undefined;
    return {
      ...scored,
      params: predictor.countParams(),
      val: set,
      ...(confidence ? { confidence } : {}),
    };
  } finally {
    predictor.dispose();
  }
}

/**
 * How well TTA confidence flags failures: predict `samples` with TTA, take each image's MRE (mm
 * where every image has a pixel size, else px) and confidence, and the AUROC of "error > 2 mm"
 * (px: > 2 % of the image width) scored by 1 − confidence.
 */
export async function confidenceStudy(
  predictor: ImagePredictor,
  samples: readonly Sample[],
): Promise<ConfidenceStudy> {
  const preds = await predictor.predict(
    samples.map((s) => ({ id: s.id, image: s.image, pixelSizeMm: s.pixelSizeMm })),
    { tta: true },
  );
  const mm = samples.every((s) => s.pixelSizeMm !== undefined);
  const rows = preds.map((p, i) => {
    const t = samples[i].landmarks;
    const px = p.landmarks.reduce((sum, q, k) => sum + Math.hypot(q.x - t[k].x, q.y - t[k].y), 0) /
      4;
    return {
      id: p.id,
      mre: mm ? px * samples[i].pixelSizeMm! : px,
      confidence: p.confidence!,
      dispersionPx: p.dispersionPx!,
    };
  });
  const cases: EvalCase[] = preds.map((p, i) => ({
    id: p.id,
    truth: samples[i].landmarks,
    pred: p.landmarks,
    ...(samples[i].pixelSizeMm !== undefined ? { pixelSizeMm: samples[i].pixelSizeMm } : {}),
  }));
  return {
    rows,
    unit: mm ? "mm" : "px",
    threshold: mm ? 2 : "2% of width",
    auroc: failureAuroc(
      rows.map((r) => r.mre),
      rows.map((r) => r.confidence),
      mm ? 2 : samples.map((s) => 0.02 * s.image.width),
    ),
    evaluation: evaluate(cases),
  };
}

/** The headline numbers of one scored checkpoint. */
export function metricsOf(
  family: string,
  config: RunConfig,
  ev: EvalResult,
  msPerImage: number,
  params: number,
  run: RunJson | undefined,
  study?: ConfidenceStudy,
): FamilyMetrics {
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  const sdr = (t: number) => finite(ev.landmarks.mm?.sdr.find((s) => s.threshold === t)?.rate);
  return {
    family,
    model: config.model.name,
    images: ev.nImages,
    mre_px: ev.landmarks.px.radial.mean,
    mre_mm: finite(ev.landmarks.mm?.radial.mean),
    sdr_2mm: sdr(2),
    sdr_4mm: sdr(4),
    hc_abs_mm: finite(ev.clinical?.hcMm.mean),
    dice: finite(ev.segmentation?.dice.mean),
    tta_auroc: finite(study?.auroc),
    tta_mre_px: finite(study?.evaluation.landmarks.px.radial.mean),
    tta_hc_abs_mm: finite(study?.evaluation.clinical?.hcMm.mean),
    ms_per_image: msPerImage,
    params,
    train_s: run?.wallClockSec ?? NaN,
    epochs: run?.epochsDone ?? 0,
  };
}

/** Train (or reuse) and score every family; results in family order. */
export async function runComparison(opts: CompareOptions): Promise<FamilyResult[]> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const families = opts.families ?? DEMO_FAMILIES;
  const resultsRoot = opts.resultsRoot ?? RESULTS_ROOT;
  const checkpointsRoot = opts.checkpointsRoot ?? CHECKPOINTS_ROOT;
  const out: FamilyResult[] = [];
  let valCache: ValidationSet | undefined;
  for (const [i, family] of families.entries()) {
    const config = await familyConfig(family, opts.variant, opts.data, {
      ...opts.overrides,
      ...opts.familyOverrides?.[family],
    });
    const runId = `${opts.prefix}-${family}`;
    const runDir = join(resultsRoot, runId);
    const checkpointDir = join(checkpointsRoot, runId);
    const previous = await readRunJson(runDir);
    log(
      `[${
        i + 1
      }/${families.length}] ${family}: ${config.name}, ${config.model.name}, ${config.inputSize} px, ` +
        `${config.epochs} epochs`,
    );
    if (previous?.endedAt && !previous.interrupted) {
      log(`  reusing finished run ${runId}`);
    } else {
      const resume = await exists(join(checkpointDir, "last", "state.json"));
      const outcome = await runTraining({
        config,
        runId,
        resume,
        backend: opts.backend,
        progress: opts.progress?.(family),
        log: (l) => log(`  ${l}`),
        resultsRoot,
        checkpointsRoot,
        signal: opts.signal,
      });
      if (outcome.training.interrupted) {
        throw new InterruptedError(`interrupted while training ${family}; run again to resume`);
      }
    }
    // The run's own config.json: training may have fitted task options into it (e.g. the coord
    // task's target statistics), which decoding needs.
    const trained = await readRunConfig(join(runDir, "config.json"));
    const scored = await scoreCheckpoint(trained, checkpointDir, valCache, {
      tta: opts.tta ?? true,
    });
    if (valCache && valCache.key !== scored.val.key) {
      throw new Error(`${family} would validate on a different split`);
    }
    valCache = scored.val;
    const metrics = metricsOf(
      family,
      trained,
      scored.evaluation,
      scored.msPerImage,
      scored.params,
      await readRunJson(runDir),
      scored.confidence,
    );
    log(
      `  ${family}: MRE ${metrics.mre_px.toFixed(1)} px` +
        (metrics.mre_mm !== null ? ` / ${metrics.mre_mm.toFixed(2)} mm` : "") +
        `, ${metrics.ms_per_image.toFixed(1)} ms/image`,
    );
    out.push({
      family,
      config: trained,
      runId,
      runDir,
      checkpointDir,
      metrics,
      evaluation: scored.evaluation,
      predictions: scored.predictions,
      ...(scored.confidence ? { confidence: scored.confidence } : {}),
    });
    // Ctrl-C in a family's last epoch lets that training finish; the next one does not start.
    if (opts.signal?.aborted && i + 1 < families.length) {
      throw new InterruptedError(`interrupted after ${family}; run again to resume`);
    }
  }
  return out;
}

const COLUMNS: [keyof FamilyMetrics, string][] = [
  ["family", "family"],
  ["model", "model"],
  ["images", "val images"],
  ["mre_px", "MRE px"],
  ["mre_mm", "MRE mm"],
  ["sdr_2mm", "SDR 2 mm"],
  ["sdr_4mm", "SDR 4 mm"],
  ["hc_abs_mm", "|ΔHC| mm"],
  ["dice", "Dice"],
  ["tta_mre_px", "MRE px TTA"],
  ["tta_hc_abs_mm", "|ΔHC| mm TTA"],
  ["tta_auroc", "AUROC >2mm"],
  ["ms_per_image", "ms/image"],
  ["params", "params"],
  ["train_s", "train s"],
  ["epochs", "epochs"],
];

/** The comparison table, one row per family, human-readable column names. */
export function comparisonRows(results: readonly FamilyResult[]): Row[] {
  return results.map((r) =>
    Object.fromEntries(COLUMNS.map(([k, name]) => [name, r.metrics[k] as Row[string]]))
  );
}

export function comparisonText(results: readonly FamilyResult[]): string {
  return textTable(comparisonRows(results), { digits: 3 });
}

export interface ComparisonFiles {
  json: string;
  csv: string;
  markdown: string;
  figures: string[];
  gallery?: string;
}

/**
 * The comparison charts by file name: per-image MRE boxes and SDR curves per family (mm when every
 * image has a pixel size, else px), plus confidence vs error when a TTA study was run.
 */
export function comparisonFigures(results: readonly FamilyResult[]): [string, Figure][] {
  const mm = results.every((r) => r.evaluation.landmarks.mm);
  const figures: [string, Figure][] = [
    [
      "mre_by_family",
      boxPlot(
        results.map((r) => ({
          name: r.family,
          values: r.evaluation.landmarks.images.map((i) => (mm ? i.mreMm! : i.mrePx)),
        })),
        {
          title: "Per-image mean radial error",
          xLabel: "family",
          yLabel: mm ? "MRE (mm)" : "MRE (px)",
        },
      ),
    ],
    [
      "sdr_by_family",
      lineChart(
        results.map((r) => {
          const errors = r.evaluation.landmarks.images.flatMap((
            i,
          ) => (mm ? i.errorsMm! : i.errorsPx));
          return { name: r.family, ...sdrCurve(errors) };
        }),
        {
          title: "Success detection rate",
          xLabel: mm ? "threshold (mm)" : "threshold (px)",
          yLabel: "SDR",
        },
      ),
    ],
  ];
  const studies = results.filter((r) => r.confidence);
  if (studies.length) {
    figures.push([
      "confidence_vs_error",
      scatter(
        studies.map((r) => ({
          name: r.family,
          x: r.confidence!.rows.map((c) => c.confidence),
          y: r.confidence!.rows.map((c) => c.mre),
        })),
        {
          title: "TTA confidence vs error",
          xLabel: "confidence",
          yLabel: studies[0].confidence!.unit === "mm" ? "MRE (mm)" : "MRE (px)",
        },
      ),
    ]);
  }
  return figures;
}

/** PNG grid: the first `n` validation images (rows) × families (columns), truth and prediction drawn. */
export async function comparisonGallery(
  results: readonly FamilyResult[],
  n = 3,
): Promise<Uint8Array | null> {
  const first = results[0]?.evaluation.cases.slice(0, n) ?? [];
  if (!first.length) return null;
  const tiles = [];
  for (const [k, c] of first.entries()) {
    const bytes = await Deno.readFile(c.imagePath!);
    for (const r of results) {
      const p = r.predictions[k];
      tiles.push({
        png: await overlayPng(bytes, {
          truth: c.truth,
          prediction: p.landmarks,
          ellipse: p.ellipse,
          mask: p.mask,
        }),
        caption: `${r.family}  ${c.id}  MRE ${
          r.evaluation.landmarks.images[k].mrePx.toFixed(1)
        } px`,
      });
    }
  }
  return await gridPng(tiles, { cols: results.length, tileWidth: 300 });
}

/**
 * Write `comparison.{json,csv,md}`, figures (per-image MRE boxes, SDR curves in mm or px) and an
 * overlay gallery (first validation images × families) into `dir`.
 */
export async function writeComparison(
  dir: string,
  results: readonly FamilyResult[],
  meta: Record<string, unknown> = {},
  galleryImages = 3,
): Promise<ComparisonFiles> {
  const files: ComparisonFiles = {
    json: join(dir, "comparison.json"),
    csv: join(dir, "comparison.csv"),
    markdown: join(dir, "comparison.md"),
    figures: [],
  };
  await writeJsonAtomic(files.json, {
    ...meta,
    families: results.map((r) => ({ ...r.metrics, runId: r.runId, config: r.config.name })),
  });
  const keys = COLUMNS.map(([k]) => k);
  await writeFileAtomic(
    files.csv,
    formatCsv(keys, results.map((r) => keys.map((k) => r.metrics[k]))),
  );

  for (const [name, fig] of comparisonFigures(results)) {
    await saveFigure(fig, dir, name);
    files.figures.push(name);
  }
  const gallery = await comparisonGallery(results, galleryImages);
  if (gallery) {
    files.gallery = join(dir, "gallery.png");
    await writeFileAtomic(files.gallery, gallery);
  }
  const md = [
    "# Model family comparison",
    "",
    ...Object.entries(meta).map(([k, v]) =>
      `- ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`
    ),
    "",
    markdownTable(comparisonRows(results), { digits: 3 }),
    "",
    "MRE: mean radial error of the 4 landmarks in original pixels / mm; SDR: fraction of landmarks " +
    "within the threshold; |ΔHC|: mean absolute head-circumference error; Dice on the original " +
    "image grid (segmentation families); ms/image: batched prediction incl. preprocessing.",
    "",
    ...files.figures.map((f) => `![${f}](${f}.png)`),
    ...(files.gallery
      ? ["", "Green: truth, blue: prediction, orange: ellipse.", "", "![gallery](gallery.png)"]
      : []),
    "",
  ].join("\n");
  await writeFileAtomic(files.markdown, md);
  return files;
}
