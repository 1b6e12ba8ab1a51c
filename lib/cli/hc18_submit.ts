/**
 * Write the HC18 challenge result CSV for the 335 unlabeled test images with a trained model.
 *
 *   deno task hc18:submit --model <checkpoint dir> [--data ../shared/data/hc18]
 *                         [--out results/hc18_submission.csv] [--config <config.json>]
 *
 * The checkpoint is a `best/` or `last/` folder of a training run (or the run's checkpoint folder,
 * meaning its `best/`), or a shipped model (`--model unet` = checkpoints/unet/); the run's
 * config.json is found next to it or in results/runs/<run-id>/.
 * Images go through the run's evaluation pipeline (CLAHE, letterbox, normalisation), the task
 * adapter decodes the outputs to landmarks in original pixels, and the ellipse is the one those
 * four landmarks span (lib/geometry landmarksToEllipse): for segmentation families these are the
 * axis ends of the fitted skull ellipse, so it is that ellipse exactly; for landmark families the
 * OFD/BPD axes. Columns and conventions: lib/data/hc18_submission.ts.
 *
 * Beside the CSV, `<out>_qa.csv` lists per image the HC in mm and, for segmentation families, the
 * post-processing validator's verdict; a failed fit is written as a zero-size ellipse at the image
 * centre (flagged there and counted on stderr) so the file always has one row per image.
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { formatCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { exists, writeFileAtomic } from "../core/fs.ts";
import type { GrayImage, Landmarks } from "../core/types.ts";
import { listHc18TestSet } from "../data/hc18.ts";
import { formatSubmission, rowHcMm, submissionRow } from "../data/hc18_submission.ts";
import { landmarksToEllipse } from "../geometry/ellipse.ts";
import { readGray } from "../io/image.ts";
import { createModel } from "../models/mod.ts";
import { loadWeightsInto, MODEL_JSON } from "../training/checkpoint.ts";
import { type RunConfig, validateConfig } from "../training/config.ts";
import { sampleMeta } from "../training/data.ts";
import { outputsAsArray } from "../training/evaluate.ts";
import { createTaskAdapter } from "../training/tasks/mod.ts";
import type { Prediction, SampleMeta, TaskAdapter } from "../training/tasks/types.ts";
import { hasBiometry } from "../training/tasks/segmentation.ts";
import { evalPipeline } from "../transforms/pipeline.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

const HELP = `Usage: deno task hc18:submit --model <checkpoint dir> [options]

  --model DIR     checkpoint folder (best/ or last/ of a run, or the run's checkpoint folder), any
                  folder with model.json + config.json, or a shipped family name (checkpoints/<name>/)
  --data DIR      HC18 folder with test_set/ (default: ../shared/data/hc18 beside the project)
  --out FILE      result CSV (default: results/hc18_submission.csv); QA table beside it (_qa.csv)
  --config FILE   the run's config.json, when it is not next to the checkpoint or in results/runs/
  --batch N       inference batch size (default: the run's batch size)
  --limit N       only the first N test images (smoke runs)
  --backend NAME  tfjs backend to try first
  --help          this text

Columns: filename,center_x_mm,center_y_mm,semi_axes_a_mm,semi_axes_b_mm,angle_rad. Centre in mm
from the centre of the top-left pixel (x right, y down), semi-axes a ≥ b in mm, angle of the a axis
in [0, π) from +x towards +y.`;

/** Checkpoint folder and config of a trained run, from what the user pointed at. */
export async function resolveRun(
  modelArg: string,
  configArg?: string,
): Promise<{ checkpointDir: string; config: RunConfig; configPath: string }> {
  // A bare family name means the shipped model checkpoints/<family>/ (see checkpoints/README.md).
  const shipped = join(PROJECT_ROOT, "checkpoints", modelArg);
  const isName = /^[a-z0-9-]+$/i.test(modelArg) && !await exists(resolve(modelArg));
  const given = isName ? shipped : resolve(modelArg);
  const checkpointDir = await exists(join(given, MODEL_JSON)) ? given : join(given, "best");
  if (!await exists(join(checkpointDir, MODEL_JSON))) {
    throw new InputError(`no checkpoint (${MODEL_JSON}) in the folder or its best/`, given);
  }
  const runFolder = checkpointDir === given ? dirname(given) : given;
  const candidates = configArg ? [resolve(configArg)] : [
    join(checkpointDir, "config.json"),
    join(runFolder, "config.json"),
    join(PROJECT_ROOT, "results", "runs", basename(runFolder), "config.json"),
  ];
  for (const path of candidates) {
    if (await exists(path)) {
      const config = JSON.parse(await Deno.readTextFile(path)) as RunConfig;
      validateConfig(config);
      return { checkpointDir, config, configPath: path };
    }
  }
  throw new InputError(
    `cannot find the run's config.json (looked at ${candidates.join(", ")}); pass --config`,
    checkpointDir,
  );
}

