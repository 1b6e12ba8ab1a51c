/**
 * Predict landmarks and head measures for new images.
 *
 *   deno task predict --model <coord|heatmap|unet|deeplab|checkpoint dir> --input <image|folder>
 *                     [--refine <head-crop checkpoint> | --no-refine]
 *                     --out <file.csv> [--pixel-size-csv <csv>] [--overlays <dir>] [--no-tta]
 *                     [--cross-check <model,…>]
 *
 * Exit status: 0 when at least one image was predicted (failed files are listed in
 * `<out>.errors.csv` and on stderr), 1 when none could be, 2 for bad arguments.
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";
import { provenance, provenancePath } from "../core/project.ts";
import type { Landmarks } from "../core/types.ts";
import {
  addCrossChecks,
  errorsCsv,
  errorsPathFor,
  type FileResult,
  predictFiles,
  predictionsCsv,
} from "../inference/batch.ts";
import { REVIEW_LIMITS } from "../inference/cross_check.ts";
import { choosePixelSizes, findPixelSizeCsvs, listInputImages } from "../inference/inputs.ts";
import { chooseRefine, locateModel, SHIPPED_FAMILIES } from "../inference/model_dir.ts";
import { Predictor } from "../inference/predictor.ts";
import { CoarseToFine, type ImagePredictor } from "../inference/coarse_to_fine.ts";
import { countProgress } from "../inference/progress.ts";
import { checkOutputPath } from "./output_path.ts";
import { runMain } from "./run_main.ts";
import { optionalPositiveInt } from "./args.ts";

const HELP = `Usage: deno task predict --model M --input PATH --out FILE.csv [options]

  --model M            shipped model (${SHIPPED_FAMILIES.join(", ")}: checkpoints/<name>/) or a
                       checkpoint folder (checkpoints/runs/<id>, …/best, or any folder with
                       model.json and its config.json)
  --refine F           coarse-to-fine: a head-crop model (trained with a <family>-fine config) that
                       looks again at a window around M's prediction; M is then the first stage.
                       Default for a shipped family: its shipped second stage (heatmap-fine,
                       unet-fine, deeplab-fine), which scored better on HC18 validation
  --no-refine          the first model alone (one stage, half the time)
  --input PATH         one image, or a folder of images (PNG/JPEG/TIFF…, 8 or 16 bit, grey or RGB;
                       HC18 *_Annotation.png files are skipped)
  --out FILE.csv       predictions, written atomically; failed files go to FILE.errors.csv
  --pixel-size-csv CSV mm per pixel: HC18 format (filename,pixel size(mm),…) or
                       image_name,…,pixel_size_mm. Default: an HC18 pixel-size CSV found in the
                       input folder or its parent. Adds pixel_size_mm,ofd_mm,bpd_mm,hc_mm,ga_weeks.
  --overlays DIR       write <image stem>.png with landmarks, ellipse (and mask) drawn
  --no-calibration     skip the models' direction calibration (calibration.json beside the
                       weights, deno task calibrate), e.g. to compare with it
  --no-tta             one model call per image instead of test-time augmentation (default:
                       the image, its mirror and two shifts, combined as ellipses, with a
                       confidence from how far the variants scatter; 4× the model calls; on HC18
                       validation it lowers |ΔHC| for three families of four, see README)
  --cross-check M,…    a second opinion: run these models too (shipped families with their
                       second stage, or checkpoint folders; same TTA setting), add how far their
                       points and HC lie from --model's, and review=true with the reasons where
                       points differ by over ${REVIEW_LIMITS.pointsMm} mm or HC by over ${REVIEW_LIMITS.hcMm} mm (mm and review need
                       pixel sizes). On HC18 validation it found more of the segmentation chains'
                       failures than their TTA confidence did (README)
  --batch N            images per model call (default: the run's batch size, at most 16)
  --backend NAME       tfjs backend to try first
  --help               this text

CSV columns: image_name, ofd_1_x, ofd_1_y, ofd_2_x, ofd_2_y, bpd_1_x, bpd_1_y, bpd_2_x, bpd_2_y
(original pixels, canonical order), [pixel_size_mm, ofd_mm, bpd_mm, hc_mm, ga_weeks], confidence,
plausible, issues, [cross_check_px, cross_check_mm, cross_check_hc_mm, review, review_reasons].`;

/** Sub-folders of `dir` that hold images, for a hint when `dir` itself holds none. */
async function foldersWithImages(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory) continue;
    const inner = await listInputImages(join(dir, e.name)).catch(() => undefined);
    if (inner?.files.length) found.push(`${e.name}/ (${inner.files.length})`);
  }
  return found.sort();
}

