/** Output heads: coordinates, heatmaps and segmentation logits, with the tensor layouts of docs/ARCHITECTURE.md. */
import * as tf from "@tensorflow/tfjs";
import { apply, type BuildContext, conv } from "./blocks.ts";
import { SeededDropout } from "./layers.ts";

export interface CoordHeadOptions {
  /** Hidden dense widths between the pooled feature and the 2·numLandmarks outputs. */
  hidden: number[];
  dropout: number;
  /** Rate of the dropout before the linear output; `dropout` when omitted, none when 0. */
  outputDropout?: number;
  numLandmarks: number;
  name: string;
}

/** Global average pool → (dropout → dense ReLU)* → [dropout →] linear `[B, 2·numLandmarks]`. */
export function coordHead(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  opts: CoordHeadOptions,
): tf.SymbolicTensor {
  let y = apply(tf.layers.globalAveragePooling2d({ name: `${opts.name}_pool` }), x);
  opts.hidden.forEach((units, i) => {
    y = apply(
      new SeededDropout({
        name: `${opts.name}_dropout${i + 1}`,
        rate: opts.dropout,
        seed: ctx.nextSeed(),
      }),
      y,
    );
    y = apply(
      tf.layers.dense({
        name: `${opts.name}_dense${i + 1}`,
        units,
        activation: "relu",
        kernelInitializer: ctx.denseInit(),
      }),
      y,
    );
  });
  const outputRate = opts.outputDropout ?? opts.dropout;
  if (outputRate > 0) {
    y = apply(
      new SeededDropout({
        name: `${opts.name}_dropout_out`,
        rate: outputRate,
        seed: ctx.nextSeed(),
      }),
      y,
    );
  }
  return apply(
    tf.layers.dense({
      name: opts.name,
      units: 2 * opts.numLandmarks,
      kernelInitializer: ctx.denseInit(),
    }),
    y,
  );
}

/** 1×1 linear conv to one channel per landmark. */
export function heatmapHead(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  numLandmarks: number,
  name: string,
): tf.SymbolicTensor {
  return conv(ctx, x, { filters: numLandmarks, kernel: 1, useBias: true }, name);
}

/** 3×3 linear conv to one logit channel (segmentation_models' head). */
export function segmentationHead(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  dropout: number,
  name: string,
): tf.SymbolicTensor {
  const y = dropout > 0
    ? apply(new SeededDropout({ name: `${name}_dropout`, rate: dropout, seed: ctx.nextSeed() }), x)
    : x;
  return conv(ctx, y, { filters: 1, kernel: 3, useBias: true }, name);
}
