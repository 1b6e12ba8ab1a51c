/**
 * Where a model lives and which run config it was trained with.
 *
 * A model is named either by a shipped family (`coord`, `heatmap`, `unet`, `deeplab` →
 * the committed folder `checkpoints/<family>/`) or by a path:
 *
 *   checkpoints/<family>/            shipped: model.json, weights.bin, config.json, card.json, model_card.md
 *   checkpoints/runs/<id>/           a training run: its `best/` checkpoint is used
 *   checkpoints/runs/<id>/best|last  one checkpoint; the config is results/runs/<id>/config.json
 *   any folder with model.json       its config.json, or the one of the parent folder
 *
 * The run config is what makes a checkpoint usable: input size, channels, normalisation and the
 * task adapter that turns raw outputs into landmarks all come from it.
 */
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { exists } from "../core/fs.ts";
import { PROJECT_ROOT } from "../core/project.ts";
import type { RunConfig, TaskName } from "../training/config.ts";

/** Committed, curated models: checkpoints/<family>/. */
export const SHIPPED_ROOT = join(PROJECT_ROOT, "checkpoints");

export interface FamilyInfo {
  task: TaskName;
  /** Config name of a variant (`cpu`, `quick`, …) of this family. */
  config(variant: string): string;
  description: string;
  /**
   * A coarse-to-fine second stage (head-crop model, lib/inference/coarse_to_fine.ts): the family
   * whose prediction places its window. Such a model is never trained, scored or shipped alone.
   */
  firstStage?: string;
}

/**
 * The model families the workspace knows; every key but `multitask` (measured, not shipped)
 * names a shipped model, `checkpoints/<key>/`.
 */
export const FAMILIES: Readonly<Record<string, FamilyInfo>> = {
  coord: {
    task: "coord",
    config: (v) => v,
    description: "coordinate regression (encoder → pooled features → 8 numbers)",
  },
  heatmap: {
    task: "heatmap",
    config: (v) => `heatmap/${v}`,
    description: "heatmap regression (one Gaussian per landmark, sub-pixel decoding)",
  },
  unet: {
    task: "segmentation",
    config: (v) => `unet/${v}`,
    description: "U-Net segmentation → robust ellipse fit → axis ends",
  },
  deeplab: {
    task: "segmentation",
    config: (v) => `deeplab/${v}`,
    description: "DeepLabV3+ segmentation → robust ellipse fit → axis ends",
  },
  "heatmap-fine": {
    task: "heatmap",
    config: (v) => `heatmap-fine/${v}`,
    description: "heatmap regression on a window around the heatmap model's head (coarse-to-fine)",
    firstStage: "heatmap",
  },
  "unet-fine": {
    task: "segmentation",
    config: (v) => `unet-fine/${v}`,
    description: "U-Net segmentation on a window around the U-Net's head (coarse-to-fine)",
    firstStage: "unet",
  },
  "deeplab-fine": {
    task: "segmentation",
    config: (v) => `deeplab-fine/${v}`,
    description: "DeepLabV3+ segmentation on a window around DeepLabV3+'s head (coarse-to-fine)",
    firstStage: "deeplab",
  },
  multitask: {
    task: "multitask",
    config: (v) => `multitask/${v}`,
    description: "shared U-Net with a mask head and heatmap heads",
  },
};

/** A family's entry; an unknown name is an InputError listing the known ones. */
export function familyInfo(family: string): FamilyInfo {
  const info = FAMILIES[family];
  if (!info) {
    throw new InputError(
      `unknown family; known: ${Object.keys(FAMILIES).join(", ")}`,
      undefined,
      undefined,
      family,
    );
  }
  return info;
}

/** The families with a shipped model folder (`--model <family>`). */
export const SHIPPED_FAMILIES = ["coord", "heatmap", "unet", "deeplab"] as const;

export function isFamily(name: string): boolean {
  return Object.hasOwn(FAMILIES, name);
}

/** The families that train and predict on their own (every one but the second stages). */
export function standaloneFamilies(): string[] {
  return Object.keys(FAMILIES).filter((f) => !FAMILIES[f].firstStage);
}

/** The family a config belongs to: its name prefix (`unet/cpu`), else its task. */
export function familyOfConfig(config: RunConfig): string {
  const prefix = config.name.includes("/") ? config.name.split("/")[0] : "";
  if (isFamily(prefix)) return prefix;
  return config.task === "segmentation"
    ? (config.model.name.startsWith("deeplab") ? "deeplab" : "unet")
    : config.task;
}

export interface ModelLocation {
  /** Folder holding model.json + weights. */
  weightsDir: string;
  configPath: string;
  /** Shipped family name when resolved from one. */
  shipped?: string;
}

