/**
 * U-Net decoder (Ronneberger et al. 2015, in segmentation_models' encoder-agnostic form): from
 * the deepest feature, each stage upsamples ×2 to the exact size of the next skip feature
 * (odd sizes included), concatenates it and applies two 3×3 conv-BN-ReLU. Stages below the
 * shallowest skip (e.g. stride 1 on a stride-2 stem) upsample without a skip.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import {
  apply,
  type BuildContext,
  concat,
  convBnAct,
  cropTo,
  resizeTo,
  spatial,
} from "../blocks.ts";
import type { FeatureMap } from "../types.ts";

export interface UNetDecoderOptions {
  /** Channels per stage, deepest first; the last value repeats for further stages. */
  channels: number[];
  /** Stride of the decoder output: 1 … the deepest stride. */
  targetStride: number;
  upsampling: "bilinear" | "transpose";
  /** Side of the model input, to size the skip-less stages: ceil(S/stride). */
  inputSize: number;
  prefix: string;
}

/** Returns the output of every stage by stride (the deepest feature included). */
export function unetDecoder(
  ctx: BuildContext,
  features: FeatureMap[],
  opts: UNetDecoderOptions,
): Map<number, tf.SymbolicTensor> {
  const byStride = new Map<number, tf.SymbolicTensor>();
  for (const f of features) byStride.set(f.stride, f.tensor); // a later (deeper) map of equal stride wins
  const deepest = Math.max(...features.map((f) => f.stride));
  if (
    !(opts.targetStride >= 1 && opts.targetStride <= deepest &&
      Number.isInteger(Math.log2(opts.targetStride)))
  ) {
    throw new InputError(
      `decoder output stride must be a power of 2 in 1..${deepest} (the deepest encoder stride)`,
      undefined,
      undefined,
      opts.targetStride,
    );
  }
  const outputs = new Map<number, tf.SymbolicTensor>([[deepest, byStride.get(deepest)!]]);
  let x = byStride.get(deepest)!;
  let stage = 0;
  for (let stride = deepest / 2; stride >= opts.targetStride; stride /= 2, stage++) {
    const filters = opts.channels[Math.min(stage, opts.channels.length - 1)];
    const skip = byStride.get(stride);
    const size: [number, number] = skip
      ? spatial(skip)
      : [Math.ceil(opts.inputSize / stride), Math.ceil(opts.inputSize / stride)];
    const name = `${opts.prefix}stage${stage + 1}`;
    if (opts.upsampling === "transpose") {
      x = apply(
        tf.layers.conv2dTranspose({
          name: `${name}_upconv`,
          filters,
          kernelSize: 2,
          strides: 2,
          padding: "same",
          kernelInitializer: ctx.convInit(),
        }),
        x,
      );
      x = cropTo(x, size, `${name}_crop`);
    } else {
      x = resizeTo(x, size, `${name}_upsample`);
    }
    if (skip) x = concat([x, skip], `${name}_concat`);
    x = convBnAct(ctx, x, { filters, kernel: 3 }, `${name}_1`);
    x = convBnAct(ctx, x, { filters, kernel: 3 }, `${name}_2`);
    outputs.set(stride, x);
  }
  return outputs;
}
