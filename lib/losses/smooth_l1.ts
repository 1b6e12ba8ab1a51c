import * as tf from "@tensorflow/tfjs";
import { absSymmetric, assertParam, assertSameShape } from "./common.ts";

/**
 * Smooth L1 (PyTorch's definition), mean over all elements, with d = ŷ − y:
 *   0.5·d²/β      if |d| < β
 *   |d| − 0.5·β   otherwise.
 * Quadratic near the target, linear (outlier-robust) beyond β; β = 0 is plain L1.
 */
export function smoothL1(pred: tf.Tensor, target: tf.Tensor, beta = 1): tf.Scalar {
  assertSameShape("smoothL1", pred, target);
  assertParam("smoothL1", "beta", beta, (v) => v >= 0, "≥ 0");
  return tf.tidy(() => {
    const ad = absSymmetric(tf.sub(pred, target));
    if (beta === 0) return tf.mean(ad) as tf.Scalar;
    // Clamping |d| at β in the quadratic branch keeps that branch's value (and gradient) bounded
    // where it is not selected, so tf.where mixes two finite gradients.
    const small = tf.minimum(ad, beta);
    const quad = tf.div(tf.mul(0.5, tf.square(small)), beta);
    const lin = tf.sub(ad, 0.5 * beta);
    return tf.mean(tf.where(tf.greaterEqual(ad, beta), lin, quad)) as tf.Scalar;
  });
}
