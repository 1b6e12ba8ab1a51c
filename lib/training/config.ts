/**
 * The typed run configuration: one plain JSON-able object describes a whole training run, so
 * `config.json` in a run folder is enough to reproduce it. Variants are small overrides of a base
 * (see configs.ts), applied with `mergeConfig` (nested partials) or `applyOverrides` (dotted
 * paths from the command line, e.g. `optimizer.lr=3e-4`).
 */
import { InputError } from "../core/errors.ts";

export type TaskName = "coord" | "heatmap" | "segmentation" | "multitask";
export const TASK_NAMES: readonly TaskName[] = ["coord", "heatmap", "segmentation", "multitask"];

/** AdamW hyper-parameters (PyTorch's defaults apart from lr and weight decay). */
export interface OptimizerConfig {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * Learning-rate schedule. Flat rather than a union so a dotted override can switch `kind`
 * without leaving a half-filled object behind; each kind reads only its own fields.
 * - `plateau`: ReduceLROnPlateau on `monitor` (factor, patience, threshold, cooldown, minLr).
 * - `cosine-warmup`: linear warm-up over `warmupEpochs` from lr·warmupStartFactor, then a cosine
 *   down to `minLr` at the last step of `epochs`; evaluated per optimisation step.
 * - `constant`: lr throughout.
 */
export interface ScheduleConfig {
  kind: "plateau" | "cosine-warmup" | "constant";
  factor: number;
  patience: number;
  threshold: number;
  cooldown: number;
  minLr: number;
  warmupEpochs: number;
  warmupStartFactor: number;
}

export interface DataConfig {
  /**
   * Dataset folder (lib/data/dataset.ts format), relative to the working directory, or a keyword:
   * "hc18" = the project's data/hc18 (made by `deno task data:hc18`), "phantoms" = data/phantoms
   * (generated on demand), "" = hc18 when it has been imported, else phantoms.
   */
  dir: string;
  valFraction: number;
  /** Seed of the grouped split, separate from `seed` so runs with other seeds validate on the same cases. */
  splitSeed: number;
  /** k-fold cross-validation: `folds` > 1 selects fold `fold` as validation instead of valFraction. */
  folds: number;
  fold: number;
  /** Use only the first N records (after sorting by id); 0 = all. For smoke runs. */
  limit: number;
  /** Number of phantoms generated when the default falls back to phantoms. */
  phantomCount: number;
  /** Keep letterboxed images in memory after their first load (model-space, float32). */
  cacheImages: boolean;
}

export interface RunConfig {
  /** Registry name the config was built from (informational). */
  name: string;
  model: { name: string; options: Record<string, unknown> };
  task: TaskName;
  /** Adapter-specific options (loss weights, heatmap sigma, …); each adapter documents its own. */
  taskOptions: Record<string, unknown>;
  /** Side S of the square model input. */
  inputSize: number;
  channels: 1 | 3;
  batchSize: number;
  epochs: number;
  /** Optimisation steps per epoch; 0 = one full pass over the training split. */
  stepsPerEpoch: number;
  optimizer: OptimizerConfig;
  schedule: ScheduleConfig;
  /** Validation metric that picks `best`, drives the plateau schedule and early stopping (lower is better). */
  monitor: "val_loss" | "val_mre_px";
  /** Stop after `patience` epochs without an improvement larger than minDelta; patience 0 = never. */
  earlyStopping: { patience: number; minDelta: number };
  /** Clip gradients to this global L2 norm; 0 = no clipping. */
  gradClipNorm: number;
  /**
   * Exponential moving average of the weights (lib/training/ema.ts): decay per optimisation step;
   * 0 = off. Absent in configs saved before it existed (= off).
   */
  ema?: { decay: number };
  /** Passed unchanged to lib/transforms trainPipeline / evalPipeline. */
  augment: Record<string, unknown>;
  seed: number;
  data: DataConfig;
  /** Validation cases drawn as overlays in visualise/ at the end of a run. */
  visualiseCount: number;
}

type Plain = Record<string, unknown>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merge a nested partial into a config; objects merge, everything else replaces. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function mergeConfig(base: RunConfig, override: DeepPartial<RunConfig>): RunConfig {
  return mergePlain(
    structuredClone(base) as unknown as Plain,
    override as Plain,
  ) as unknown as RunConfig;
}

function mergePlain(target: Plain, src: Plain): Plain {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    target[k] = isPlainObject(v) && isPlainObject(target[k])
      ? mergePlain(target[k] as Plain, v)
      : structuredClone(v);
  }
  return target;
}

/** `--set KEY=VALUE` flags (train, cv) as overrides for applyOverrides; the last one of a key wins. */
export function parseSetFlags(flags: readonly string[] = []): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const kv of flags) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new InputError("--set expects KEY=VALUE", undefined, undefined, kv);
    overrides[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return overrides;
}

/**
 * Apply `path=value` overrides. The path must exist in the config (typos fail loudly); the value
 * is parsed to the type already there (number, boolean, string), or as JSON for objects. Keys under
 * the free-form `model.options`, `taskOptions` and `augment` may be new; their values are parsed as
 * JSON when possible, else kept as strings.
 */