/**
 * `a,b, c` → ["a", "b", "c"]. Refused: an empty item, a model named twice, or the primary model
 * itself (a 0-mm opinion that would halve every distance, in effect doubling the review limits).
 */
function parseCrossCheck(value: string | undefined, primary: string): string[] {
  if (value === undefined) return [];
  const items = value.split(",").map((m) => m.trim());
  const problem = items.some((m) => m === "")
    ? "needs model names separated by commas"
    : new Set(items).size < items.length
    ? "names a model twice"
    : items.includes(primary)
    ? `includes --model ${primary} itself`
    : undefined;
  if (problem) throw new InputError(`--cross-check ${problem}`, undefined, undefined, value);
  return items;
}

/** A model and its optional second stage, loaded and described on stderr and in the run record. */
async function loadChain(
  model: string,
  refine: string | undefined,
  opts: { batchSize?: number; calibrate: boolean },
  label = "model",
): Promise<{ predictor: ImagePredictor; record: Record<string, unknown> }> {
  const first = await Predictor.load(model, opts);
  const second = refine ? await Predictor.load(refine, opts) : undefined;
  for (const [stage, p] of [[label, first], [`${label} refine`, second]] as const) {
    if (!p) continue;
    console.error(
      `${stage}: ${p.dir} (${p.family}, ${p.config.model.name}, ${p.inputSize} px, ` +
        `${p.countParams().toLocaleString("en")} parameters)`,
    );
  }
  const stage = (p: Predictor) => ({
    dir: p.dir,
    family: p.family,
    model: p.config.model.name,
    inputSize: p.inputSize,
    calibration: p.calibration
      ? { offsetDeg: p.calibration.offsetDeg, tiltDeg: p.calibration.tiltDeg }
      : null,
  });
  return {
    predictor: second ? new CoarseToFine(first, second) : first,
    record: { model: stage(first), refine: second ? stage(second) : null },
  };
}

/**
 * Each cross-check model (→ its second stage, if any) run on `files`, one after the other so only
 * one is in memory: landmarks by file name per model, and each model's record for pred.run.json.
 */
