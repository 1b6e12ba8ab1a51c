/**
 * EfficientNet-B0…B3 encoders (Tan & Le 2019): MBConv blocks with squeeze-excitation and swish,
 * compound scaling as data, stochastic depth through the `DropConnect` layer. Also the
 * EfficientNet-Lite0…3 variants (TensorFlow's edge models: no squeeze-excitation, stem and head
 * not scaled, first/last stage repeats not scaled), which avoid the elementwise-heavy swish and SE
 * gating that dominate CPU time. Lite uses ReLU where the reference uses ReLU6: the same for
 * float training from scratch, and tfjs differentiates ReLU6 with three unaccelerated kernels.
 * Layer names follow Keras' `keras.applications.EfficientNetB*` (`block2a_expand_conv`,
 * `top_conv`, …) so converted weights load by name (Keras pads stride-2 convs explicitly; here
 * 'same' padding is used).
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Activation,
  activation,
  add,
  apply,
  batchNorm,
  type BnSpec,
  type BuildContext,
  conv,
  depthwiseConv,
  multiply,
} from "../blocks.ts";
import { DropConnect } from "../layers.ts";
import type { FeatureMap } from "../types.ts";

interface StageSpec {
  kernel: number;
  repeats: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  stride: number;
}

/** EfficientNet-B0's seven MBConv stages; every variant scales this table. */
export const EFFICIENTNET_B0_STAGES: readonly StageSpec[] = [
  { kernel: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, stride: 1 },
  { kernel: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, stride: 2 },
  { kernel: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, stride: 2 },
  { kernel: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, stride: 2 },
  { kernel: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, stride: 1 },
  { kernel: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, stride: 2 },
  { kernel: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, stride: 1 },
];

export interface EfficientNetVariant {
  widthCoefficient: number;
  depthCoefficient: number;
  /** The resolution the variant was designed for (informational: any input size works). */
  resolution: number;
  /** The reference classifier dropout (informational: heads take `ModelOptions.dropout`). */
  dropoutRate: number;
  /** EfficientNet-Lite: ReLU (reference: ReLU6), no SE, fixed stem/head widths and first/last stage repeats. */
  lite?: boolean;
}

/** Compound scaling coefficients (Tan & Le 2019; Keras applications). */
export const EFFICIENTNET_VARIANTS: Record<string, EfficientNetVariant> = {
  "efficientnet-b0": {
    widthCoefficient: 1.0,
    depthCoefficient: 1.0,
    resolution: 224,
    dropoutRate: 0.2,
  },
  "efficientnet-b1": {
    widthCoefficient: 1.0,
    depthCoefficient: 1.1,
    resolution: 240,
    dropoutRate: 0.2,
  },
  "efficientnet-b2": {
    widthCoefficient: 1.1,
    depthCoefficient: 1.2,
    resolution: 260,
    dropoutRate: 0.3,
  },
  "efficientnet-b3": {
    widthCoefficient: 1.2,
    depthCoefficient: 1.4,
    resolution: 300,
    dropoutRate: 0.3,
  },
  "efficientnet-lite0": {
    widthCoefficient: 1.0,
    depthCoefficient: 1.0,
    resolution: 224,
    dropoutRate: 0.2,
    lite: true,
  },
  "efficientnet-lite1": {
    widthCoefficient: 1.0,
    depthCoefficient: 1.1,
    resolution: 240,
    dropoutRate: 0.2,
    lite: true,
  },
  "efficientnet-lite2": {
    widthCoefficient: 1.1,
    depthCoefficient: 1.2,
    resolution: 260,
    dropoutRate: 0.3,
    lite: true,
  },
  "efficientnet-lite3": {
    widthCoefficient: 1.2,
    depthCoefficient: 1.4,
    resolution: 280,
    dropoutRate: 0.3,
    lite: true,
  },
};

const SE_RATIO = 0.25;
const STEM_FILTERS = 32;
const TOP_FILTERS = 1280;
const BN: BnSpec = { epsilon: 1e-3, momentum: 0.9 };
/** Stage indices whose last block output is the feature at stride 2, 4, 8, 16, 32. */
const FEATURE_STAGES = [0, 1, 2, 4, 6];

