/**
 * A whole training run as one call, shared by `deno task train` and the notebooks:
 * data folder → grouped split → model + task adapter → trainer → report on the best checkpoint.
 *
 *   results/runs/<run-id>/     config.json, run.json, metrics.csv, metrics.jsonl, curves.png,
 *                              predictions_vs_gt.csv (+ summary and dashboard figures), visualise/
 *   checkpoints/runs/<run-id>/ best/, last/  (see checkpoint.ts)
 *
 * Resuming a run id reads its config.json back (overrides given on resume apply on top, e.g. more
 * epochs) and continues from `last/`.
 */
import type * as tf from "@tensorflow/tfjs";
import { isAbsolute, join, resolve } from "node:path";
import type { BackendReport } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { gitCommit, PROJECT_ROOT, runStamp } from "../core/project.ts";
import type { SampleRecord } from "../core/types.ts";
import { auditRecordGeometry, auditSummaryLine } from "../data/audit.ts";
import { DATASET_FILE, loadDataset, loadSample } from "../data/dataset.ts";
import { writePhantomDataset } from "../data/phantom_dataset.ts";
import { groupedKFold, groupedSplit } from "../data/splits.ts";
import {
  type EvalCase,
  type EvalResult,
  evaluate as evaluateCases,
} from "../metrics/evaluation.ts";
import { createModel } from "../models/mod.ts";
import { evalPipeline, type Pipeline, trainPipeline } from "../transforms/pipeline.ts";
import { lineChart } from "../viz/charts.ts";
import { writeDashboard } from "../viz/dashboard.ts";
import { saveFigure } from "../viz/figure.ts";
import { overlayPng } from "../viz/overlay.ts";
import { loadWeightsInto, recoverCheckpoint } from "./checkpoint.ts";
import { applyOverrides, type RunConfig, validateConfig } from "./config.ts";
import { createSource, type SampleSource } from "./data.ts";
import { evaluate } from "./evaluate.ts";
import type { EpochRecord, ProgressSink } from "./progress.ts";
import { createTaskAdapter, type TaskAdapter } from "./tasks/mod.ts";
import { train, type TrainResult } from "./trainer.ts";

export const RESULTS_ROOT = join(PROJECT_ROOT, "results", "runs");
export const CHECKPOINTS_ROOT = join(PROJECT_ROOT, "checkpoints", "runs");
const HC18_DIR = join(PROJECT_ROOT, "data", "hc18");
const PHANTOMS_DIR = join(PROJECT_ROOT, "data", "phantoms");

/** Config keys a resumed run may change: how long it runs, where the data now lives, the report. */
export const RESUMABLE_KEYS = ["epochs", "earlyStopping.patience", "data.dir", "visualiseCount"];

export interface RunOptions {
  config: RunConfig;
  /** Default: `<UTC yyyymmdd-hhmmss>-<config>-<model>`. */
  runId?: string;
  /** Continue run `runId` from its `last` checkpoint; its saved config.json replaces `config`. */
  resume?: boolean;
  /** Dotted overrides applied to the config (on resume: to the saved one). */
  overrides?: Record<string, string>;
  backend?: BackendReport;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Status lines (data choice, split sizes, where files went); default console.error. */
  log?: (line: string) => void;
  resultsRoot?: string;
  checkpointsRoot?: string;
}

export interface RunOutcome {
  runId: string;
  runDir: string;
  checkpointDir: string;
  config: RunConfig;
  training: TrainResult;
  /** Validation of the best checkpoint; absent when the run was interrupted. */
  evaluation?: EvalResult;
}

/** Which dataset folder a config means, generating the phantom set when it is needed and missing. */
export async function resolveDataDir(
  config: RunConfig,
  log: (line: string) => void = () => {},
): Promise<{ dir: string; kind: "hc18" | "phantoms" | "custom" }> {
  const want = config.data.dir;
  if (want === "hc18" || (want === "" && await exists(join(HC18_DIR, DATASET_FILE)))) {
    if (!await exists(join(HC18_DIR, DATASET_FILE))) {
      throw new InputError("HC18 has not been imported: run `deno task data:hc18` first", HC18_DIR);
    }
    return { dir: HC18_DIR, kind: "hc18" };
  }
  if (want === "phantoms" || want === "") {
    const count = config.data.phantomCount;
    if (!await exists(join(PHANTOMS_DIR, DATASET_FILE))) {
      const hint = await exists(join(HC18_DIR, DATASET_FILE))
        ? ""
        : " (HC18 not imported; `deno task data:hc18` imports it)";
      log(`generating ${count} phantoms in ${PHANTOMS_DIR}${hint}`);
      await writePhantomDataset(PHANTOMS_DIR, { count, seed: 0 });
    } else {
      // The folder may hold a set made by `data:phantoms` or another config: used as it is,
      // and said so, since the same command then trains on other images than a fresh machine.
      const have = (await loadDataset(PHANTOMS_DIR)).length;
      if (have !== count) {
        log(
          `using the ${have} phantoms already in ${PHANTOMS_DIR} (this config generates ${count}; ` +
            `\`deno task data:phantoms --count ${count}\` remakes the set)`,
        );
      }
    }
    return { dir: PHANTOMS_DIR, kind: "phantoms" };
  }
  const dir = isAbsolute(want) ? want : resolve(want);
  if (!await exists(join(dir, DATASET_FILE))) {
    throw new InputError(`not a dataset folder (no ${DATASET_FILE})`, dir, undefined, want);
  }
  return { dir, kind: "custom" };
}

