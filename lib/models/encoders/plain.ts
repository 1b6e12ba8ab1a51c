/**
 * A plain VGG-style encoder (two 3×3 conv-BN-ReLU per level, max-pool between levels): the
 * downsampling path of Payer et al. 2016's fully convolutional heatmap nets, and the smallest
 * encoder of the zoo. Channels double per level from `base`, capped at 8·base.
 */
import * as tf from "@tensorflow/tfjs";
import { apply, type BuildContext, convBnAct } from "../blocks.ts";
import type { FeatureMap } from "../types.ts";

export interface PlainBuildOptions {
  base: number;
  /** Downsamplings: the deepest feature has stride 2^depth. */
  depth: number;
}

export function buildPlain(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  opts: PlainBuildOptions,
): FeatureMap[] {
  const features: FeatureMap[] = [];
  let x = input;
  for (let level = 0; level <= opts.depth; level++) {
    if (level > 0) {
      x = apply(
        tf.layers.maxPooling2d({
          name: `level${level}_pool`,
          poolSize: 2,
          strides: 2,
          padding: "same",
        }),
        x,
      );
    }
    const filters = opts.base * Math.min(8, 2 ** level);
    x = convBnAct(ctx, x, { filters, kernel: 3 }, `level${level}_1`);
    x = convBnAct(ctx, x, { filters, kernel: 3 }, `level${level}_2`);
    features.push({ tensor: x, stride: 2 ** level, channels: filters });
  }
  return features;
}
