/**
 * The plain fully convolutional heatmap decoder of Payer et al. 2016 ("downsampling/upsampling"
 * net): from the deepest encoder feature, upsample ×2 (to the exact size ceil(S/stride)) and apply
 * a 3×3 conv-BN-ReLU per stage, with no skip connections, down to the target stride.
 */
import type * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import { type BuildContext, convBnAct, resizeTo } from "../blocks.ts";
import type { FeatureMap } from "../types.ts";

export interface FcnDecoderOptions {
  /** Channels per stage, deepest first; the last value repeats. */
  channels: number[];
  targetStride: number;
  inputSize: number;
  prefix: string;
}

export function fcnDecoder(
  ctx: BuildContext,
  features: FeatureMap[],
  opts: FcnDecoderOptions,
): tf.SymbolicTensor {
  const deepest = features[features.length - 1];
  if (opts.targetStride > deepest.stride) {
    throw new InputError(
      `heatmap stride exceeds the deepest encoder stride ${deepest.stride}`,
      undefined,
      undefined,
      opts.targetStride,
    );
  }
  let x = deepest.tensor;
  let stage = 0;
  for (let stride = deepest.stride / 2; stride >= opts.targetStride; stride /= 2, stage++) {
    const side = Math.ceil(opts.inputSize / stride);
    const name = `${opts.prefix}stage${stage + 1}`;
    x = resizeTo(x, [side, side], `${name}_upsample`);
    const filters = opts.channels[Math.min(stage, opts.channels.length - 1)];
    x = convBnAct(ctx, x, { filters, kernel: 3 }, name);
  }
  return x;
}