/** Train/validation records: grouped split (or fold) of the id-sorted, optionally limited records. */
export function splitRecords(
  records: SampleRecord[],
  config: RunConfig,
): { train: SampleRecord[]; val: SampleRecord[] } {
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const used = config.data.limit > 0 ? sorted.slice(0, config.data.limit) : sorted;
  const { folds, fold, valFraction, splitSeed } = config.data;
  const groups = new Set(used.map((r) => r.group)).size;
  // Only k-fold can ask for more groups than exist; an empty set gets the "empty side" error below.
  if (folds > 1 && folds > groups) {
    throw new InputError(
      `${folds} folds need at least ${folds} groups (pregnancies); the data has ${groups}`,
      config.data.dir,
      undefined,
      folds,
    );
  }
  const split = folds > 1
    ? groupedKFold(used, folds, splitSeed)[fold]
    : groupedSplit(used, { valFraction, seed: splitSeed });
  if (split.train.length === 0 || split.val.length === 0) {
    throw new InputError(
      `split of ${used.length} records left an empty side (train ${split.train.length}, val ${split.val.length})`,
    );
  }
  return split;
}

/**
 * A run id names one folder under results/runs and one under checkpoints/runs, so it must be a
 * plain folder name: `a/b` or `..` would write elsewhere.
 */
export function checkRunId(id: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(id) || /^\.+$/.test(id)) {
    throw new InputError(
      "a run id must be a plain folder name (letters, digits, '.', '_', '-')",
      undefined,
      undefined,
      id,
    );
  }
  return id;
}

function defaultRunId(config: RunConfig): string {
  const stamp = runStamp();
  return `${stamp}-${config.name.replaceAll("/", "-")}-${config.model.name}`;
}