/** An unlabeled image to predict. */
export interface UnlabeledImage {
  id: string;
  image: GrayImage;
  pixelSizeMm?: number;
}

/**
 * Predictions for unlabeled images through the run's evaluation pipeline and task decoder, in
 * original pixels. The metadata carries placeholder landmarks (decoders never read them).
 */
export async function predictUnlabeled(
  model: tf.LayersModel,
  config: RunConfig,
  task: TaskAdapter,
  images: readonly UnlabeledImage[],
  batchSize: number,
): Promise<Prediction[]> {
  const pipe = evalPipeline(config);
  const { inputSize: S, channels: C } = pipe.config;
  const out: Prediction[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const inputs = new Float32Array(chunk.length * S * S * C);
    const metas: SampleMeta[] = chunk.map((item, b) => {
      const { width: w, height: h } = item.image;
      const placeholder: Landmarks = [
        { x: w / 4, y: h / 2 },
        { x: (3 * w) / 4, y: h / 2 },
        { x: w / 2, y: h / 4 },
        { x: w / 2, y: (3 * h) / 4 },
      ];
      const sample = { ...item, landmarks: placeholder, group: item.id };
      const pre = pipe.preprocess(sample);
      inputs.set(pipe.finish(pre).input.data, b * S * S * C);
      return sampleMeta(sample, pre.maps);
    });
    const x = tf.tensor4d(inputs, [chunk.length, S, S, C]);
    const outputs = outputsAsArray(model.predict(x) as tf.Tensor | tf.Tensor[]);
    try {
      out.push(...await task.decode(outputs, metas));
    } finally {
      tf.dispose([x, ...outputs]);
    }
  }
  return out;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError(`--${flag} must be a positive integer`, undefined, undefined, value);
  }
  return n;
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      batch: { type: "string" },
      limit: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new InputError("--model <checkpoint dir> is required");
  const dataDir = resolve(values.data ?? join(PROJECT_ROOT, "..", "shared", "data", "hc18"));
  const outPath = resolve(values.out ?? join(PROJECT_ROOT, "results", "hc18_submission.csv"));
  const limit = positiveInt(values.limit, "limit");

  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const { checkpointDir, config, configPath } = await resolveRun(values.model, values.config);
  const batchSize = positiveInt(values.batch, "batch") ?? config.batchSize;
  const cases = (await listHc18TestSet(dataDir)).slice(0, limit);
  console.error(
    `model ${config.model.name} (${config.task}, ${config.inputSize} px) from ${checkpointDir}, ` +
      `config ${configPath}; ${cases.length} test images from ${dataDir}`,
  );

  const model = createModel(config.model.name, {
    ...config.model.options,
    inputSize: config.inputSize,
    inChannels: config.channels,
    seed: config.seed,
  });
  try {
    await loadWeightsInto(checkpointDir, model);
    const task = await createTaskAdapter(config);
    const images: UnlabeledImage[] = [];
    for (const c of cases) {
      images.push({ id: c.id, image: await readGray(c.imagePath), pixelSizeMm: c.pixelSizeMm });
    }
    const preds = await predictUnlabeled(model, config, task, images, batchSize);
    const rows = preds.map((p, i) =>
      submissionRow(cases[i].id, landmarksToEllipse(p.landmarks), cases[i].pixelSizeMm)
    );
    const qa = preds.map((p, i) => {
      const seg = hasBiometry(p) ? p.biometry : undefined;
      return [
        cases[i].id,
        rowHcMm(rows[i]),
        seg ? String(seg.valid) : "",
        seg ? seg.reasons.join("; ") : "",
      ];
    });
    const failed = preds.filter((p) => hasBiometry(p) && p.biometry.ellipse === null).length;
    const invalid = preds.filter((p) => hasBiometry(p) && !p.biometry.valid).length;
    await writeFileAtomic(outPath, formatSubmission(rows));
    const qaPath = outPath.replace(/\.csv$/i, "") + "_qa.csv";
    await writeFileAtomic(qaPath, formatCsv(["filename", "hc_mm", "valid", "reasons"], qa));
    console.error(
      `wrote ${rows.length} rows to ${outPath} (QA: ${qaPath})` +
        (preds.some(hasBiometry)
          ? `; ${invalid} flagged by the validator, ${failed} without a fitted ellipse`
          : ""),
    );
    return 0;
  } finally {
    model.dispose();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    if (err instanceof InputError) {
      console.error(`error: ${err.message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