export function applyOverrides(config: RunConfig, overrides: Record<string, string>): RunConfig {
  const out = structuredClone(config) as unknown as Plain;
  for (const [path, raw] of Object.entries(overrides)) {
    const keys = path.split(".");
    let node: Plain = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const next = node[keys[i]];
      if (!isPlainObject(next)) {
        throw new InputError(`unknown config key "${path}"`, undefined, undefined, raw);
      }
      node = next;
    }
    const last = keys[keys.length - 1];
    const freeForm = FREE_FORM.some((prefix) => path.startsWith(prefix + "."));
    if (!(last in node) && !freeForm) {
      throw new InputError(`unknown config key "${path}"`, undefined, undefined, raw);
    }
    node[last] = parseLike(node[last], raw, path);
  }
  const result = out as unknown as RunConfig;
  validateConfig(result);
  return result;
}

const FREE_FORM = ["model.options", "taskOptions", "augment"];

function parseLike(current: unknown, raw: string, path: string): unknown {
  const bad = () =>
    new InputError(`config key "${path}" expects ${typeof current}`, undefined, undefined, raw);
  if (typeof current === "number") {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) throw bad();
    return n;
  }
  if (typeof current === "boolean") {
    if (raw !== "true" && raw !== "false") throw bad();
    return raw === "true";
  }
  if (typeof current === "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    if (current === undefined) return raw;
    throw bad();
  }
}

/** Reject configs that cannot train; names the offending key and value. */
export function validateConfig(c: RunConfig): void {
  const fail = (key: string, value: unknown, why: string) => {
    throw new InputError(`config "${c.name}": ${key} ${why}`, undefined, undefined, value);
  };
  const positiveInt = (key: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) fail(key, v, "must be a positive integer");
  };
  const nonNegative = (key: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) fail(key, v, "must be a finite number ≥ 0");
  };
  if (!TASK_NAMES.includes(c.task)) fail("task", c.task, `must be one of ${TASK_NAMES.join(", ")}`);
  if (!c.model?.name) fail("model.name", c.model?.name, "is required");
  positiveInt("inputSize", c.inputSize);
  if (c.channels !== 1 && c.channels !== 3) fail("channels", c.channels, "must be 1 or 3");
  positiveInt("batchSize", c.batchSize);
  positiveInt("epochs", c.epochs);
  if (!Number.isInteger(c.stepsPerEpoch) || c.stepsPerEpoch < 0) {
    fail("stepsPerEpoch", c.stepsPerEpoch, "must be an integer ≥ 0");
  }
  if (!(c.optimizer.lr > 0)) fail("optimizer.lr", c.optimizer.lr, "must be > 0");
  nonNegative("optimizer.weightDecay", c.optimizer.weightDecay);
  for (const k of ["beta1", "beta2"] as const) {
    const b = c.optimizer[k];
    if (!(b >= 0 && b < 1)) fail(`optimizer.${k}`, b, "must be in [0, 1)");
  }
  if (!(c.optimizer.epsilon > 0)) fail("optimizer.epsilon", c.optimizer.epsilon, "must be > 0");
  if (!["plateau", "cosine-warmup", "constant"].includes(c.schedule.kind)) {
    fail("schedule.kind", c.schedule.kind, "must be plateau, cosine-warmup or constant");
  }
  if (!(c.schedule.factor > 0 && c.schedule.factor < 1)) {
    fail("schedule.factor", c.schedule.factor, "must be in (0, 1)");
  }
  nonNegative("schedule.patience", c.schedule.patience);
  nonNegative("schedule.minLr", c.schedule.minLr);
  nonNegative("schedule.warmupEpochs", c.schedule.warmupEpochs);
  if (!["val_loss", "val_mre_px"].includes(c.monitor)) {
    fail("monitor", c.monitor, "must be val_loss or val_mre_px");
  }
  nonNegative("earlyStopping.patience", c.earlyStopping.patience);
  nonNegative("gradClipNorm", c.gradClipNorm);
  if (c.ema && !(c.ema.decay >= 0 && c.ema.decay < 1)) {
    fail("ema.decay", c.ema.decay, "must be in [0, 1)");
  }
  if (!(c.data.valFraction > 0 && c.data.valFraction < 1)) {
    fail("data.valFraction", c.data.valFraction, "must be in (0, 1)");
  }
  if (!Number.isInteger(c.data.folds) || c.data.folds < 1) {
    fail("data.folds", c.data.folds, "must be an integer ≥ 1");
  }
  if (
    c.data.folds > 1 &&
    !(Number.isInteger(c.data.fold) && c.data.fold >= 0 && c.data.fold < c.data.folds)
  ) {
    fail("data.fold", c.data.fold, `must be in [0, ${c.data.folds})`);
  }
  if (!Number.isInteger(c.seed)) fail("seed", c.seed, "must be an integer");
  if (!Number.isInteger(c.data.splitSeed)) {
    fail("data.splitSeed", c.data.splitSeed, "must be an integer");
  }
}

/** Short command-line flags and the config paths they set (`--batch 8` ≡ `--set batchSize=8`). */
export const FLAG_PATHS: Readonly<Record<string, string>> = {
  epochs: "epochs",
  batch: "batchSize",
  lr: "optimizer.lr",
  size: "inputSize",
  seed: "seed",
  data: "data.dir",
  limit: "data.limit",
  steps: "stepsPerEpoch",
};
