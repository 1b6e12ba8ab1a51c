/**
 * Trains the reference U-Net (bench/models.ts) on phantom heatmap data from identical weights on
 * two or more backends and prints their loss curves side by side, with the largest relative gap.
 * tests/backend/training_curve.test.ts does the same for a tiny net against `cpu`; this script is
 * the longer run (the cpu backend cannot afford it at 128×128: one step took 1219 s).
 *
 *   deno run -A bench/loss_curve.ts [--backends cpu-dnnl,wasm] [--steps 200] [--size 128] [--every 10]
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/backend/mod.ts";
import { Rng } from "../lib/core/rng.ts";
import { generatePhantom } from "../lib/data/phantom.ts";
import { referenceUnet } from "./models.ts";

const BATCH = 8, SIGMA = 2;

/** Batches of phantom images (scaled to 0..1) and one Gaussian heatmap per landmark. */
function phantomBatches(count: number, size: number): { x: Float32Array; y: Float32Array }[] {
  const batches = [];
  for (let b = 0; b < count; b++) {
    const x = new Float32Array(BATCH * size * size), y = new Float32Array(BATCH * size * size * 4);
    for (let i = 0; i < BATCH; i++) {
      const p = generatePhantom(1000 + b * BATCH + i, { width: size, height: size });
      x.set(p.image.data.map((v) => v / 255), i * size * size);
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          p.landmarks.forEach((l, k) => {
            y[((i * size + r) * size + c) * 4 + k] = Math.exp(
              -((c - l.x) ** 2 + (r - l.y) ** 2) / (2 * SIGMA ** 2),
            );
          });
        }
      }
    }
    batches.push({ x, y });
  }
  return batches;
}

async function curve(
  backend: string,
  weights: Float32Array[],
  data: { x: Float32Array; y: Float32Array }[],
  size: number,
  steps: number,
) {
  await initBackend({ prefer: backend });
  if (tf.getBackend() !== backend) throw new Error(`${backend} is not available here`);
  const model = referenceUnet(size);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  const opt = tf.train.adam(1e-3);
  const losses: number[] = [];
  const started = performance.now();
  for (let s = 0; s < steps; s++) {
    const { x, y } = data[s % data.length];
    const loss = tf.tidy(() => {
      const xs = tf.tensor(x, [BATCH, size, size, 1]), ys = tf.tensor(y, [BATCH, size, size, 4]);
      return opt.minimize(
        () => tf.losses.meanSquaredError(ys, model.apply(xs, { training: true }) as tf.Tensor),
        true,
      )!;
    });
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  model.dispose();
  opt.dispose();
  return { losses, seconds };
}

async function main() {
  const { values } = parseArgs({
    options: {
      backends: { type: "string", default: "cpu-dnnl,wasm" },
      steps: { type: "string", default: "200" },
      size: { type: "string", default: "128" },
      every: { type: "string", default: "10" },
    },
  });
  const backends = values.backends!.split(",");
  const steps = Number(values.steps), size = Number(values.size), every = Number(values.every);
  const data = phantomBatches(8, size);
  await initBackend({ prefer: "cpu" });
  const rng = new Rng(3);
  const template = referenceUnet(size);
  // Glorot-like scale per tensor from its fan-in; BN gammas 1, other vectors 0.
  const weights = template.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((p, d) => p * d, 1);
    if (w.shape.length === 1) {
      return new Float32Array(n).fill(/gamma|variance/.test(w.name) ? 1 : 0);
    }
    const fanIn = shape.slice(0, -1).reduce((p, d) => p * d, 1);
    return Float32Array.from({ length: n }, () => rng.normal() * Math.sqrt(2 / fanIn));
  });
  template.dispose();
  const runs: { backend: string; losses: number[]; seconds: number }[] = [];
  for (const b of backends) {
    runs.push({ backend: b, ...(await curve(b, weights, data, size, steps)) });
  }
  console.log(
    `reference U-Net ${size}×${size}, batch ${BATCH}, Adam 1e-3, MSE on phantom heatmaps, same initial weights`,
  );
  console.log(["step", ...runs.map((r) => r.backend)].join("\t"));
  for (let s = 0; s < steps; s += every) {
    console.log([s, ...runs.map((r) => r.losses[s].toFixed(6))].join("\t"));
  }
  console.log([steps - 1, ...runs.map((r) => r.losses[steps - 1].toFixed(6))].join("\t"));
  for (const r of runs.slice(1)) {
    const gaps = r.losses.map((l, i) =>
      Math.abs(l - runs[0].losses[i]) / Math.abs(runs[0].losses[i])
    );
    const first = (k: number) => Math.max(...gaps.slice(0, k));
    console.log(
      `${r.backend} vs ${runs[0].backend}: max relative gap first 10 steps ${
        first(10).toExponential(2)
      }, first 50 ${first(50).toExponential(2)}, all ${first(steps).toExponential(2)}`,
    );
  }
  for (const r of runs) {
    console.log(`${r.backend}: ${(r.seconds / steps * 1000).toFixed(0)} ms/step`);
  }
}

if (import.meta.main) await main();
