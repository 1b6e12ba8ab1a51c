/**
 * One model family's run, as notebooks 03–07 show it, from either of two sources:
 *
 * - **published** (full mode): a finished HC18 run the lead copied to `results/published/<family>/`
 *   plus the shipped model `checkpoints/<family>/` (lib/inference/ship.ts). Nothing is retrained:
 *   the shipped weights are re-scored on the run's validation split (same grouped split: the run's
 *   config and split seed through lib/training's `splitRecords`) by the Predictor.
 * - **quick**: the family's `<family>/quick` config trained now on phantoms by `runTraining`
 *   (live progress) as `results/runs/notebook-quick-<family>-<stamp>-<pid>`, then its best
 *   checkpoint scored the same way. With `reuse`, the newest finished quick run with the same
 *   config is scored instead (notebook 07 after 03–06).
 *
 * Both paths end in the same scoring (lib/inference/compare.ts `scorePredictor`: original pixels,
 * Dice on the original grid, ms per image), so every figure in the notebooks reads one shape.
 * Full mode without a published run falls back to the quick path and says so in `note`, with the
 * commands that would publish one, so a notebook never fails for lack of a run.
 *
 *   results/published/<family>/  config.json, run.json, metrics.csv (or metrics.jsonl); the rest
 *                                of the run folder (predictions_vs_gt.csv, summary.json, …) may
 *                                come along and is not read
 *   checkpoints/<family>/        model.json, weights.bin (+ config.json, card.json)
 */
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { BackendReport } from "../backend/mod.ts";
import { parseCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { exists } from "../core/fs.ts";
import type { Sample, SampleRecord } from "../core/types.ts";
import { loadDataset, loadSample } from "../data/dataset.ts";
import { familyConfig, scorePredictor, type ValidationSet } from "../inference/compare.ts";
import { familyInfo, sameIds, SHIPPED_ROOT } from "../inference/model_dir.ts";
import { type ImagePrediction, Predictor } from "../inference/predictor.ts";
import { CoarseToFine, type ImagePredictor } from "../inference/coarse_to_fine.ts";
import type { EvalResult } from "../metrics/evaluation.ts";
import type { RunConfig } from "../training/config.ts";
import type { EpochRecord, ProgressSink } from "../training/progress.ts";
import {
  CHECKPOINTS_ROOT,
  resolveDataDir,
  RESULTS_ROOT,
  runTraining,
  splitRecords,
} from "../training/run.ts";
import { PROJECT_ROOT, runStamp } from "../core/project.ts";
import { dataDir } from "./env.ts";

/** The four families the notebooks compare, in notebook order (03 coord … 06 deeplab). */
export const NOTEBOOK_FAMILIES = ["coord", "heatmap", "unet", "deeplab"] as const;

export const PUBLISHED_ROOT = join(PROJECT_ROOT, "results", "published");
/** Files a published run folder must hold (`metrics.jsonl` may stand in for `metrics.csv`). */
export const PUBLISHED_FILES = ["config.json", "run.json", "metrics.csv"] as const;

/** What run.json holds (lib/training/run.ts); only the fields the notebooks read are typed. */
export interface RunInfo {
  runId?: string;
  config?: string;
  wallClockSec?: number;
  epochsDone?: number;
  bestEpoch?: number;
  backend?: BackendReport | null;
  git?: { commit: string | null; dirty: boolean | null } | null;
  data?: {
    dir?: string;
    kind?: string;
    images?: number;
    split?: { kind?: string; seed?: number; train?: number; val?: number; valIds?: string[] };
  };
  [key: string]: unknown;
}

export interface FamilyRun {
  family: string;
  source: "published" | "quick";
  /** Markdown: where the numbers come from (and why the quick path was taken, when it was). */
  note: string;
  config: RunConfig;
  run: RunInfo;
  history: EpochRecord[];
  /** Validation of `predictions` against the ground truth (lib/metrics evaluate). */
  evaluation: EvalResult;
  /** Predictor output per validation image, in `val` order. */
  predictions: ImagePrediction[];
  val: ValidationSet;
  /** The weights scored: the shipped folder, or the quick run's best checkpoint. */
  weightsDir: string;
  msPerImage: number;
  /** Parameters of what was scored: for a second stage, both stages of the chain. */
  params: number;
  /** A second stage's own parameters (scored as a chain behind its first stage). */
  stageParams?: number;
  /** Whether the validation ids equal run.json's `valIds` (null when run.json lists none). */
  splitMatchesRun: boolean | null;
}

export interface FamilyRunOptions {
  /** Train the quick config (true), or use the published run when there is one (false). */
  quick: boolean;
  /** Quick path: score the newest finished quick run with the same config instead of training. */
  reuse?: boolean;
  /** Dotted overrides for the quick config (tests shrink it further). */
  overrides?: Record<string, string>;
  /** Validation images already loaded (another family on the same split): reused when the ids match. */
  val?: ValidationSet;
  /** For a second stage (FamilyInfo `firstStage`): the first stage's run, whose model places the window. */
  firstStage?: FamilyRun;
  backend?: BackendReport;
  progress?: ProgressSink;
  log?: (line: string) => void;
  publishedRoot?: string;
  shippedRoot?: string;
  resultsRoot?: string;
  checkpointsRoot?: string;
}

/** Prefix of a family's quick notebook runs (notebook 07 reuses what 03–06 trained). */
export function quickRunPrefix(family: string): string {
  return `notebook-quick-${family}-`;
}

/**
 * A fresh run id per training: `notebook-quick-<family>-<UTC stamp>-<pid>`. Several people may run
 * the notebooks at once in one working tree; with one fixed id they would train into, and delete,
 * each other's folders. The stamp sorts runs by age.
 */
export function newQuickRunId(family: string, now = new Date()): string {
  const stamp = runStamp(now);
  return `${quickRunPrefix(family)}${stamp}-${Deno.pid}`;
}

/** Quick runs older than this (by their last write) are removed when a new one finishes. */
export const STALE_QUICK_RUN_MS = 30 * 60 * 1000;

/** The paths a published family needs that are missing (empty = publishable). */
export async function missingPublished(
  family: string,
  publishedRoot = PUBLISHED_ROOT,
  shippedRoot = SHIPPED_ROOT,
): Promise<string[]> {
  const dir = join(publishedRoot, family);
  const missing: string[] = [];
  for (const f of PUBLISHED_FILES) {
    const alt = f === "metrics.csv" ? join(dir, "metrics.jsonl") : undefined;
    if (!await exists(join(dir, f)) && !(alt && await exists(alt))) missing.push(join(dir, f));
  }
  const shipped = join(shippedRoot, family, "model.json");
  if (!await exists(shipped)) missing.push(shipped);
  return missing;
}

/** Markdown for a family without a published run: what is missing and how to make it. */
export function publishHint(family: string, missing: readonly string[]): string {
  const config = familyInfo(family).config("cpu");
  const rel = (p: string) =>
    p.startsWith(PROJECT_ROOT + "/") ? p.slice(PROJECT_ROOT.length + 1) : p;
  return [
    `**No published HC18 run for \`${family}\` yet** (missing: ${
      missing.map((m) => `\`${rel(m)}\``).join(", ")
    }), so this notebook shows the quick phantom run instead. To publish one (up to 60 min on the CPU):`,
    "",
    "```sh",
    "deno task data:hc18",
    `deno task train --config ${config} --run-id ${family}-cpu`,
    `deno run -A lib/inference/ship.ts checkpoints/runs/${family}-cpu ${family}`,
    `mkdir -p results/published && cp -r results/runs/${family}-cpu results/published/${family}`,
    "```",
  ].join("\n");
}

