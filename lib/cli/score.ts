/**
 * Score a model, or a coarse-to-fine pair, on its run's validation split, or on every labelled
 * image of another dataset folder: the metrics every comparison in this project uses
 * (lib/inference/compare.ts scorePredictor, original pixels).
 *
 *   deno task score --model <family|checkpoint dir> [--refine <head-crop checkpoint>] [--tta]
 *                   [--no-calibration] [--data <dataset folder>] [--out results/score-<model>.json]
 *
 * The validation split is drawn again from the model's data folder, so it is checked against the
 * ids the run recorded: after `data:hc18` imported other images into that folder, the drawn split
 * would hold other images, some of them possibly the model's training images.
 *
 * `--refine` names a second-stage model trained with a `<family>-fine` config
 * (lib/inference/coarse_to_fine.ts); `--model` is then the first stage. Both must come from runs on
 * the same split, else a validation image could have been a training image for one of them.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { realish, writeJsonAtomic } from "../core/fs.ts";
import { CoarseToFine } from "../inference/coarse_to_fine.ts";
import {
  loadScoredChain,
  metricsOf,
  scorePredictor,
  splitKey,
  type ValidationSet,
  validationSet,
} from "../inference/compare.ts";
import { projectRelative, provenance } from "../core/project.ts";
import {
  locateModel,
  type ModelLocation,
  recordedValIds,
  sameIds,
} from "../inference/model_dir.ts";
import { loadDataset, loadSample } from "../data/dataset.ts";
import { mapPool } from "../data/pool.ts";
import { resolveDataDir } from "../training/run.ts";
import type { RunConfig } from "../training/config.ts";
import { textTable } from "../notebook/table.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task score --model M [--refine F] [options]

  --model M       shipped model (checkpoints/<name>/) or a checkpoint folder, as for predict
  --refine F      a head-crop second stage (trained with <family>-fine); M is then the first stage
  --tta           score the test-time-augmented predictions (of the last stage)
  --no-calibration
                  skip the models' direction calibration (calibration.json, deno task calibrate)
  --data DIR      score every labelled image of this dataset folder (e.g. one written by
                  data:hc18 --out) instead of the model's validation split; refused for the
                  folder the model was trained on, or one holding its training images (by
                  file content)
  --out FILE      also write the metrics as JSON (default: none)
  --backend NAME  tfjs backend to try first
  --help          this text`;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      refine: { type: "string" },
      tta: { type: "boolean", default: false },
      "no-calibration": { type: "boolean", default: false },
      out: { type: "string" },
      data: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new InputError("--model is required (see --help)");
  const stages: Stage[] = [{ spec: values.model, where: await locateModel(values.model) }];
  if (values.refine) stages.push({ spec: values.refine, where: await locateModel(values.refine) });
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));

  const { predictor, last } = await loadScoredChain(values.model, values.refine, {
    calibrate: !values["no-calibration"],
  });
  const config = last.config;
  try {
    const val = values.data === undefined
      ? await recordedSplit(config, stages)
      : await allImages(config, values.data, stages);
    const scored = await scorePredictor(predictor, val.samples, val.records, config.seed, {
      tta: values.tta,
    });
    const label = predictor instanceof CoarseToFine
      ? `${predictor.coarse.family} → ${predictor.fine.family} (head crop)`
      : last.family;
    const metrics = metricsOf(
      label,
      config,
      scored.evaluation,
      scored.msPerImage,
      predictor.countParams(),
      undefined,
    );
    const { train_s: _t, epochs: _e, tta_auroc: _a, tta_mre_px: _m, tta_hc_abs_mm: _h, ...shown } =
      metrics;
    console.log(textTable([shown]));
    if (values.out) {
      const out = resolve(values.out);
      await writeJsonAtomic(out, {
        model: values.model,
        refine: values.refine ?? null,
        tta: values.tta,
        calibration: !values["no-calibration"],
        images: val.records.length,
        metrics: shown,
        provenance: await provenance({ command: "score", backend }),
      });
      console.error(`wrote ${projectRelative(out)}`);
    }
    return 0;
  } finally {
    predictor.dispose();
  }
}

interface Stage {
  spec: string;
  where: ModelLocation;
}

/** The run's validation split, refused when it is not the one every stage recorded. */
async function recordedSplit(config: RunConfig, stages: Stage[]): Promise<ValidationSet> {
  const val = await validationSet(config);
  const drawn = val.records.map((r) => r.id);
  for (const { spec, where } of stages) {
    const recorded = await recordedValIds(where);
    if (!recorded || sameIds(recorded, drawn)) continue;
    const now = new Set(drawn);
    const gone = recorded.filter((id) => !now.has(id)).length;
    throw new InputError(
      `the validation split drawn from ${(await splitKey(config)).dir} (${drawn.length} images) ` +
        `is not the one ${spec} recorded (${recorded.length} images, ${gone} of them not drawn ` +
        "now): the data folder changed since training, and images drawn now may have been " +
        "training images. Re-import the data it was trained on, or import other labelled images " +
        "into a folder of their own (e.g. data:hc18 DIR --out data/<name>) and score them with " +
        "--data data/<name>",
      where.configPath,
    );
  }
  return val;
}

/** SHA-256 of a file's bytes, hex: the same image under another name or path is the same image. */
async function fileDigest(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Every labelled image of the dataset folder `dir`, refused where it may hold training images:
 * the folder the model was trained on, or image files (by content, so copies and renamed files
 * count) that folder also holds outside the validation split every stage recorded.
 */
async function allImages(config: RunConfig, dir: string, stages: Stage[]): Promise<ValidationSet> {
  const data = await resolveDataDir({ ...config, data: { ...config.data, dir } });
  const records = await loadDataset(data.dir);
  const unavailable = (err: Error): never => {
    throw new InputError(
      "cannot check these images against the model's training images, whose data folder is " +
        `not available (${err.message}); make it available first (for HC18: deno task data:hc18)`,
      data.dir,
    );
  };
  const trainedOn = await resolveDataDir(config).catch(unavailable);
  if (realish(trainedOn.dir) === realish(data.dir)) {
    throw new InputError(
      "this is the data folder the model was trained on: score without --data for its " +
        "validation split, or import other labelled images into a folder of their own",
      data.dir,
    );
  }
  const recorded = await Promise.all(stages.map(({ where }) => recordedValIds(where)));
  const validation = (id: string) => recorded.every((ids) => ids?.includes(id));
  const training = (await loadDataset(trainedOn.dir).catch(unavailable)).filter((r) =>
    !validation(r.id)
  );
  const trained = new Set(await mapPool(training, 8, (r) => fileDigest(r.imagePath)));
  const digests = await mapPool(records, 8, (r) => fileDigest(r.imagePath));
  const shared = records.filter((_, i) => trained.has(digests[i])).map((r) => r.id);
  if (shared.length) {
    throw new InputError(
      `${shared.length} of its images are training images of the model (the same files as ` +
        `in ${trainedOn.dir}, outside the recorded validation split), e.g. ${shared[0]}`,
      data.dir,
    );
  }
  return {
    key: JSON.stringify([data.dir, "all"]),
    records,
    samples: await Promise.all(records.map(loadSample)),
  };
}

if (import.meta.main) await runMain(main);
