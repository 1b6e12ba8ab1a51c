/**
 * Helpers shared by the loss modules: shape checks and a kink-safe absolute value.
 * Branch masks in the losses use tf.greaterEqual (or tf.step) because tfjs 4.22 registers no
 * gradient for Less/LessEqual/Greater, and the tape walks into the mask when it depends on a
 * variable.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";

/** Throws an InputError unless `pred` and `target` have identical shapes. */
export function assertSameShape(loss: string, pred: tf.Tensor, target: tf.Tensor): void {
  const a = pred.shape, b = target.shape;
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new InputError(`${loss}: prediction and target shapes differ`, undefined, undefined, {
      pred: a,
      target: b,
    });
  }
}

/**
 * |x| written as x·sign(x). Its gradient is sign(x), which is 0 at x = 0; tf.abs's gradient is −1
 * there, which would push an exact prediction away from its target.
 */
export function absSymmetric(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sign(x));
}

/** Throws an InputError unless `value` is a finite number satisfying `ok`. */
export function assertParam(
  loss: string,
  name: string,
  value: number,
  ok: (v: number) => boolean,
  rule: string,
): void {
  if (!Number.isFinite(value) || !ok(value)) {
    throw new InputError(`${loss}: ${name} must be ${rule}`, undefined, undefined, value);
  }
}
