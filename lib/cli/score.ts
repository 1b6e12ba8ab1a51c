/**
 * Score a model, or a coarse-to-fine pair, on its run's validation split: the metrics every
 * comparison in this project uses (lib/inference/compare.ts scorePredictor, original pixels).
 *
 *   deno task score --model <family|checkpoint dir> [--refine <head-crop checkpoint>] [--tta]
 *                   [--out results/score-<model>.json]
 *
 * `--refine` names a second-stage model trained with a `<family>-fine` config
 * (lib/inference/coarse_to_fine.ts); `--model` is then the first stage. Both must come from runs on
 * the same split, else a validation image could have been a training image for one of them.
 */
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";
import { formatBackendReport, initBackend } from "../backend/mod.ts";
import { InputError } from "../core/errors.ts";
import { writeJsonAtomic } from "../core/fs.ts";
import { CoarseToFine, type ImagePredictor } from "../inference/coarse_to_fine.ts";
import { metricsOf, scorePredictor, splitKey, validationSet } from "../inference/compare.ts";
import { PROJECT_ROOT, provenance } from "../core/project.ts";
import { locateModel } from "../inference/model_dir.ts";
import { Predictor } from "../inference/predictor.ts";
import { textTable } from "../notebook/table.ts";
import { runMain } from "./run_main.ts";

const HELP = `Usage: deno task score --model M [--refine F] [options]

  --model M       shipped model (checkpoints/<name>/) or a checkpoint folder, as for predict
  --refine F      a head-crop second stage (trained with <family>-fine); M is then the first stage
  --tta           score the test-time-augmented predictions (of the last stage)
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
      out: { type: "string" },
      backend: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new InputError("--model is required (see --help)");
  await locateModel(values.model);
  if (values.refine) await locateModel(values.refine);
  const backend = await initBackend({ prefer: values.backend });
  console.error(formatBackendReport(backend));

  const first = await Predictor.load(values.model);
  const second = values.refine ? await Predictor.load(values.refine) : undefined;
  if (second) {
    const [a, b] = [await splitKey(first.config), await splitKey(second.config)];
    if (a.key !== b.key) {
      throw new InputError(
        `--model and --refine were trained on different splits: ${a.key} vs ${b.key}`,
      );
    }
  }
  const predictor: ImagePredictor = second ? new CoarseToFine(first, second) : first;
  const config = (second ?? first).config;
  try {
    const val = await validationSet(config);
    const scored = await scorePredictor(predictor, val.samples, val.records, config.seed, {
      tta: values.tta,
    });
    const label = second ? `${first.family} → ${second.family} (head crop)` : first.family;
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
        images: val.records.length,
        metrics: shown,
        provenance: await provenance({ command: "score", backend }),
      });
      const rel = relative(PROJECT_ROOT, out);
      console.error(`wrote ${rel.startsWith("..") ? out : rel}`);
    }
    return 0;
  } finally {
    predictor.dispose();
  }
}

if (import.meta.main) await runMain(main);
