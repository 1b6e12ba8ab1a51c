/**
 * Heatmap targets as a tfjs function of σ, for learning σ per landmark as in Payer et al.
 * (MedIA 2019): the loss Σ‖h − g_σ‖² + α·Σσ² is minimised over the network weights and σ together
 * (`sigmaPenalty` is the α term, which stops σ growing: a wider, lower target is easier to fit).
 * Same geometry and scalings as targets.ts (see there); use the typed-array version when σ is fixed.
 * The heatmap task uses it when the model learns σ (model option `learnSigma`, lib/training/tasks/
 * heatmap.ts); with a fixed σ it writes the typed-array targets instead.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import { type HeatmapScaling, heatmapSide, type HeatmapStride } from "./targets.ts";

export interface LearnableSigmaOptions {
  size: number;
  stride: HeatmapStride;
  /** Default "payer", Payer's normalised targets, the one scaling under which σ can be learned
   * (the heatmap task refuses unit scaling with a learned σ: its targets pull σ towards 0). */
  scaling?: HeatmapScaling;
  gamma?: number;
}

/**
 * Targets [B, H, W, K] for landmarks `points` [B, K, 2] (model pixels, x then y) and σ `sigma` [K]
 * (heatmap pixels), differentiable with respect to both.
 */
export function gaussianHeatmapsTf(
  points: tf.Tensor,
  sigma: tf.Tensor,
  options: LearnableSigmaOptions,
): tf.Tensor4D {
  const { size, stride, scaling = "payer", gamma = 1000 } = options;
  const side = heatmapSide(size, stride);
  if (points.rank !== 3 || points.shape[2] !== 2) {
    throw new InputError("points must have shape [B, K, 2]", undefined, undefined, points.shape);
  }
  const k = points.shape[1];
  if (sigma.rank !== 1 || sigma.shape[0] !== k) {
    throw new InputError(`sigma must have shape [${k}]`, undefined, undefined, sigma.shape);
  }
  return tf.tidy(() => {
    const o = (stride - 1) / 2;
    const mu = tf.div(tf.sub(points, o), stride); // [B, K, 2] heatmap px
    const [mx, my] = tf.unstack(mu, 2); // [B, K] each
    const grid = tf.range(0, side, 1, "float32");
    const inv = tf.reciprocal(tf.mul(2, tf.square(sigma))); // [K]
    // [B, 1, W, K] and [B, H, 1, K] profiles; their product is the separable Gaussian.
    const dx = tf.sub(tf.reshape(grid, [1, 1, side, 1]), tf.reshape(mx, [-1, 1, 1, k]));
    const dy = tf.sub(tf.reshape(grid, [1, side, 1, 1]), tf.reshape(my, [-1, 1, 1, k]));
    const gx = tf.exp(tf.neg(tf.mul(tf.square(dx), inv)));
    const gy = tf.exp(tf.neg(tf.mul(tf.square(dy), inv)));
    const g = tf.mul(gy, gx) as tf.Tensor4D;
    if (scaling === "unit") return g;
    return tf.mul(g, tf.div(gamma / (2 * Math.PI), tf.square(sigma))) as tf.Tensor4D;
  });
}

/** Payer's σ regulariser α·Σσ², added to the heatmap loss when σ is learned. */
export function sigmaPenalty(sigma: tf.Tensor, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.mul(alpha, tf.sum(tf.square(sigma))) as tf.Scalar);
}