/** metrics.csv (or metrics.jsonl) of a run folder as epoch records; empty cells become NaN. */
export async function readHistory(runDir: string): Promise<EpochRecord[]> {
  const csvPath = join(runDir, "metrics.csv");
  if (await exists(csvPath)) {
    const table = parseCsv(await Deno.readTextFile(csvPath), csvPath);
    return table.rows.map((cells, r) => {
      const rec: Record<string, number> = {};
      table.header.forEach((name, j) => {
        const cell = (cells[j] ?? "").trim();
        const v = cell === "" ? NaN : Number(cell);
        if (Number.isNaN(v) && cell !== "" && cell !== "NaN") {
          throw new InputError(`not a number in column ${name}`, csvPath, table.lines[r], cell);
        }
        rec[name] = v;
      });
      if (!Number.isInteger(rec.epoch)) {
        throw new InputError("missing or non-integer epoch", csvPath, table.lines[r], rec.epoch);
      }
      return rec as EpochRecord;
    });
  }
  const text = await Deno.readTextFile(join(runDir, "metrics.jsonl"));
  return text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as EpochRecord);
}

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (err) {
    throw new InputError(`cannot read JSON: ${(err as Error).message}`, path);
  }
}

/**
 * The validation images of `config`'s split (decoded), reusing `reuse` when it holds exactly
 * the same images of the same folder.
 */
