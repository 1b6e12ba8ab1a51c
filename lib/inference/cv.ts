/**
 * k-fold cross-validation grouped by pregnancy: one training run per fold (config.data.folds /
 * fold select lib/data/splits groupedKFold's fold as validation), each scored like the family
 * comparison (compare.ts scoreCheckpoint), then mean ± std of every metric.
 *
 *   results/runs/cv-<id>-fold<k>/       the fold's training run (checkpoints/runs/cv-<id>-fold<k>/)
 *   results/runs/cv-<id>/folds/fold<k>.json   the fold's scores, written when the fold is done
 *   results/runs/cv-<id>/cv_summary.{json,md,csv}
 *
 * Resumable: a fold with a scores file is skipped, a fold with a `last` checkpoint continues from
 * it, so rerunning the same command after an interrupt finishes the job.
 */
import { join } from "node:path";
import type { BackendReport } from "../backend/mod.ts";
import { formatCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { markdownTable, type Row, textTable } from "../notebook/table.ts";
import { applyOverrides, type RunConfig } from "../training/config.ts";
import type { ProgressSink } from "../training/progress.ts";
import { CHECKPOINTS_ROOT, RESULTS_ROOT, runTraining } from "../training/run.ts";
import { type FamilyMetrics, metricsOf, scoreCheckpoint } from "./compare.ts";
import { InterruptedError } from "./interrupt.ts";
import { familyOfConfig } from "./model_dir.ts";

export interface CvOptions {
  config: RunConfig;
  folds: number;
  /** Output id: runs are `cv-<id>-fold<k>`, the summary is in `cv-<id>/`. */
  id: string;
  /** Dotted overrides applied to every fold's config (e.g. epochs, data.dir). */
  overrides?: Record<string, string>;
  backend?: BackendReport;
  progress?: (fold: number) => ProgressSink;
  log?: (line: string) => void;
  resultsRoot?: string;
  checkpointsRoot?: string;
  signal?: AbortSignal;
}

export type FoldMetrics = FamilyMetrics & { fold: number; runId: string };

export interface MetricSummary {
  mean: number;
  /** Sample standard deviation (n − 1); NaN for a single fold. */
  std: number;
  n: number;
}

export interface CvResult {
  id: string;
  dir: string;
  config: string;
  model: string;
  folds: FoldMetrics[];
  summary: Record<string, MetricSummary>;
}

/** Numeric metrics summarised over folds (non-finite / null values are left out). */
export const CV_METRICS = [
  "mre_px",
  "mre_mm",
  "sdr_2mm",
  "sdr_4mm",
  "hc_abs_mm",
  "dice",
  "ms_per_image",
  "train_s",
] as const;

export function meanStd(values: readonly number[]): MetricSummary {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std, n };
}

export function summarizeFolds(folds: readonly FoldMetrics[]): Record<string, MetricSummary> {
  return Object.fromEntries(
    CV_METRICS.map((k) => [k, meanStd(folds.map((f) => (f[k] ?? NaN) as number))]),
  );
}

/**
 * A rerun with the same id resumes, so it must mean the same folds: the settings of the first run
 * are kept in `cv.json`, and a rerun with other ones (folds, config, overrides such as --epochs)
 * is refused instead of mixing folds of two experiments.
 */
async function checkCvSettings(dir: string, opts: CvOptions): Promise<void> {
  const overrides = Object.fromEntries(Object.entries(opts.overrides ?? {}).sort());
  const settings = { folds: opts.folds, overrides, config: opts.config };
  const file = join(dir, "cv.json");
  const saved = await Deno.readTextFile(file).then(JSON.parse, () => undefined);
  if (!saved) {
    await writeJsonAtomic(file, settings);
    return;
  }
  const same = (k: keyof typeof settings) =>
    JSON.stringify(saved[k]) === JSON.stringify(JSON.parse(JSON.stringify(settings[k])));
  const differ = [
    ...(same("folds") ? [] : [`${saved.folds} folds (now ${opts.folds})`]),
    ...(same("overrides") ? [] : [
      `overrides ${JSON.stringify(saved.overrides)} (now ${JSON.stringify(settings.overrides)})`,
    ]),
    ...(same("config") ? [] : ["another config (the saved one is in cv.json)"]),
  ];
  if (differ.length) {
    throw new InputError(
      `cv ${opts.id} was started with ${differ.join(", ")}; rerun it as it was started, or ` +
        "give another --run-id",
      file,
    );
  }
}

