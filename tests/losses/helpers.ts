import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";

export function assertClose(actual: number, expected: number, tol = 1e-5, what = ""): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what} expected ${expected}, got ${actual} (tol ${tol})`,
  );
}

/** Value of a scalar-valued loss, disposing the tensor. */
export function value(loss: () => tf.Scalar): number {
  const t = loss();
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

/** Gradient of `loss(pred)` with respect to `pred`, as plain numbers. */
export function gradOf(loss: (pred: tf.Tensor) => tf.Scalar, pred: number[] | tf.Tensor): number[] {
  const p = Array.isArray(pred) ? tf.tensor1d(pred) : pred;
  const g = tf.grad((x: tf.Tensor) => loss(x))(p);
  const out = Array.from(g.dataSync());
  g.dispose();
  if (Array.isArray(pred)) p.dispose();
  return out;
}
