/**
 * Inference speed of each family's CPU-config model (untrained weights: speed does not depend on
 * them) on every tfjs backend that starts here: the model call alone and the whole predictor path
 * (CLAHE + letterbox of an 800×540 frame, model, decoding to original pixels; image file decoding
 * excluded), per image at the config's batch size, after a warm-up batch.
 *
 * Run alone: deno run -A bench/sections/inference.ts
 */
import * as tf from "@tensorflow/tfjs";
import { BACKEND_ORDER, initBackend } from "../../lib/backend/mod.ts";
import { generatePhantom, type Phantom } from "../../lib/data/phantom.ts";
import { FAMILIES } from "../../lib/inference/model_dir.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { createModel } from "../../lib/models/mod.ts";
import type { RunConfig } from "../../lib/training/config.ts";
import { createTaskAdapter, resolveConfig } from "../../lib/training/tasks/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";

type Row = Record<string, string | number>;

const BENCH_FAMILIES = ["coord", "heatmap", "unet", "deeplab"];

/** Repeat `fn` (one batch of `n` images) until `budgetMs` has passed, at least `minReps` times. */
async function msPerImage(
  fn: () => Promise<void>,
  n: number,
  budgetMs: number,
  minReps: number,
): Promise<number> {
  await fn(); // warm-up: kernel setup, buffer allocation
  let reps = 0;
  const start = performance.now();
  while (reps < minReps || performance.now() - start < budgetMs) {
    await fn();
    reps++;
  }
  return (performance.now() - start) / (reps * n);
}

/**
 * Training fits some task options before the first step (e.g. the coord task's target mean and
 * std, lib/training/run.ts); an untrained model needs them too for decoding, so fit them here on
 * the phantoms' model-space landmarks.
 */
async function withFittedTaskOptions(config: RunConfig, samples: Phantom[]): Promise<RunConfig> {
  const task = await createTaskAdapter(config);
  const pipeline = evalPipeline(config);
  const fitted = task.fitOptions?.(samples.map((s) => pipeline.preprocess(s).landmarks));
  return fitted ? { ...config, taskOptions: { ...config.taskOptions, ...fitted } } : config;
}

export async function run(budgetMs = 1500): Promise<{ title: string; rows: Row[] }> {
  const phantoms = [1, 2, 3, 4].map((s) => generatePhantom(s));
  const frames = phantoms.map((p, i) => ({ id: `p${i + 1}`, image: p.image }));
  const rows: Row[] = [];
  const initial = await initBackend();
  for (const backend of BACKEND_ORDER) {
    const report = await initBackend({ prefer: backend });
    if (report.name !== backend) continue; // not available on this machine
    // tfjs's pure-JS cpu backend needs seconds per image at 192 px: one timed batch of 2 images.
    const slow = backend === "cpu";
    for (const family of BENCH_FAMILIES) {
      const config = await withFittedTaskOptions(
        await resolveConfig(FAMILIES[family].config("cpu")),
        phantoms,
      );
      const batch = slow ? 2 : Math.min(8, config.batchSize);
      const model = createModel(config.model.name, {
        ...config.model.options,
        inputSize: config.inputSize,
        inChannels: config.channels,
        seed: 0,
      });
      const predictor = await Predictor.fromModel(model, config, { batchSize: batch });
      try {
        const S = config.inputSize;
        const x = tf.randomUniform([batch, S, S, config.channels], -1, 1, "float32", 0);
        const modelMs = await msPerImage(
          async () => {
            const out = model.predict(x) as tf.Tensor | tf.Tensor[];
            const outs = Array.isArray(out) ? out : [out];
            await Promise.all(outs.map((t) => t.data()));
            tf.dispose(outs);
          },
          batch,
          slow ? 0 : budgetMs,
          1,
        );
        x.dispose();
        const inputs = Array.from({ length: batch }, (_, i) => frames[i % frames.length]);
        const predictMs = await msPerImage(
          async () => {
            await predictor.predict(inputs);
          },
          batch,
          slow ? 0 : budgetMs,
          1,
        );
        rows.push({
          family,
          model: config.model.name,
          size: `${S}²`,
          backend: `${report.name} (${report.threads} thr)`,
          batch,
          "model ms/img": Number(modelMs.toFixed(1)),
          "predict ms/img": Number(predictMs.toFixed(1)),
          params: predictor.countParams(),
        });
      } finally {
        predictor.dispose();
      }
    }
  }
  await initBackend({ prefer: initial.name });
  return { title: "Inference speed per image (CPU-config models, untrained weights)", rows };
}

if (import.meta.main) {
  const r = await run();
  console.log(r.title);
  console.table(r.rows);
}