export async function runCrossValidation(opts: CvOptions): Promise<CvResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  if (!(Number.isInteger(opts.folds) && opts.folds >= 2)) {
    throw new InputError("--folds must be an integer ≥ 2", undefined, undefined, opts.folds);
  }
  const resultsRoot = opts.resultsRoot ?? RESULTS_ROOT;
  const checkpointsRoot = opts.checkpointsRoot ?? CHECKPOINTS_ROOT;
  const dir = join(resultsRoot, `cv-${opts.id}`);
  const family = familyOfConfig(opts.config);
  await checkCvSettings(dir, opts);
  const folds: FoldMetrics[] = [];
  for (let k = 0; k < opts.folds; k++) {
    const scoresFile = join(dir, "folds", `fold${k}.json`);
    const runId = `cv-${opts.id}-fold${k}`;
    if (await exists(scoresFile)) {
      log(`fold ${k + 1}/${opts.folds}: done before (${scoresFile})`);
      folds.push(JSON.parse(await Deno.readTextFile(scoresFile)));
      continue;
    }
    const config = applyOverrides(opts.config, {
      ...opts.overrides,
      "data.folds": String(opts.folds),
      "data.fold": String(k),
    });
    const checkpointDir = join(checkpointsRoot, runId);
    const resume = await exists(join(checkpointDir, "last", "state.json"));
    log(`fold ${k + 1}/${opts.folds}: ${resume ? "resuming" : "training"} ${runId}`);
    const outcome = await runTraining({
      config,
      runId,
      resume,
      backend: opts.backend,
      progress: opts.progress?.(k),
      log: (l) => log(`  ${l}`),
      resultsRoot,
      checkpointsRoot,
      signal: opts.signal,
    });
    if (outcome.training.interrupted) {
      throw new InterruptedError(`interrupted in fold ${k}; rerun the same command to resume`);
    }
    const scored = await scoreCheckpoint(outcome.config, checkpointDir);
    const run = JSON.parse(await Deno.readTextFile(join(outcome.runDir, "run.json")));
    const metrics: FoldMetrics = {
      fold: k,
      runId,
      ...metricsOf(
        family,
        outcome.config,
        scored.evaluation,
        scored.msPerImage,
        scored.params,
        run,
      ),
    };
    await writeJsonAtomic(scoresFile, metrics);
    log(
      `  fold ${k + 1}: MRE ${metrics.mre_px.toFixed(2)} px` +
        (metrics.mre_mm !== null ? `, ${metrics.mre_mm.toFixed(3)} mm` : ""),
    );
    folds.push(metrics);
    // Ctrl-C in a fold's last epoch lets that fold finish; the next one does not start.
    if (opts.signal?.aborted && k + 1 < opts.folds) {
      throw new InterruptedError(`interrupted after fold ${k}; rerun the same command to resume`);
    }
  }
  const result: CvResult = {
    id: opts.id,
    dir,
    config: opts.config.name,
    model: opts.config.model.name,
    folds,
    summary: summarizeFolds(folds),
  };
  await writeCvSummary(result);
  return result;
}

/**
 * One row per metric that some fold reported (no Dice row for a landmark family): mean, std, n,
 * then each fold's value.
 */
export function cvRows(r: CvResult): Row[] {
  return CV_METRICS.filter((k) => r.summary[k].n > 0).map((k) => ({
    metric: k,
    mean: r.summary[k].mean,
    std: r.summary[k].std,
    n: r.summary[k].n,
    ...Object.fromEntries(r.folds.map((f) => [`fold ${f.fold}`, (f[k] ?? null) as number | null])),
  }));
}

export function cvText(r: CvResult): string {
  return textTable(cvRows(r), { digits: 3 });
}

async function writeCvSummary(r: CvResult): Promise<void> {
  await writeJsonAtomic(join(r.dir, "cv_summary.json"), r);
  const rows = cvRows(r);
  const columns = Object.keys(rows[0]);
  await writeFileAtomic(
    join(r.dir, "cv_summary.csv"),
    formatCsv(
      columns,
      rows.map((row) =>
        columns.map((c) => {
          const v = row[c];
          return typeof v === "number" && !Number.isFinite(v) ? "" : v as string | number | null;
        })
      ),
    ),
  );
  const md = [
    `# ${r.folds.length}-fold cross-validation: ${r.config} (${r.model})`,
    "",
    "Folds grouped by pregnancy (lib/data/splits groupedKFold); mean ± sample std over folds.",
    "",
    markdownTable(rows, { digits: 3 }),
    "",
  ].join("\n");
  await writeFileAtomic(join(r.dir, "cv_summary.md"), md);
}
