import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import { absSymmetric, assertParam, assertSameShape } from "./common.ts";

export interface AdaptiveWingOptions {
  alpha?: number;
  omega?: number;
  epsilon?: number;
  theta?: number;
  /**
   * W of the paper's weighted loss map: pixels within a 3×3 dilation of the target's region ≥
   * `foregroundThreshold` weigh W + 1, the rest 1. 0 (default) weighs all pixels alike; W > 0 needs
   * [B, H, W, C] heatmaps (the dilation is per channel).
   */
  foregroundWeight?: number;
  /** Target level that marks the foreground of the weight map. Default 0.2 as in the paper. */
  foregroundThreshold?: number;
}

/**
 * Adaptive Wing loss for heatmap regression (Wang et al., ICCV 2019), mean over all pixels.
 * With y the target, d = |y − ŷ| and p = α − y:
 *   ω·ln(1 + (d/ε)^p)   if d < θ
 *   A·d − C             otherwise,
 *   A = ω · p · (θ/ε)^(p−1) / (ε · (1 + (θ/ε)^p)),   C = θ·A − ω·ln(1 + (θ/ε)^p).
 * The exponent adapts per pixel: near the peak (y → 1) the loss behaves like Wing (sharp), on the
 * background (y → 0) like a smooth L2. Assumes targets in [0, 1] (unit-peak heatmaps, see
 * lib/heatmap/targets.ts); p = α − y > 1 there, so the gradient is 0 at d = 0.
 * Defaults α = 2.1, ω = 14, ε = 1, θ = 0.5 as in the paper. The paper also weighs the pixels
 * around each peak by W + 1 = 11 (its "weighted loss map"): without it the few peak pixels are a
 * rounding error in a mean over a mostly-background map.
 */
export function adaptiveWing(
  pred: tf.Tensor,
  target: tf.Tensor,
  options: AdaptiveWingOptions = {},
): tf.Scalar {
  const {
    alpha = 2.1,
    omega = 14,
    epsilon = 1,
    theta = 0.5,
    foregroundWeight = 0,
    foregroundThreshold = 0.2,
  } = options;
  assertSameShape("adaptiveWing", pred, target);
  assertParam("adaptiveWing", "alpha", alpha, (v) => v > 0, "> 0");
  assertParam("adaptiveWing", "omega", omega, (v) => v > 0, "> 0");
  assertParam("adaptiveWing", "epsilon", epsilon, (v) => v > 0, "> 0");
  assertParam("adaptiveWing", "theta", theta, (v) => v > 0, "> 0");
  assertParam("adaptiveWing", "foregroundWeight", foregroundWeight, (v) => v >= 0, "≥ 0");
  assertParam("adaptiveWing", "foregroundThreshold", foregroundThreshold, (v) => v > 0, "> 0");
  if (foregroundWeight > 0 && pred.rank !== 4) {
    throw new InputError(
      "adaptiveWing: a foreground weight needs [batch, height, width, channels] heatmaps",
      undefined,
      undefined,
      pred.shape,
    );
  }
  return tf.tidy(() => {
    const d = absSymmetric(tf.sub(target, pred));
    const p = tf.sub(alpha, target);
    const ratio = theta / epsilon;
    const ratioPowP = tf.pow(ratio, p);
    const a = tf.div(
      tf.mul(tf.mul(omega, p), tf.pow(ratio, tf.sub(p, 1))),
      tf.mul(epsilon, tf.add(1, ratioPowP)),
    );
    const c = tf.sub(tf.mul(theta, a), tf.mul(omega, tf.log1p(ratioPowP)));
    // The log branch sees d clamped at θ so its value stays bounded where the linear branch wins.
    const logPart = tf.mul(omega, tf.log1p(tf.pow(tf.div(tf.minimum(d, theta), epsilon), p)));
    const linPart = tf.sub(tf.mul(a, d), c);
    const loss = tf.where(tf.greaterEqual(d, theta), linPart, logPart);
    if (foregroundWeight === 0) return tf.mean(loss) as tf.Scalar;
    const near = tf.cast(tf.greaterEqual(target, foregroundThreshold), "float32") as tf.Tensor4D;
    const dilated = tf.maxPool(near, 3, 1, "same");
    return tf.mean(tf.mul(loss, tf.add(1, tf.mul(foregroundWeight, dilated)))) as tf.Scalar;
  });
}
