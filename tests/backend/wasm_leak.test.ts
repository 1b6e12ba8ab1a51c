/**
 * The wasm fallback's registered gradient kernels must not leak: a training step under tf.tidy
 * leaves the tensor count where it was (a tf.keep inside the kernel once leaked one tensor per
 * call, and a demo run on wasm aborted after ~500 steps).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend/mod.ts";

Deno.test("wasm gradient kernels: repeated conv / transposed-conv gradient steps leak no tensors", async () => {
  const report = await initBackend({ prefer: "wasm", threads: 1 });
  assert.equal(report.details.tfBackend, "wasm");
  const x = tf.randomNormal<tf.Rank.R4>([2, 9, 9, 3], 0, 1, "float32", 1);
  const w = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4], 0, 0.1, "float32", 2));
  const wt = tf.variable(tf.randomNormal<tf.Rank.R4>([3, 3, 2, 4], 0, 0.1, "float32", 3));
  const step = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const y = tf.conv2d(x, w, 2, "same");
        const z = tf.conv2dTranspose(y, wt, [2, 9, 9, 2], 2, "same");
        return tf.mean(tf.square(z));
      });
      Object.values(grads).forEach((g) => g.dataSync());
    });
  step(); // first call may create cached tensors
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w, wt]);
});
