/**
 * Write the HC18 challenge result CSV for the 335 unlabeled test images with a trained model.
 *
 *   deno task hc18:submit --model <coord|heatmap|unet|deeplab|checkpoint dir>
 *                         [--refine <fine> | --no-refine]
 *                         [--data ../shared/data/hc18] [--out results/hc18_submission.csv]
 *                         [--config <config.json>] [--no-tta]
 *
 * `--model` is found as by `deno task predict` (lib/inference/model_dir.ts): a shipped family
 * (checkpoints/<name>/), a run's checkpoint folder (its best/), best/ or last/, or any folder with
 * model.json; `--config` names the run config when none lies next to the checkpoint or in
 * results/runs/<run-id>/. A shipped family gets its shipped second stage unless `--no-refine`
 * (`chooseRefine`, as `predict`). Prediction goes through the same `Predictor` as
 * `deno task predict`, with the same test-time augmentation by default (the image, its mirror and
 * two shifts, combined as ellipses; `--no-tta` for one model call per image). The row's ellipse is
 * the prediction's `ellipse`: with TTA the combined one; without, for segmentation families the
 * skull ellipse fitted to the mask (the old path took landmarksToEllipse of its axis ends, the
 * same ellipse up to rounding) and for landmark families the ellipse the OFD/BPD axes span.
 * Columns and conventions: lib/data/hc18_submission.ts.
 *
 * Beside the CSV, `<out>_qa.csv` lists per image the HC in mm and, for segmentation families, the
 * post-processing validator's verdict (with TTA: the verdict on the unaugmented image). An image
 * whose mask yields no ellipse gets its landmarks on the image centre (the segmentation adapter),
 * so it is written as a zero-size ellipse there (counted on stderr) and the file always has one
 * row per image; under TTA only when no variant yields one.
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";
import { optionalPositiveInt } from "./args.ts";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { formatCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { exists, writeFileAtomic } from "../core/fs.ts";
import { DEFAULT_HC18_DIR, PROJECT_ROOT } from "../core/project.ts";
import { listHc18TestSet } from "../data/hc18.ts";
import { formatSubmission, rowHcMm, submissionRow } from "../data/hc18_submission.ts";
import { predictFiles } from "../inference/batch.ts";
import {
  chooseRefine,
  locateModel,
  readRunConfig,
  SHIPPED_FAMILIES,
  SHIPPED_ROOT,
} from "../inference/model_dir.ts";
import { Predictor } from "../inference/predictor.ts";
import { CoarseToFine, type ImagePredictor } from "../inference/coarse_to_fine.ts";
import { countProgress } from "../inference/progress.ts";
import { ttaVariants } from "../inference/uncertainty.ts";
import { validateConfig } from "../training/config.ts";
import { checkOutputPath } from "./output_path.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task hc18:submit --model M [options]

  --model M       shipped model (${SHIPPED_FAMILIES.join(", ")}: checkpoints/<name>/) or a
                  checkpoint folder (checkpoints/runs/<id>, …/best, …/last, or any folder with
                  model.json and its config.json)
  --refine F      coarse-to-fine: a head-crop second stage (heatmap-fine, unet-fine, deeplab-fine,
                  or a checkpoint trained with a <family>-fine config) that looks again around
                  M's prediction. Default for a shipped family: its shipped second stage
  --no-refine     the first model alone
  --data DIR      HC18 folder with test_set/ (default: ../shared/data/hc18 beside the project)
  --out FILE      result CSV (default: results/hc18_submission.csv); QA table beside it (_qa.csv)
  --config FILE   the run's config.json, when it is not next to the checkpoint or in results/runs/
  --no-tta        one model call per image instead of test-time augmentation (default: the
                  image, its mirror and two shifts, combined as ellipses, as \`deno task predict\`;
                  4× the model calls; on HC18 validation it lowers |ΔHC| for three families of
                  four, see README)
  --batch N       images per model call (default: the run's batch size, at most 16)
  --limit N       only the first N test images (smoke runs)
  --backend NAME  tfjs backend to try first
  --help          this text

Columns: filename,center_x_mm,center_y_mm,semi_axes_a_mm,semi_axes_b_mm,angle_rad. Centre in mm
from the centre of the top-left pixel (x right, y down), semi-axes a ≥ b in mm, angle of the a axis
in [0, π) from +x towards +y.`;

/**
 * Weights folder and config path for `--model`, as `deno task predict` finds them; with `--config`
 * only the weights are looked up (the checkpoint may have no config beside it).
 */