export async function validationImages(
  config: RunConfig,
  reuse?: ValidationSet,
): Promise<ValidationSet> {
  const { dir } = await resolveDataDir(config);
  const records = splitRecords(await loadDataset(dir), config).val;
  const key = JSON.stringify([dir, records.map((r) => r.id)]);
  if (reuse && reuse.key === key) return reuse;
  const samples: Sample[] = [];
  for (const r of records) samples.push(await loadSample(r));
  return { key, records, samples };
}

/** The training records of `config`'s split (labels only, no pixels). */
export async function trainingRecords(config: RunConfig): Promise<SampleRecord[]> {
  const { dir } = await resolveDataDir(config);
  return splitRecords(await loadDataset(dir), config).train;
}

/** Which data a published config should read on this machine: its kind's keyword when known. */
function localDataDir(config: RunConfig, run: RunInfo): string {
  const kind = run.data?.kind;
  return kind === "hc18" || kind === "phantoms" ? kind : config.data.dir;
}

/**
 * The predictor a family run is scored with: its own model, or for a second stage (FamilyInfo
 * `firstStage`) that model behind the first stage's run, as `deno task predict --refine` chains them.
 */
export async function predictorFor(
  family: string,
  config: RunConfig,
  weightsDir: string,
  firstStage: FamilyRun | undefined,
): Promise<ImagePredictor> {
  const fine = await Predictor.fromDir(weightsDir, config);
  if (!familyInfo(family).firstStage) return fine;
  // loadFamilyRun checked that firstStage is the right family's run.
  return new CoarseToFine(
    await Predictor.fromDir(firstStage!.weightsDir, firstStage!.config),
    fine,
  );
}

async function score(
  family: string,
  config: RunConfig,
  weightsDir: string,
  opts: FamilyRunOptions,
) {
  const val = await validationImages(config, opts.val);
  const predictor = await predictorFor(family, config, weightsDir, opts.firstStage);
  try {
    const scored = await scorePredictor(predictor, val.samples, val.records, config.seed);
    const stageParams = predictor instanceof CoarseToFine
      ? predictor.fine.countParams()
      : undefined;
    return { ...scored, val, params: predictor.countParams(), stageParams };
  } finally {
    predictor.dispose();
  }
}

function splitMatches(run: RunInfo, val: ValidationSet): boolean | null {
  const ids = run.data?.split?.valIds;
  return Array.isArray(ids) ? sameIds(ids, val.records.map((r) => r.id)) : null;
}