async function secondOpinions(
  models: ReadonlyMap<string, string | undefined>,
  files: readonly string[],
  options: { pixelSizes?: ReadonlyMap<string, number>; tta: boolean },
  loadOpts: { batchSize?: number; calibrate: boolean },
): Promise<{ opinions: Map<string, Map<string, Landmarks>>; stages: Record<string, unknown>[] }> {
  const opinions = new Map<string, Map<string, Landmarks>>();
  const stages: Record<string, unknown>[] = [];
  for (const [model, refine] of models) {
    const other = await loadChain(model, refine, loadOpts, "cross-check");
    try {
      const progress = countProgress(`cross-check ${model}`);
      const results = await predictFiles(other.predictor, files, {
        ...options,
        onProgress: (done, total) => progress.update(done, total),
      });
      const theirs = results.filter((r) => r.prediction);
      progress.done(`${model}: ${theirs.length} of ${files.length} images`);
      for (const r of results.filter((r) => r.error)) console.error(`  ${r.name}: ${r.error}`);
      opinions.set(model, new Map(theirs.map((r) => [r.name, r.prediction!.landmarks])));
      stages.push({ name: model, ...other.record });
    } finally {
      other.predictor.dispose();
    }
  }
  return { opinions, stages };
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string" },
      refine: { type: "string" },
      "no-refine": { type: "boolean", default: false },
      input: { type: "string" },
      out: { type: "string" },
      "pixel-size-csv": { type: "string" },
      overlays: { type: "string" },
      "no-tta": { type: "boolean", default: false },
      "no-calibration": { type: "boolean", default: false },
      "cross-check": { type: "string" },
      batch: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const flag of ["model", "input", "out"] as const) {
    if (!values[flag]) throw new InputError(`--${flag} is required (see --help)`);
  }
  const batchSize = optionalPositiveInt(values.batch, "--batch");
  const out = resolve(values.out!);
  const errorsPath = errorsPathFor(out);
  await checkOutputPath(out, "--out", "file");
  if (values.overlays) await checkOutputPath(resolve(values.overlays), "--overlays", "folder");
  const listing = await listInputImages(values.input!);
  const pixelSizes = await choosePixelSizes(
    listing.files,
    listing.dir,
    values["pixel-size-csv"] === undefined
      ? await findPixelSizeCsvs(listing.dir)
      : [resolve(values["pixel-size-csv"])],
  );
  if (pixelSizes) {
    const { path, byName, missing, conflicts } = pixelSizes;
    console.error(`pixel sizes: ${path} (${byName.size} of ${listing.files.length} images)`);
    if (missing.length) {
      console.error(
        `  no pixel size for ${missing.length} image(s), so no mm for them: ` +
          missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", …" : ""),
      );
    }
    for (const { path: other, clash: [c, ...more] } of conflicts) {
      console.error(
        `  warning: ${other} gives ${more.length + 1} of these images another pixel size ` +
          `(${c.name}: ${c.other} mm there, ${c.chosen} mm used); pass --pixel-size-csv to choose`,
      );
    }
  }

  if (listing.files.length === 0) {
    const sub = listing.isFolder ? await foldersWithImages(listing.dir) : [];
    console.error(
      `no images in ${listing.dir}` + (sub.length ? `; images are in ${sub.join(", ")}` : ""),
    );
    return 1;
  }
  await locateModel(values.model!); // a wrong --model fails before the backend starts
  const refine = await chooseRefine(values.model!, {
    refine: values.refine,
    noRefine: values["no-refine"],
  });
  if (refine) await locateModel(refine);
  const crossModels = parseCrossCheck(values["cross-check"], values.model!);
  const crossRefines = new Map<string, string | undefined>();
  for (const m of crossModels) {
    await locateModel(m);
    crossRefines.set(m, await chooseRefine(m, {}));
  }
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));
  const runOptions = {
    pixelSizes: pixelSizes?.byName,
    tta: !values["no-tta"],
  };
  const loadOpts = { batchSize, calibrate: !values["no-calibration"] };
  const primary = await loadChain(values.model!, refine, loadOpts);
  let results: FileResult[];
  try {
    const progress = countProgress("predict");
    results = await predictFiles(primary.predictor, listing.files, {
      ...runOptions,
      overlaysDir: values.overlays ? resolve(values.overlays) : undefined,
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.done(
      `${results.filter((r) => r.prediction).length} of ${results.length} images predicted`,
    );
  } finally {
    primary.predictor.dispose();
  }
  const predicted = results.filter((r) => r.prediction).length;
  const failed = results.filter((r) => r.error);
  const record = {
    command: "predict",
    input: listing.dir,
    pixelSizes: pixelSizes?.path ?? null,
    images: results.length,
    predicted,
    failed: failed.length,
    tta: !values["no-tta"],
    ...primary.record,
  };
  const write = async (crossCheck: Record<string, unknown> | null) => {
    await writeFileAtomic(out, predictionsCsv(results, pixelSizes !== undefined, !!crossCheck));
    await writeJsonAtomic(
      provenancePath(out),
      await provenance({ ...record, crossCheck, backend }),
    );
  };
  // The model's own answers are written first, so a cross-check that fails loses none of them.
  if (predicted > 0) await write(null);
  if (predicted > 0 && crossModels.length) {
    const predictedFiles = results.filter((r) => r.prediction).map((r) => r.path);
    const { opinions, stages } = await secondOpinions(
      crossRefines,
      predictedFiles,
      runOptions,
      loadOpts,
    );
    addCrossChecks(results, opinions);
    const alone = results.filter((r) => r.prediction && !r.crossCheck).length;
    if (alone) console.error(`cross-check: no other model predicted ${alone} image(s)`);
    console.error(
      pixelSizes
        ? `cross-check: ${results.filter((r) => r.crossCheck?.review).length} image(s) for review`
        : "cross-check: distances in px only (no pixel sizes, so no mm and no review verdict)",
    );
    await write({ models: stages, limits: REVIEW_LIMITS });
  }
  if (failed.length) {
    await writeFileAtomic(errorsPath, errorsCsv(results));
    for (const r of failed) console.error(`  ${r.name}: ${r.error}`);
    console.error(`${failed.length} file(s) failed; listed in ${errorsPath}`);
  } else if (await exists(errorsPath)) {
    await Deno.remove(errorsPath);
  }
  if (predicted > 0) console.error(`predictions: ${out}`);
  else if (await exists(out)) console.error(`nothing predicted: ${out} is an earlier run's`);
  return predicted > 0 ? 0 : 1;
}

if (import.meta.main) await runMain(main);
