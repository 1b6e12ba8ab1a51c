import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import { alignPairOrder, l1 } from "../../lib/losses/mod.ts";

const align = (pred: number[][], target: number[][]) => {
  const out = alignPairOrder(tf.tensor2d(pred), tf.tensor2d(target));
  const rows = out.arraySync();
  out.dispose();
  return rows;
};

const T = [0, 0, 10, 0, 5, -3, 5, 3];

Deno.test("alignPairOrder: each pair follows the prediction's order, per sample", () => {
  // [prediction, expected target]: table of hand-made cases against the target T.
  const cases: [number[], number[]][] = [
    // already in the target's order: unchanged
    [[1, 0, 9, 1, 5, -2, 5, 2], T],
    // OFD ends predicted the other way round: OFD swapped, BPD kept
    [[10, 1, 0, 0, 5, -3, 5, 3], [10, 0, 0, 0, 5, -3, 5, 3]],
    // both pairs reversed
    [[9, 0, 1, 0, 5, 3, 5, -3], [10, 0, 0, 0, 5, 3, 5, -3]],
    // a collapsed prediction (both ends at the middle) is equidistant: the order is kept
    [[5, 0, 5, 0, 5, 0, 5, 0], T],
  ];
  const got = align(cases.map((c) => c[0]), cases.map(() => T));
  cases.forEach(([pred, want], i) => assert.deepEqual(got[i], want, `case ${i}: pred ${pred}`));
});

Deno.test("alignPairOrder: the aligned loss is the order-free minimum and keeps its gradient", () => {
  const pred = tf.variable(tf.tensor2d([[9, 1, 1, 0, 5, 2, 5, -2]]));
  const target = tf.tensor2d([T]);
  // Hand-computed: both pairs aligned to the prediction, |Δ| = 1,1,1,0, 0,1,0,1 → mean 5/8.
  const { value, grads } = tf.variableGrads(() => l1(pred, alignPairOrder(pred, target)), [pred]);
  assert.ok(Math.abs(value.dataSync()[0] - 5 / 8) < 1e-6);
  const g = Array.from(grads[pred.name].dataSync());
  // d|p − t|/dp / 8: sign of (p − aligned t) = (9−10, 1−0, 1−0, 0−0, 5−5, 2−3, 5−5, −2+3)
  assert.deepEqual(g.map((v) => Math.round(v * 8)), [-1, 1, 1, 0, 0, -1, 0, 1]);
  tf.dispose([pred, target, value, grads[pred.name]]);
});

Deno.test("alignPairOrder: rejects shapes that are not [B, 8] or batches that differ", () => {
  assert.throws(() => alignPairOrder(tf.zeros([2, 4]), tf.zeros([2, 4])), InputError);
  assert.throws(() => alignPairOrder(tf.zeros([2, 8]), tf.zeros([3, 8])), InputError);
});