async function loadPublished(family: string, opts: FamilyRunOptions): Promise<FamilyRun> {
  const dir = join(opts.publishedRoot ?? PUBLISHED_ROOT, family);
  const weightsDir = join(opts.shippedRoot ?? SHIPPED_ROOT, family);
  const saved = await readJson<RunConfig>(join(dir, "config.json"));
  const run = await readJson<RunInfo>(join(dir, "run.json"));
  const config: RunConfig = { ...saved, data: { ...saved.data, dir: localDataDir(saved, run) } };
  if (config.data.dir === "hc18") await dataDir(); // imports HC18 into data/hc18 on first use
  const history = await readHistory(dir);
  const scored = await score(family, config, weightsDir, opts);
  const card = await Deno.readTextFile(join(weightsDir, "card.json")).then(
    (t) => JSON.parse(t) as { source?: { runId?: string | null } },
    () => undefined,
  );
  const shippedFrom = card?.source?.runId;
  // The run's own report scored its float32 best checkpoint; the shipped weights are float16.
  const own = await readJson<{ headline?: { mre_px?: number; hc_abs_err_mm?: number } }>(
    join(dir, "summary.json"),
  ).then((s) => s.headline, () => undefined);
  const note = [
    `**Published run** \`${run.runId ?? "?"}\` (config \`${config.name}\`, ${
      run.data?.kind ?? "?"
    } data), re-scored now with the shipped model \`checkpoints/${family}/\` on its ` +
    `${scored.val.records.length} validation images.`,
    ...(shippedFrom && run.runId && shippedFrom !== run.runId
      ? [`The shipped model comes from run \`${shippedFrom}\`, not \`${run.runId}\`.`]
      : []),
    ...(own?.mre_px !== undefined
      ? [
        `The run's own report (\`summary.json\`, its float32 best checkpoint) has MRE ` +
        `${own.mre_px.toFixed(2)} px` +
        (own.hc_abs_err_mm !== undefined ? `, |ΔHC| ${own.hc_abs_err_mm.toFixed(2)} mm` : "") +
        "; the numbers here come from the shipped float16 weights and differ slightly.",
      ]
      : []),
  ].join(" ");
  return {
    family,
    source: "published",
    note,
    config,
    run,
    history,
    evaluation: scored.evaluation,
    predictions: scored.predictions,
    val: scored.val,
    weightsDir,
    msPerImage: scored.msPerImage,
    params: scored.params,
    stageParams: scored.stageParams,
    splitMatchesRun: splitMatches(run, scored.val),
  };
}

async function finishedWithConfig(runDir: string, checkpointDir: string, config: RunConfig) {
  const run = await Deno.readTextFile(join(runDir, "run.json")).then(JSON.parse, () => null);
  if (!run?.endedAt || run.interrupted) return false;
  if (!await exists(join(checkpointDir, "best", "model.json"))) return false;
  const saved = await Deno.readTextFile(join(runDir, "config.json")).then(JSON.parse, () => null);
  // Compare as saved (JSON drops undefined-valued keys). A run may add what it derived from its
  // data (e.g. the coord task's target statistics), so the request need only be contained in it.
  return containedIn(JSON.parse(JSON.stringify(config)), saved);
}