async function locateCheckpoint(
  spec: string,
  configArg?: string,
): Promise<{ weightsDir: string; configPath: string }> {
  if (!configArg) return await locateModel(spec);
  const given = (SHIPPED_FAMILIES as readonly string[]).includes(spec)
    ? join(SHIPPED_ROOT, spec)
    : resolve(spec);
  for (const dir of [given, join(given, "best")]) {
    if (await exists(join(dir, "model.json"))) {
      return { weightsDir: dir, configPath: resolve(configArg) };
    }
  }
  throw new InputError(
    "no checkpoint (model.json) in the folder or its best/",
    given,
    undefined,
    spec,
  );
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      refine: { type: "string" },
      "no-refine": { type: "boolean", default: false },
      data: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      "no-tta": { type: "boolean", default: false },
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
  const dataDir = resolve(values.data ?? DEFAULT_HC18_DIR);
  const outPath = resolve(values.out ?? join(PROJECT_ROOT, "results", "hc18_submission.csv"));
  await checkOutputPath(outPath, "--out", "file");
  const limit = optionalPositiveInt(values.limit, "--limit");
  const batchSize = optionalPositiveInt(values.batch, "--batch");
  const tta = !values["no-tta"];

  // A wrong --model, --config or --data fails before the backend starts.
  const { weightsDir, configPath } = await locateCheckpoint(values.model, values.config);
  const config = await readRunConfig(configPath);
  validateConfig(config);
  const refine = await chooseRefine(values.model, {
    refine: values.refine,
    noRefine: values["no-refine"],
  });
  if (refine) await locateModel(refine);
  const cases = (await listHc18TestSet(dataDir)).slice(0, limit);
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const first = await Predictor.fromDir(weightsDir, config, { batchSize });
  const second = refine ? await Predictor.load(refine, { batchSize }) : undefined;
  const predictor: ImagePredictor = second ? new CoarseToFine(first, second) : first;
  const last = second ?? first;
  console.error(
    `model ${config.model.name} (${first.family}, ${config.inputSize} px) from ${weightsDir}, ` +
      `config ${configPath}` +
      (second ? `; refined by ${second.config.model.name} from ${second.dir}` : "") +
      `; ${cases.length} test images from ${dataDir}` +
      (tta ? `; TTA (${ttaVariants(last.inputSize).length} variants per image)` : "; no TTA"),
  );
  try {
    const progress = countProgress("hc18:submit");
    const results = await predictFiles(predictor, cases.map((c) => c.imagePath), {
      pixelSizes: new Map(cases.map((c) => [basename(c.imagePath), c.pixelSizeMm])),
      tta,
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.done();
    // The challenge wants a row for every image, so an unreadable test image stops the run.
    const bad = results.filter((r) => r.error);
    if (bad.length) {
      throw new InputError(
        `${bad.length} test image(s) could not be predicted: ` +
          bad.map((r) => `${r.name} (${r.error})`).join("; "),
        dataDir,
      );
    }
    const preds = results.map((r) => r.prediction!);
    const rows = preds.map((p, i) => submissionRow(cases[i].id, p.ellipse, cases[i].pixelSizeMm));
    // `plausible` is set exactly for the families with a segmentation validator.
    const qa = preds.map((p, i) => [
      cases[i].id,
      rowHcMm(rows[i]),
      p.plausible === undefined ? "" : String(p.plausible),
      (p.issues ?? []).join("; "),
    ]);
    const segmentation = preds.some((p) => p.plausible !== undefined);
    const failed = preds.filter((p) => p.ellipse.a === 0).length;
    const invalid = preds.filter((p) => p.plausible === false).length;
    await writeFileAtomic(outPath, formatSubmission(rows));
    const qaPath = outPath.replace(/\.csv$/i, "") + "_qa.csv";
    await writeFileAtomic(qaPath, formatCsv(["filename", "hc_mm", "valid", "reasons"], qa));
    console.error(
      `wrote ${rows.length} rows to ${outPath} (QA: ${qaPath})` +
        (segmentation
          ? `; ${invalid} flagged by the validator, ${failed} without a fitted ellipse`
          : ""),
    );
    return 0;
  } finally {
    predictor.dispose();
  }
}

if (import.meta.main) await runMain(main);
