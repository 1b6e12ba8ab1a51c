/**
 * Fit a model's direction calibration (lib/inference/direction_calibration.ts) on its training
 * split and write it beside its weights, where predict, score and the notebooks pick it up.
 *
 *   deno task calibrate --model <family|checkpoint dir> [--refine <head-crop checkpoint>]
 *                       [--max-error-deg 20] [--dry-run]
 *
 * With `--refine` the chain is run and the calibration goes to the second stage, since its
 * direction is the one reported; calibrate the first stage alone before, if at all. Only training
 * images are used, never the validation split any stage recorded, so a score on that split stays
 * out of sample.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { exists, writeFileAtomic } from "../core/fs.ts";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { projectRelative, provenance } from "../core/project.ts";
import type { Landmarks } from "../core/types.ts";
import { loadDataset, loadSample } from "../data/dataset.ts";
import { loadScoredChain } from "../inference/compare.ts";
import {
  applyDirectionCalibration,
  CALIBRATION_FILE,
  cardWithCalibration,
  type DirectionCalibration,
  fitDirectionCalibration,
  formatCalibration,
  predictedOfdDirection,
  writeDirectionCalibration,
} from "../inference/direction_calibration.ts";
import { locateModel, recordedValIds } from "../inference/model_dir.ts";
import type { ImagePrediction } from "../inference/predictor.ts";
import { countProgress } from "../inference/progress.ts";
import { radialErrors } from "../metrics/landmarks.ts";
import { ofdDirection } from "../metrics/ellipse_errors.ts";
import { resolveDataDir, splitRecords } from "../training/run.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task calibrate --model M [--refine F] [--max-error-deg D] [--dry-run]

  --model M       shipped model (checkpoints/<name>/) or a checkpoint folder, as for predict
  --refine F      a head-crop second stage; the chain M → F is fitted and F gets the calibration
  --max-error-deg D
                  leave out heads whose direction is off by more than D degrees (default 20:
                  read the wrong way, not a bias)
  --dry-run       fit and report, write nothing
  --backend NAME  tfjs backend to try first
  --help          this text`;

/** Images predicted per call, so the progress bar moves. */
const CHUNK = 32;

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      refine: { type: "string" },
      "max-error-deg": { type: "string", default: "20" },
      "dry-run": { type: "boolean", default: false },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new InputError("--model is required (see --help)");
  const maxErrorDeg = Number(values["max-error-deg"]);
  if (!(maxErrorDeg > 0 && maxErrorDeg <= 90)) {
    throw new InputError(
      "--max-error-deg must be a number of degrees in (0, 90]",
      undefined,
      undefined,
      values["max-error-deg"],
    );
  }
  const specs = [values.model, ...(values.refine ? [values.refine] : [])];
  const stages = await Promise.all(specs.map((s) => locateModel(s)));
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));

  // The last stage is fitted on its uncalibrated directions (a calibration already there is
  // replaced, not stacked); a first stage runs as predict runs it, calibration included.
  const { predictor, last } = await loadScoredChain(values.model, values.refine, {
    calibrate: true,
    calibrateLast: false,
  });
  try {
    const { dir } = await resolveDataDir(last.config);
    const validation = new Set(
      (await Promise.all(stages.map(recordedValIds))).flatMap((ids) => ids ?? []),
    );
    const records = splitRecords(await loadDataset(dir), last.config).train
      .filter((r) => !validation.has(r.id));
    if (records.length === 0) throw new InputError("no training images to fit on", dir);

    const progress = countProgress("calibrate");
    const truths: Landmarks[] = [];
    const preds: ImagePrediction[] = [];
    for (let i = 0; i < records.length; i += CHUNK) {
      const samples = await Promise.all(records.slice(i, i + CHUNK).map(loadSample));
      preds.push(...await predictor.predict(samples));
      truths.push(...samples.map((s) => s.landmarks));
      progress.update(preds.length, records.length);
    }
    progress.done();

    const cal = fitDirectionCalibration(
      preds.map((p, i) => ({
        predicted: predictedOfdDirection(p.landmarks, p.ellipse),
        labelled: ofdDirection(truths[i]),
      })),
      {
        maxErrorDeg,
        fittedOn: {
          model: values.model,
          refine: values.refine ?? null,
          data: projectRelative(dir),
          split: "train",
          ...(await provenance({ command: "calibrate", backend: backend.name })),
        },
      },
    );
    console.log(report(cal, preds, truths));
    if (!values["dry-run"]) {
      await writeDirectionCalibration(last.dir, cal);
      // A shipped folder's card says what is applied on top of the metrics it lists.
      const card = join(last.dir, "model_card.md");
      if (await exists(card)) {
        await writeFileAtomic(card, cardWithCalibration(await Deno.readTextFile(card), cal));
      }
      const path = join(last.dir, CALIBRATION_FILE);
      console.error(`wrote ${projectRelative(path)}`);
    }
    return 0;
  } finally {
    predictor.dispose();
  }
}

/** The fit and the training images' MRE before and after it. */
function report(
  cal: DirectionCalibration,
  preds: readonly ImagePrediction[],
  truths: readonly Landmarks[],
): string {
  const mre = (ls: Landmarks[]) =>
    ls.reduce((s, l, i) => s + radialErrors(l, truths[i]).reduce((a, b) => a + b, 0) / 4, 0) /
    ls.length;
  const after = preds.map((p) => applyDirectionCalibration(cal, p.landmarks, p.ellipse).landmarks);
  return [
    `direction calibration: turn = ${formatCalibration(cal)} (clockwise), fitted on ` +
    `${cal.imagesUsed} of ${cal.images} training images (|error| ≤ ${cal.maxErrorDeg}°)`,
    `training images, MRE px: ${mre(preds.map((p) => p.landmarks)).toFixed(2)} before, ` +
    `${mre(after).toFixed(2)} after`,
  ].join("\n");
}

if (import.meta.main) await runMain(main);
