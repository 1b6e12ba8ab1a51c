/**
 * ResNet-18/34/50 encoders (He et al. 2016, torchvision's v1.5: the stride sits in the 3×3 conv of
 * a bottleneck), with a width multiplier for lean CPU configs and dilation in the last stages for
 * output stride 16 or 8 (DeepLab). Layer names follow Keras' `keras.applications.ResNet50`
 * (`conv2_block1_1_conv`, …) so converted weights load by name.
 */
import * as tf from "@tensorflow/tfjs";
import {
  activation,
  add,
  apply,
  batchNorm,
  type BuildContext,
  conv,
  convBnAct,
} from "../blocks.ts";
import type { FeatureMap } from "../types.ts";

export interface ResNetVariant {
  block: "basic" | "bottleneck";
  /** Residual blocks in conv2_x … conv5_x. */
  repeats: [number, number, number, number];
}

/** The published configurations (He et al. 2016, Table 1). */
export const RESNET_VARIANTS: Record<string, ResNetVariant> = {
  resnet18: { block: "basic", repeats: [2, 2, 2, 2] },
  resnet34: { block: "basic", repeats: [3, 4, 6, 3] },
  resnet50: { block: "bottleneck", repeats: [3, 4, 6, 3] },
};

const STAGE_WIDTHS = [64, 128, 256, 512];
const BOTTLENECK_EXPANSION = 4;

/** Scaled channel count, a multiple of 8 (at least 8) so width-reduced nets stay kernel-friendly. */
export function scaledWidth(channels: number, width: number): number {
  return Math.max(8, Math.round((channels * width) / 8) * 8);
}

export interface ResNetBuildOptions {
  width: number;
  /** Stages used after the stem: 1 (stride 4) … 4 (stride 32). */
  stages: number;
  /** 32, 16 or 8: later stages trade their stride for dilation. */
  outputStride: number;
}

function basicBlock(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  dilation: number,
  prefix: string,
): tf.SymbolicTensor {
  const shortcut = needsProjection(x, filters, stride)
    ? batchNorm(
      conv(ctx, x, { filters, kernel: 1, strides: stride }, `${prefix}_0_conv`),
      `${prefix}_0_bn`,
    )
    : x;
  let y = convBnAct(ctx, x, {
    filters,
    kernel: 3,
    strides: stride,
    dilation: stride > 1 ? 1 : dilation,
  }, `${prefix}_1`);
  y = convBnAct(ctx, y, { filters, kernel: 3, dilation }, `${prefix}_2`, "linear");
  return activation(add([shortcut, y], `${prefix}_add`), "relu", `${prefix}_out`);
}

function bottleneckBlock(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  filters: number,
  stride: number,
  dilation: number,
  prefix: string,
): tf.SymbolicTensor {
  const outFilters = filters * BOTTLENECK_EXPANSION;
  const shortcut = needsProjection(x, outFilters, stride)
    ? batchNorm(
      conv(ctx, x, { filters: outFilters, kernel: 1, strides: stride }, `${prefix}_0_conv`),
      `${prefix}_0_bn`,
    )
    : x;
  let y = convBnAct(ctx, x, { filters, kernel: 1 }, `${prefix}_1`);
  y = convBnAct(ctx, y, {
    filters,
    kernel: 3,
    strides: stride,
    dilation: stride > 1 ? 1 : dilation,
  }, `${prefix}_2`);
  y = convBnAct(ctx, y, { filters: outFilters, kernel: 1 }, `${prefix}_3`, "linear");
  return activation(add([shortcut, y], `${prefix}_add`), "relu", `${prefix}_out`);
}

function needsProjection(x: tf.SymbolicTensor, filters: number, stride: number): boolean {
  return stride !== 1 || x.shape[3] !== filters;
}

export function buildResNet(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  variant: ResNetVariant,
  opts: ResNetBuildOptions,
): FeatureMap[] {
  const stem = convBnAct(ctx, input, {
    filters: scaledWidth(64, opts.width),
    kernel: 7,
    strides: 2,
  }, "conv1");
  const features: FeatureMap[] = [{ tensor: stem, stride: 2, channels: stem.shape[3]! }];
  let x = apply(
    tf.layers.maxPooling2d({ name: "pool1_pool", poolSize: 3, strides: 2, padding: "same" }),
    stem,
  );
  let stride = 4;
  let dilation = 1;
  const block = variant.block === "basic" ? basicBlock : bottleneckBlock;
  for (let s = 0; s < opts.stages; s++) {
    const filters = scaledWidth(STAGE_WIDTHS[s], opts.width);
    let firstStride = s === 0 ? 1 : 2;
    // torchvision's replace_stride_with_dilation: the first block keeps the previous dilation.
    const firstDilation = dilation;
    if (firstStride === 2 && stride * 2 > opts.outputStride) {
      firstStride = 1;
      dilation *= 2;
    } else if (firstStride === 2) {
      stride *= 2;
    }
    for (let b = 0; b < variant.repeats[s]; b++) {
      const prefix = `conv${s + 2}_block${b + 1}`;
      x = b === 0
        ? block(ctx, x, filters, firstStride, firstDilation, prefix)
        : block(ctx, x, filters, 1, dilation, prefix);
    }
    features.push({ tensor: x, stride, channels: x.shape[3]! });
  }
  return features;
}
