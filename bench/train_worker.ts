/**
 * Measures one (backend, threads, model) configuration in its own process (oneDNN's OpenMP thread
 * count is fixed when the library loads) and prints one JSON line. Used by bench/sections/training.ts.
 *
 *   deno run -A bench/train_worker.ts --backend cpu-dnnl --threads 2 --model unet [--steps 8] [--profile]
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend/mod.ts";
import { BENCH_MODELS, type BenchModelName } from "./models.ts";
import { Rng } from "../lib/core/rng.ts";

export interface WorkerResult {
  backend: string;
  threads: number;
  model: string;
  params: number;
  batch: number;
  trainImgPerSec: number;
  inferImgPerSec: number;
  trainStepMs: number[];
  profile?: Record<string, number>;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return tf.tensor(v, shape);
}

async function main() {
  const { values } = parseArgs({
    options: {
      backend: { type: "string", default: "cpu-dnnl" },
      threads: { type: "string", default: "2" },
      model: { type: "string", default: "unet" },
      warmup: { type: "string", default: "2" },
      steps: { type: "string", default: "6" },
      profile: { type: "boolean", default: false },
    },
  });
  const report = await initBackend({ prefer: values.backend, threads: Number(values.threads) });
  if (report.name !== values.backend) {
    throw new Error(`backend ${values.backend} unavailable: ${JSON.stringify(report.reasons)}`);
  }
  const spec = BENCH_MODELS[values.model as BenchModelName];
  if (!spec) throw new Error(`unknown model ${values.model}`);
  const model = spec.build();
  const rng = new Rng(7);
  const x = randomTensor([spec.batch, ...spec.input], rng);
  const y = randomTensor([spec.batch, ...spec.output], rng);
  const optimizer = tf.train.adam(1e-3);
  const step = () =>
    optimizer.minimize(
      () => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor),
      false,
    );

  const warmup = Number(values.warmup), steps = Number(values.steps);
  for (let i = 0; i < warmup; i++) step();
  const trainMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    trainMs.push(performance.now() - t0);
  }
  const inferMs: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = model.predict(x) as tf.Tensor;
    out.dataSync();
    out.dispose();
    if (i >= warmup) inferMs.push(performance.now() - t0);
  }
  let profile: Record<string, number> | undefined;
  if (values.profile) {
    profile = {};
    const info = await tf.profile(() => {
      step();
    });
    for (const k of info.kernels) {
      profile[k.name] = (profile[k.name] ?? 0) + (await k.kernelTimeMs as number);
    }
  }
  const result: WorkerResult = {
    backend: report.name,
    threads: report.threads,
    model: values.model!,
    params: model.countParams(),
    batch: spec.batch,
    trainImgPerSec: spec.batch / (median(trainMs) / 1000),
    inferImgPerSec: spec.batch / (median(inferMs) / 1000),
    trainStepMs: trainMs.map((v) => Math.round(v)),
    profile,
  };
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
