/**
 * DeepLabV3+ decoder (Chen et al. 2018): ASPP (1×1 conv, three atrous 3×3 convs, image pooling)
 * on the deepest feature, then fusion with the stride-4 low-level feature. The paper's atrous
 * rates (6, 12, 18) belong to a 513-px crop at output stride 16; here they are scaled to the
 * actual input size and output stride so the receptive fields cover the same share of the image.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import { apply, type BuildContext, concat, convBnAct, resizeTo, spatial } from "../blocks.ts";
import { SeededDropout } from "../layers.ts";
import type { FeatureMap } from "../types.ts";

const PAPER_RATES = [6, 12, 18];
const PAPER_INPUT = 513;
const PAPER_OUTPUT_STRIDE = 16;
/** Low-level projection width of the paper (48 of 256 decoder channels). */
const LOW_LEVEL_SHARE = 48 / 256;

/** Atrous rates for an input side and encoder output stride (at least 1, distinct not enforced). */
export function scaledAtrousRates(inputSize: number, outputStride: number): number[] {
  const scale = (inputSize / PAPER_INPUT) * (PAPER_OUTPUT_STRIDE / outputStride);
  return PAPER_RATES.map((r) => Math.max(1, Math.round(r * scale)));
}

export interface DeepLabDecoderOptions {
  /** ASPP and decoder width (256 in the paper). */
  channels: number;
  rates: number[];
  dropout: number;
  prefix: string;
}

export function asppModule(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  opts: DeepLabDecoderOptions,
): tf.SymbolicTensor {
  const p = `${opts.prefix}aspp`;
  const branches = [convBnAct(ctx, x, { filters: opts.channels, kernel: 1 }, `${p}_conv1x1`)];
  opts.rates.forEach((rate, i) => {
    branches.push(
      convBnAct(
        ctx,
        x,
        { filters: opts.channels, kernel: 3, dilation: rate },
        `${p}_atrous${i + 1}`,
      ),
    );
  });
  let pooled = apply(tf.layers.globalAveragePooling2d({ name: `${p}_pool` }), x);
  pooled = apply(
    tf.layers.reshape({ name: `${p}_pool_reshape`, targetShape: [1, 1, x.shape[3]!] }),
    pooled,
  );
  pooled = convBnAct(ctx, pooled, { filters: opts.channels, kernel: 1 }, `${p}_pool_proj`);
  branches.push(resizeTo(pooled, spatial(x), `${p}_pool_upsample`));
  let y = convBnAct(
    ctx,
    concat(branches, `${p}_concat`),
    { filters: opts.channels, kernel: 1 },
    `${p}_project`,
  );
  if (opts.dropout > 0) {
    y = apply(
      new SeededDropout({ name: `${p}_dropout`, rate: opts.dropout, seed: ctx.nextSeed() }),
      y,
    );
  }
  return y;
}

/** ASPP on the deepest feature fused with the stride-4 feature; output at stride 4. */
export function deeplabV3PlusDecoder(
  ctx: BuildContext,
  features: FeatureMap[],
  opts: DeepLabDecoderOptions,
): tf.SymbolicTensor {
  const lowLevel = features.find((f) => f.stride === 4);
  if (!lowLevel) {
    throw new InputError("DeepLabV3+ needs a stride-4 encoder feature (encoderDepth ≥ 2)");
  }
  const aspp = asppModule(ctx, features[features.length - 1].tensor, opts);
  const lowChannels = Math.max(8, Math.round(opts.channels * LOW_LEVEL_SHARE));
  const low = convBnAct(
    ctx,
    lowLevel.tensor,
    { filters: lowChannels, kernel: 1 },
    `${opts.prefix}low_level`,
  );
  const up = resizeTo(aspp, spatial(low), `${opts.prefix}aspp_upsample`);
  let y = concat([up, low], `${opts.prefix}fuse_concat`);
  y = convBnAct(ctx, y, { filters: opts.channels, kernel: 3 }, `${opts.prefix}fuse_1`);
  return convBnAct(ctx, y, { filters: opts.channels, kernel: 3 }, `${opts.prefix}fuse_2`);
}