/** Every key of `want` is in `have` with a contained value; arrays and leaves compare exactly. */
function containedIn(want: unknown, have: unknown): boolean {
  if (typeof want !== "object" || want === null || Array.isArray(want)) {
    return isDeepStrictEqual(want, have);
  }
  if (typeof have !== "object" || have === null || Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  return Object.entries(want).every(([k, v]) => containedIn(v, h[k]));
}

/** Run ids of a family's quick runs under `resultsRoot`, newest first. */
async function quickRunIds(resultsRoot: string, family: string): Promise<string[]> {
  if (!await exists(resultsRoot)) return [];
  const ids: string[] = [];
  for await (const e of Deno.readDir(resultsRoot)) {
    if (e.isDirectory && e.name.startsWith(quickRunPrefix(family))) ids.push(e.name);
  }
  return ids.sort().reverse();
}

/** Latest write to a run folder's run.json or metrics.csv (ms since the epoch; 0 if neither). */
async function lastWrite(runDir: string): Promise<number> {
  let t = 0;
  for (const f of ["run.json", "metrics.csv"]) {
    const m = await Deno.stat(join(runDir, f)).then((s) => s.mtime?.getTime() ?? 0, () => 0);
    t = Math.max(t, m);
  }
  return t;
}

async function loadQuick(family: string, opts: FamilyRunOptions, why = ""): Promise<FamilyRun> {
  const config = await familyConfig(family, "quick", undefined, opts.overrides ?? {});
  const resultsRoot = opts.resultsRoot ?? RESULTS_ROOT;
  const checkpointsRoot = opts.checkpointsRoot ?? CHECKPOINTS_ROOT;
  const earlier = await quickRunIds(resultsRoot, family);
  let runId: string | undefined;
  if (opts.reuse) {
    for (const id of earlier) {
      if (await finishedWithConfig(join(resultsRoot, id), join(checkpointsRoot, id), config)) {
        runId = id;
        break;
      }
    }
  }
  const reused = runId !== undefined;
  if (runId === undefined) {
    runId = newQuickRunId(family);
    const outcome = await runTraining({
      config,
      runId,
      backend: opts.backend,
      progress: opts.progress,
      log: opts.log ?? (() => {}),
      resultsRoot,
      checkpointsRoot,
    });
    if (outcome.training.interrupted) throw new Error(`quick run ${runId} was interrupted`);
    // Earlier quick runs of this family nobody has written to for a while are superseded.
    for (const id of earlier) {
      if (Date.now() - await lastWrite(join(resultsRoot, id)) < STALE_QUICK_RUN_MS) continue;
      for (const root of [resultsRoot, checkpointsRoot]) {
        await Deno.remove(join(root, id), { recursive: true }).catch(() => {});
      }
    }
  }
  const runDir = join(resultsRoot, runId);
  const run = await readJson<RunInfo>(join(runDir, "run.json"));
  const weightsDir = join(checkpointsRoot, runId, "best");
  // Score with the config the run saved: it holds what training derived (e.g. target statistics).
  const saved = await readJson<RunConfig>(join(runDir, "config.json"));
  const scored = await score(family, saved, weightsDir, opts);
  const note = `${why ? why + "\n\n" : ""}**Quick run** \`${runId}\` (config \`${config.name}\`, ` +
    `${config.epochs} epochs × ${config.stepsPerEpoch || "all"} steps on ${
      run.data?.images ?? "?"
    } synthetic phantoms, ${config.inputSize} px), ${
      reused ? "reused from an earlier notebook" : "trained just now"
    }; ` +
    `its best checkpoint scored on ${scored.val.records.length} validation phantoms. ` +
    "A smoke run: the numbers show the pipeline works, not how well the family does on HC18.";
  return {
    family,
    source: "quick",
    note,
    config,
    run,
    history: await readHistory(runDir),
    evaluation: scored.evaluation,
    predictions: scored.predictions,
    val: scored.val,
    weightsDir,
    msPerImage: scored.msPerImage,
    params: scored.params,
    stageParams: scored.stageParams,
    splitMatchesRun: splitMatches(run, scored.val),
  };
}

/**
 * The run a family notebook shows: the published HC18 run re-scored (full mode, when published),
 * else the quick phantom run (trained now, or reused with `reuse`).
 */
export async function loadFamilyRun(family: string, opts: FamilyRunOptions): Promise<FamilyRun> {
  const { firstStage } = familyInfo(family);
  if (firstStage && opts.firstStage?.family !== firstStage) {
    throw new InputError(
      `${family} is a second stage: pass the ${firstStage} run as firstStage`,
      undefined,
      undefined,
      opts.firstStage?.family,
    );
  }
  const run = await loadRun(family, opts);
  if (!firstStage) return run;
  const note = `${run.note} Scored as the second stage behind the ${firstStage} model of ` +
    `the ${opts.firstStage!.source} run above, which places each window (coarse-to-fine); ` +
    "its training curves' validation windows come from the labels instead.";
  return { ...run, note };
}

async function loadRun(family: string, opts: FamilyRunOptions): Promise<FamilyRun> {
  if (opts.quick) return await loadQuick(family, opts);
  const missing = await missingPublished(family, opts.publishedRoot, opts.shippedRoot);
  if (missing.length === 0) return await loadPublished(family, opts);
  return await loadQuick(family, opts, publishHint(family, missing));
}
