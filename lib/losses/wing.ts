import * as tf from "@tensorflow/tfjs";
import { absSymmetric, assertParam, assertSameShape } from "./common.ts";

export interface WingOptions {
  /** Width of the non-linear (logarithmic) region, in target units. Default 10. */
  w?: number;
  /** Curvature of the logarithmic region. Default 2. */
  eps?: number;
}

/**
 * Wing loss (Feng et al., CVPR 2018), mean over all elements, with d = ŷ − y:
 *   w·ln(1 + |d|/ε)   if |d| < w
 *   |d| − C           otherwise,   C = w − w·ln(1 + w/ε)  (makes the two pieces meet at |d| = w).
 * Amplifies small and medium errors relative to L1/L2. Defaults w = 10, ε = 2 as in the paper,
 * which assumes coordinates in pixels; scale w to the units of the targets.
 */
export function wing(pred: tf.Tensor, target: tf.Tensor, options: WingOptions = {}): tf.Scalar {
  const { w = 10, eps = 2 } = options;
  assertSameShape("wing", pred, target);
  assertParam("wing", "w", w, (v) => v > 0, "> 0");
  assertParam("wing", "eps", eps, (v) => v > 0, "> 0");
  const c = w - w * Math.log(1 + w / eps);
  return tf.tidy(() => {
    const ad = absSymmetric(tf.sub(pred, target));
    const logPart = tf.mul(w, tf.log1p(tf.div(tf.minimum(ad, w), eps)));
    const linPart = tf.sub(ad, c);
    return tf.mean(tf.where(tf.greaterEqual(ad, w), linPart, logPart)) as tf.Scalar;
  });
}