/** The reference implementation's channel rounding: nearest multiple of 8, never below 90%. */
export function roundFilters(filters: number, width: number, divisor = 8): number {
  const scaled = filters * width;
  let rounded = Math.max(divisor, Math.floor((scaled + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * scaled) rounded += divisor;
  return rounded;
}

export function roundRepeats(repeats: number, depth: number): number {
  return Math.ceil(depth * repeats);
}

export interface EfficientNetBuildOptions {
  /** Extra width multiplier on top of the variant's (CPU configs). */
  width: number;
  /** Feature levels to build: 1 (stride 2) … 5 (stride 32). */
  depth: number;
  /** Largest stochastic-depth rate (last block); 0 disables it. */
  dropConnect: number;
  /** Add the 1×1 `top_conv` (1280 channels at B0) after the last stage, as the stride-32 feature. */
  includeTop: boolean;
}

function mbConv(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  spec: StageSpec,
  dropRate: number,
  lite: boolean,
  prefix: string,
): tf.SymbolicTensor {
  const act: Activation = lite ? "relu" : "swish";
  const filtersIn = x.shape[3]!;
  const expanded = filtersIn * spec.expandRatio;
  let y = x;
  if (spec.expandRatio !== 1) {
    y = conv(ctx, y, { filters: expanded, kernel: 1 }, `${prefix}expand_conv`);
    y = activation(batchNorm(y, `${prefix}expand_bn`, BN), act, `${prefix}expand_activation`);
  }
  y = depthwiseConv(ctx, y, spec.kernel, spec.stride, `${prefix}dwconv`);
  y = activation(batchNorm(y, `${prefix}bn`, BN), act, `${prefix}activation`);
  if (!lite) y = squeezeExcite(ctx, y, filtersIn, prefix);

  y = batchNorm(
    conv(ctx, y, { filters: spec.filtersOut, kernel: 1 }, `${prefix}project_conv`),
    `${prefix}project_bn`,
    BN,
  );
  if (spec.stride === 1 && filtersIn === spec.filtersOut) {
    if (dropRate > 0) {
      y = apply(
        new DropConnect({ name: `${prefix}drop`, rate: dropRate, seed: ctx.nextSeed() }),
        y,
      );
    }
    y = add([y, x], `${prefix}add`);
  }
  return y;
}

/** Channel gating from globally pooled features (Hu et al. 2018), reduced to filtersIn/4. */
function squeezeExcite(
  ctx: BuildContext,
  y: tf.SymbolicTensor,
  filtersIn: number,
  prefix: string,
): tf.SymbolicTensor {
  const expanded = y.shape[3]!;
  const seFilters = Math.max(1, Math.floor(filtersIn * SE_RATIO));
  let se = apply(tf.layers.globalAveragePooling2d({ name: `${prefix}se_squeeze` }), y);
  se = apply(tf.layers.reshape({ name: `${prefix}se_reshape`, targetShape: [1, 1, expanded] }), se);
  se = conv(ctx, se, { filters: seFilters, kernel: 1, useBias: true }, `${prefix}se_reduce`);
  se = activation(se, "swish", `${prefix}se_reduce_activation`);
  se = conv(ctx, se, { filters: expanded, kernel: 1, useBias: true }, `${prefix}se_expand`);
  se = activation(se, "sigmoid", `${prefix}se_expand_activation`);
  return multiply([y, se], `${prefix}se_excite`);
}

export function buildEfficientNet(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  variant: EfficientNetVariant,
  opts: EfficientNetBuildOptions,
): FeatureMap[] {
  const width = variant.widthCoefficient * opts.width;
  const lite = variant.lite ?? false;
  const act: Activation = lite ? "relu" : "swish";
  // Lite keeps the stem and head at their B0 widths (only the CPU width multiplier applies).
  const stemHeadWidth = lite ? opts.width : width;
  const repeatsOf = (stage: number) =>
    lite && (stage === 0 || stage === EFFICIENTNET_B0_STAGES.length - 1)
      ? EFFICIENTNET_B0_STAGES[stage].repeats
      : roundRepeats(EFFICIENTNET_B0_STAGES[stage].repeats, variant.depthCoefficient);
  let x = conv(
    ctx,
    input,
    { filters: roundFilters(STEM_FILTERS, stemHeadWidth), kernel: 3, strides: 2 },
    "stem_conv",
  );
  x = activation(batchNorm(x, "stem_bn", BN), act, "stem_activation");

  const lastStage = FEATURE_STAGES[opts.depth - 1];
  const stages = EFFICIENTNET_B0_STAGES.slice(0, lastStage + 1);
  const totalBlocks = EFFICIENTNET_B0_STAGES.reduce((n, _, i) => n + repeatsOf(i), 0);
  const features: FeatureMap[] = [];
  let stride = 2;
  let blockIndex = 0;
  stages.forEach((stage, i) => {
    const repeats = repeatsOf(i);
    for (let j = 0; j < repeats; j++) {
      const spec: StageSpec = {
        ...stage,
        filtersOut: roundFilters(stage.filtersOut, width),
        stride: j === 0 ? stage.stride : 1,
      };
      const dropRate = (opts.dropConnect * blockIndex) / totalBlocks;
      x = mbConv(ctx, x, spec, dropRate, lite, `block${i + 1}${String.fromCharCode(97 + j)}_`);
      blockIndex++;
    }
    stride *= stage.stride;
    if (FEATURE_STAGES.includes(i)) features.push({ tensor: x, stride, channels: x.shape[3]! });
  });

  if (opts.includeTop && opts.depth === 5) {
    let top = conv(
      ctx,
      x,
      { filters: roundFilters(TOP_FILTERS, stemHeadWidth), kernel: 1 },
      "top_conv",
    );
    top = activation(batchNorm(top, "top_bn", BN), act, "top_activation");
    features[features.length - 1] = { tensor: top, stride: 32, channels: top.shape[3]! };
  }
  return features;
}