async function hasModel(dir: string): Promise<boolean> {
  return await exists(join(dir, "model.json"));
}

/**
 * Resolve `--model` (a shipped family or a path, relative to `cwd`) to its weights folder and
 * config file. Throws InputError saying what was looked for.
 */
export async function locateModel(spec: string, cwd = Deno.cwd()): Promise<ModelLocation> {
  if ((SHIPPED_FAMILIES as readonly string[]).includes(spec) || FAMILIES[spec]?.firstStage) {
    const dir = join(SHIPPED_ROOT, spec);
    if (!await hasModel(dir) || !await exists(join(dir, "config.json"))) {
      throw new InputError(
        `no shipped ${spec} model in ${dir} (see checkpoints/README.md to train and ship one, ` +
          `or pass a checkpoint folder)`,
        dir,
        undefined,
        spec,
      );
    }
    return { weightsDir: dir, configPath: join(dir, "config.json"), shipped: spec };
  }
  const path = resolve(cwd, spec);
  let weightsDir: string;
  if (await hasModel(path)) weightsDir = path;
  else if (await hasModel(join(path, "best"))) weightsDir = join(path, "best");
  else {
    throw new InputError(
      `not a model: expected one of ${SHIPPED_FAMILIES.join(", ")} or a checkpoint folder ` +
        `(with model.json, or a run folder with best/model.json)`,
      path,
      undefined,
      spec,
    );
  }
  const candidates = [join(weightsDir, "config.json"), join(dirname(weightsDir), "config.json")];
  const leaf = basename(weightsDir);
  if (leaf === "best" || leaf === "last") {
    // checkpoints/runs/<id>/best ↔ results/runs/<id>/config.json (lib/training/run.ts layout).
    const runDir = dirname(weightsDir);
    const checkpointsRoot = dirname(runDir);
    candidates.push(
      join(
        dirname(dirname(checkpointsRoot)),
        "results",
        basename(checkpointsRoot),
        basename(runDir),
        "config.json",
      ),
    );
  }
  for (const c of candidates) if (await exists(c)) return { weightsDir, configPath: c };
  throw new InputError(
    `no run config for this checkpoint; looked for ${candidates.join(", ")}`,
    weightsDir,
  );
}

/**
 * The second stage `predict` and `hc18:submit` put behind `model`
 * (lib/inference/coarse_to_fine.ts): `refine` when given; none with `noRefine`; otherwise, for a
 * shipped family, the folder of its shipped `<family>-fine` model when one is committed under
 * `root`. The shipped chains scored better than their first stages alone on HC18 validation
 * (README), so a bare `--model unet` runs the best pipeline. A checkpoint folder gets no default:
 * its second stage would have to come from the same split, which only the user knows.
 */
export async function chooseRefine(
  model: string,
  { refine, noRefine = false }: { refine?: string; noRefine?: boolean },
  root = SHIPPED_ROOT,
): Promise<string | undefined> {
  if (refine !== undefined && noRefine) {
    throw new InputError(
      "--refine and --no-refine exclude each other",
      undefined,
      undefined,
      refine,
    );
  }
  if (refine !== undefined) return refine;
  const fine = `${model}-fine`;
  const shipped = (SHIPPED_FAMILIES as readonly string[]).includes(model);
  if (noRefine || !shipped || FAMILIES[fine]?.firstStage !== model) return undefined;
  return await hasModel(join(root, fine)) ? join(root, fine) : undefined;
}

export async function readRunConfig(path: string): Promise<RunConfig> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as RunConfig;
  } catch (err) {
    throw new InputError(`cannot read run config: ${(err as Error).message}`, path);
  }
}

/**
 * The validation image ids a model's run recorded (`data.split.valIds`): from the shipped model's
 * card.json, or the run.json beside its config. Undefined when neither lists them.
 */
export async function recordedValIds(where: ModelLocation): Promise<string[] | undefined> {
  for (const name of ["card.json", "run.json"]) {
    const path = join(dirname(where.configPath), name);
    if (!await exists(path)) continue;
    let info: { data?: { split?: { valIds?: unknown } } };
    try {
      info = JSON.parse(await Deno.readTextFile(path));
    } catch (err) {
      throw new InputError(`cannot read the run's record: ${(err as Error).message}`, path);
    }
    const ids = info.data?.split?.valIds;
    if (Array.isArray(ids) && ids.every((id) => typeof id === "string")) return ids;
  }
  return undefined;
}

/** Whether two id lists are equal, order included (a split drawn again against a recorded one). */
export function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
