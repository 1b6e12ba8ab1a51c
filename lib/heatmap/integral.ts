/**
 * Differentiable soft-argmax (integral regression, Sun et al. ECCV 2018) on tfjs tensors: each
 * channel is normalised into a distribution over the pixels and its expected position returned.
 * Unlike argmax decoding it passes gradients to the heatmap, so a coordinate loss can train a
 * heatmap head end to end.
 *
 * Normalisation:
 * - "softmax": w = softmax(β·h) over the pixels. Every pixel keeps mass e^(β·h), so a flat
 *   background pulls the estimate towards the map centre unless β·(peak − background) is large.
 * - "relu": w = max(h, 0) / Σ max(h, 0); suits non-negative targets (a Gaussian's centroid is its
 *   centre, up to truncation at the map border).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import type { HeatmapStride } from "./targets.ts";

export interface SoftArgmaxOptions {
  /** Default "softmax". */
  normalization?: "softmax" | "relu";
  /** Inverse temperature of the softmax. Default 1. */
  beta?: number;
  /** When given, return model pixels (heatmap·s + (s−1)/2) instead of heatmap pixels. */
  stride?: HeatmapStride;
}

/**
 * Expected (x, y) of each channel of `heatmaps` [B, H, W, K], as [B, K, 2]. Reshape to [B, 2K]
 * for the coordinate layout (x0, y0, x1, y1, …), which for K = 4 is the [B, 8] landmark vector.
 */
export function softArgmax(heatmaps: tf.Tensor, options: SoftArgmaxOptions = {}): tf.Tensor3D {
  const { normalization = "softmax", beta = 1, stride } = options;
  if (heatmaps.rank !== 4) {
    throw new InputError(
      "heatmaps must have shape [B, H, W, K]",
      undefined,
      undefined,
      heatmaps.shape,
    );
  }
  if (!(beta > 0) || !Number.isFinite(beta)) {
    throw new InputError("beta must be > 0", undefined, undefined, beta);
  }
  const [b, height, width, k] = heatmaps.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(heatmaps, [b, height * width, k]);
    let w: tf.Tensor;
    if (normalization === "softmax") {
      // tf.softmax works on the last axis, so move the pixel axis there and back.
      w = tf.transpose(tf.softmax(tf.transpose(tf.mul(flat, beta), [0, 2, 1])), [0, 2, 1]);
    } else if (normalization === "relu") {
      const r = tf.relu(flat);
      w = tf.div(r, tf.add(tf.sum(r, 1, true), 1e-12));
    } else {
      throw new InputError(
        "unknown soft-argmax normalization",
        undefined,
        undefined,
        normalization,
      );
    }
    const xs = tf.tile(tf.range(0, width, 1, "float32"), [height]).reshape([1, height * width, 1]);
    const ys = tf.reshape(
      tf.tile(tf.reshape(tf.range(0, height, 1, "float32"), [height, 1]), [1, width]),
      [1, height * width, 1],
    );
    let x = tf.sum(tf.mul(w, xs), 1); // [B, K]
    let y = tf.sum(tf.mul(w, ys), 1);
    if (stride !== undefined) {
      const o = (stride - 1) / 2;
      x = tf.add(tf.mul(x, stride), o);
      y = tf.add(tf.mul(y, stride), o);
    }
    return tf.stack([x, y], 2) as tf.Tensor3D;
  });
}