export async function runTraining(opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const resultsRoot = opts.resultsRoot ?? RESULTS_ROOT;
  const checkpointsRoot = opts.checkpointsRoot ?? CHECKPOINTS_ROOT;
  let config = opts.config;
  let runId = checkRunId(opts.runId ?? defaultRunId(config));
  const runDir = join(resultsRoot, runId);
  const checkpointDir = join(checkpointsRoot, runId);
  let resumeFrom: string | undefined;
  let previousRun: Record<string, unknown> | undefined;
  // A save cut short between its two renames leaves no last/ but complete copies beside it, and
  // any cut save leaves half-written ones: recovered or removed on either path, so that a fresh
  // start sees a recovered checkpoint (and refuses below) instead of training over it.
  for (const name of ["last", "best"]) {
    const dir = join(checkpointDir, name);
    const recovered = await recoverCheckpoint(dir);
    if (recovered) log(`recovered ${dir} from ${recovered} (a save was cut short)`);
  }
  if (opts.resume) {
    if (!opts.runId) throw new InputError("--resume needs a run id");
    resumeFrom = join(checkpointDir, "last");
    if (!await exists(join(resumeFrom, "state.json"))) {
      throw new InputError(
        "no checkpoint to resume from (the run was stopped before its first save: start it " +
          "again without --resume)",
        resumeFrom,
        undefined,
        opts.runId,
      );
    }
    config = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
    previousRun = await Deno.readTextFile(join(runDir, "run.json")).then(
      JSON.parse,
      () => undefined,
    );
    runId = opts.runId;
  }
  if (!opts.resume && await exists(join(checkpointDir, "last", "state.json"))) {
    throw new InputError(
      `run ${runId} already has checkpoints; continue it with \`--resume ${runId}\`, or give ` +
        `another --run-id (or delete ${checkpointDir} and ${runDir} to start it over)`,
    );
  }
  if (opts.resume) {
    const fixed = Object.keys(opts.overrides ?? {}).filter((k) => !RESUMABLE_KEYS.includes(k));
    if (fixed.length) {
      throw new InputError(
        `cannot change ${fixed.join(", ")} on resume (exact resume replays the saved config); ` +
          `changeable: ${RESUMABLE_KEYS.join(", ")}`,
      );
    }
  }
  if (opts.overrides && Object.keys(opts.overrides).length) {
    const saved = config;
    config = applyOverrides(config, opts.overrides);
    // The cosine schedule's length is the run's epochs: changing them mid-run would bend the
    // curve already followed (the lr jumps back up), which no uninterrupted run does.
    if (opts.resume && config.schedule.kind === "cosine-warmup" && config.epochs !== saved.epochs) {
      throw new InputError(
        `cannot change epochs on resume (${saved.epochs} → ${config.epochs}) under the ` +
          "cosine-warmup schedule, whose length they set; start a new run with the epochs wanted",
      );
    }
  }
  validateConfig(config);

  const started = new Date();
  const data = await resolveDataDir(config, log);
  const records = await loadDataset(data.dir);
  const split = splitRecords(records, config);
  // `data.dir` may change on resume (the data moved), the images may not.
  const savedVal = (previousRun?.data as { split?: { valIds?: string[] } } | undefined)?.split
    ?.valIds;
  if (savedVal && savedVal.join("\n") !== split.val.map((r) => r.id).join("\n")) {
    throw new InputError(
      `resume: ${data.dir} gives another validation split than the run started with ` +
        `(${savedVal.length} images listed in run.json, ${split.val.length} now); resume with ` +
        "the data it started on",
      join(runDir, "run.json"),
    );
  }
  log(
    `data ${data.dir} (${data.kind}): ${split.train.length} train / ${split.val.length} val images`,
  );
  // Messy labels are reported, not refused: HC18's own heads can run off the image.
  const labelAudit = auditRecordGeometry([...split.train, ...split.val]);
  if (labelAudit.flagged.length) {
    log(
      `label check: ${auditSummaryLine(labelAudit)}; \`deno task data:audit ${data.dir}\` ` +
        "lists every issue",
    );
  }

  const evalPipe = evalPipeline(config);
  const sourceOf = (recs: SampleRecord[]) =>
    createSource(
      recs.map((r) => r.id),
      (i) => loadSample(recs[i]),
      evalPipe,
      config.data.cacheImages,
    );
  const model = createModel(config.model.name, {
    ...config.model.options,
    inputSize: config.inputSize,
    inChannels: config.channels,
    seed: config.seed,
  });
  const trainSource = sourceOf(split.train);
  const valSource = sourceOf(split.val);
  let task = await createTaskAdapter(config);
  if (task.fitOptions) {
    const loaded = await Promise.all(split.train.map((_, i) => trainSource.get(i)));
    const fitted = task.fitOptions(loaded.map((s) => s.pre.landmarks));
    if (fitted) {
      config = { ...config, taskOptions: { ...config.taskOptions, ...fitted } };
      task = await createTaskAdapter(config);
      log(
        `fitted task options from ${loaded.length} training samples: ${
          Object.keys(fitted).join(", ")
        }`,
      );
    }
  }
  const commit = await gitCommit();
  const runInfo = {
    runId,
    config: config.name,
    model: config.model.name,
    task: config.task,
    backend: opts.backend ?? null,
    git: commit,
    data: {
      dir: data.dir,
      kind: data.kind,
      images: records.length,
      split: {
        kind: config.data.folds > 1
          ? `fold ${config.data.fold} of ${config.data.folds}`
          : `grouped ${config.data.valFraction}`,
        seed: config.data.splitSeed,
        train: split.train.length,
        val: split.val.length,
        valIds: split.val.map((r) => r.id),
      },
      labelCheck: {
        errors: labelAudit.errors,
        warnings: labelAudit.warnings,
        flagged: labelAudit.flagged.map((r) => ({ id: r.id, codes: r.issues.map((i) => i.code) })),
      },
    },
    startedAt: previousRun?.startedAt ?? started.toISOString(),
    // Each session's own backend and commit: a resumed run may have changed either.
    sessions: [...((previousRun?.sessions as unknown[]) ?? []), {
      startedAt: started.toISOString(),
      backend: opts.backend ?? null,
      git: commit,
    }],
  };
  await writeJsonAtomic(join(runDir, "config.json"), config);
  await writeJsonAtomic(join(runDir, "run.json"), runInfo);
  log(`run ${runId}: results in ${runDir}, checkpoints in ${checkpointDir}`);

  let training: TrainResult;
  try {
    training = await train({
      config,
      model,
      task,
      train: trainSource,
      val: valSource,
      trainPipeline: trainPipeline(config),
      evalPipeline: evalPipe,
      runDir,
      checkpointDir,
      resumeFrom,
      signal: opts.signal,
      progress: opts.progress,
    });

    let evaluation: EvalResult | undefined;
    if (!training.interrupted) {
      evaluation = await reportBest(
        model,
        config,
        split.val,
        valSource,
        evalPipe,
        task,
        runDir,
        checkpointDir,
      );
    }
    const ended = new Date();
    const sessions = runInfo.sessions as Record<string, unknown>[];
    sessions[sessions.length - 1] = {
      ...sessions[sessions.length - 1],
      endedAt: ended.toISOString(),
      wallClockSec: (ended.getTime() - started.getTime()) / 1000,
    };
    await writeJsonAtomic(join(runDir, "run.json"), {
      ...runInfo,
      endedAt: ended.toISOString(),
      wallClockSec: sessions.reduce((s, x) => s + ((x.wallClockSec as number) ?? 0), 0),
      interrupted: training.interrupted,
      stoppedEarly: training.stoppedEarly,
      epochsDone: training.history.length,
      bestEpoch: training.bestEpoch + 1,
      best: training.history[training.bestEpoch] ?? null,
      ...(evaluation ? { evaluation: headline(evaluation) } : {}),
    });
    return { runId, runDir, checkpointDir, config, training, evaluation };
  } finally {
    model.dispose();
  }
}

