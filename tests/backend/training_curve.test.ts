/**
 * A few Adam steps of a tiny U-Net (conv, batch norm, ReLU, max-pool, transposed conv, skip
 * concat, 1×1 head; MSE on heatmap-like targets) lower the loss the same way on the backend under
 * test as on tfjs's reference cpu backend, from identical weights and data: with tf.layers' batch
 * norm, and with lib/models' `BatchNorm`, whose training step is one kernel each way on cpu-dnnl.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { BatchNorm } from "../../lib/models/mod.ts";
import { backendUnderTest } from "./helpers.ts";

const SIZE = 16, BATCH = 2, STEPS = 6;

type Norm = () => tf.layers.Layer;
const TFJS_NORM: Norm = () => tf.layers.batchNormalization();

function tinyUnet(norm: Norm): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 1] });
  const block = (x: tf.SymbolicTensor, filters: number) => {
    const c = tf.layers.conv2d({ filters, kernelSize: 3, padding: "same" }).apply(x);
    const n = norm().apply(c);
    return tf.layers.reLU().apply(n) as tf.SymbolicTensor;
  };
  const e = block(input, 4);
  const p = tf.layers.maxPooling2d({ poolSize: 2 }).apply(e) as tf.SymbolicTensor;
  const m = block(p, 8);
  const u = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2 }).apply(m);
  const d = block(
    tf.layers.concatenate().apply([u as tf.SymbolicTensor, e]) as tf.SymbolicTensor,
    4,
  );
  const out = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(d);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

/** Noisy images with a bright ring, and two Gaussian heatmaps at ring points. */
function phantomBatch(rng: Rng) {
  const x = new Float32Array(BATCH * SIZE * SIZE), y = new Float32Array(BATCH * SIZE * SIZE * 2);
  for (let b = 0; b < BATCH; b++) {
    const cx = rng.uniform(6, 10), cy = rng.uniform(6, 10), r = rng.uniform(3, 5);
    for (let i = 0; i < SIZE; i++) {
      for (let j = 0; j < SIZE; j++) {
        const p = (b * SIZE + i) * SIZE + j;
        const d = Math.hypot(j - cx, i - cy);
        x[p] = Math.exp(-((d - r) ** 2)) + 0.1 * rng.normal();
        y[2 * p] = Math.exp(-((j - cx - r) ** 2 + (i - cy) ** 2) / 2);
        y[2 * p + 1] = Math.exp(-((j - cx + r) ** 2 + (i - cy) ** 2) / 2);
      }
    }
  }
  return { x, y };
}

async function lossCurve(backend: string, weights: Float32Array[], norm: Norm): Promise<number[]> {
  await tf.setBackend(backend);
  const model = tinyUnet(norm);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  const data = phantomBatch(new Rng(21));
  const x = tf.tensor(data.x, [BATCH, SIZE, SIZE, 1]),
    y = tf.tensor(data.y, [BATCH, SIZE, SIZE, 2]);
  const opt = tf.train.adam(0.01);
  const losses: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    const loss = opt.minimize(
      () => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor),
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  model.dispose();
  tf.dispose([x, y]);
  return losses;
}

const NORMS: [string, Norm][] = [
  ["tf.layers' batch norm", TFJS_NORM],
  ["BatchNorm", () => new BatchNorm({})],
];

for (const [label, norm] of NORMS) {
  Deno.test(`tiny U-Net with ${label}: the loss curve on the backend under test follows the cpu one`, async () => {
    const { name } = await backendUnderTest();
    const rng = new Rng(8);
    await tf.setBackend("cpu");
    const shapes = tinyUnet(TFJS_NORM).getWeights().map((w) => w.shape);
    // Seeded weights so both runs start identically (BN moving statistics are unused in training).
    const weights = shapes.map((s) =>
      Float32Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => rng.normal() * 0.3)
    );
    const want = await lossCurve("cpu", weights, TFJS_NORM);
    const got = await lossCurve(name, weights, norm);
    await tf.setBackend(name);
    assert.ok(want[STEPS - 1] < want[0], `cpu loss should fall: ${want}`);
    for (let s = 0; s < STEPS; s++) {
      assert.ok(
        Math.abs(got[s] - want[s]) <= 1e-3 * Math.abs(want[s]),
        `step ${s}: ${got[s]} vs ${want[s]}`,
      );
    }
  });
}