function headline(r: EvalResult): Record<string, number | null> {
  const n = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
  return {
    images: r.nImages,
    mre_px: n(r.landmarks.px.radial.mean),
    mre_mm: n(r.landmarks.mm?.radial.mean),
    spread_x: n(r.spread.meanX),
    spread_y: n(r.spread.meanY),
  };
}

/** Training curves: losses and validation MRE against the epoch. */
export function curvesFigure(history: readonly EpochRecord[]) {
  const x = history.map((r) => r.epoch);
  const series = (key: string, name: string) => ({ name, x, y: history.map((r) => r[key] ?? NaN) });
  return lineChart(
    [series("train_loss", "train loss"), series("val_loss", "val loss")],
    {
      title: "Training curves",
      xLabel: "epoch",
      yLabel: "loss",
      logY: true,
      points: history.length < 30,
    },
  );
}

/** Evaluate the best weights on validation and write the run's figures, CSV and overlays. */
async function reportBest(
  model: tf.LayersModel,
  config: RunConfig,
  valRecords: SampleRecord[],
  val: SampleSource,
  pipeline: Pipeline,
  task: TaskAdapter,
  runDir: string,
  checkpointDir: string,
): Promise<EvalResult> {
  const history: EpochRecord[] = (await Deno.readTextFile(join(runDir, "metrics.jsonl")))
    .trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  await saveFigure(curvesFigure(history), runDir, "curves");
  const mreFig = lineChart([{
    name: "val MRE",
    x: history.map((r) => r.epoch),
    y: history.map((r) => r.val_mre_px),
  }], {
    title: "Validation MRE (original pixels)",
    xLabel: "epoch",
    yLabel: "MRE (px)",
  });
  await saveFigure(mreFig, runDir, "curves_mre");

  if (await exists(join(checkpointDir, "best", "model.json"))) {
    await loadWeightsInto(join(checkpointDir, "best"), model);
  }
  const ev = await evaluate(model, val, { task, pipeline, batchSize: config.batchSize });
  const cases: EvalCase[] = ev.predictions.map((p, i) => ({
    id: ev.metas[i].id,
    truth: ev.metas[i].landmarks,
    pred: p.landmarks,
    pixelSizeMm: ev.metas[i].pixelSizeMm,
    imagePath: valRecords[i].imagePath,
  }));
  const result = evaluateCases(cases, { seed: config.seed });
  await writeDashboard(runDir, result);
  const visDir = join(runDir, "visualise");
  for (const c of cases.slice(0, config.visualiseCount)) {
    const mre = result.landmarks.images.find((r) => r.id === c.id)?.mrePx ?? NaN;
    const png = await overlayPng(await Deno.readFile(c.imagePath!), {
      truth: c.truth,
      prediction: c.pred,
      caption: `${c.id}  MRE ${mre.toFixed(1)} px`,
    });
    await writeFileAtomic(join(visDir, c.id.replace(/\.[a-z]+$/i, "") + ".png"), png);
  }
  return result;
}
