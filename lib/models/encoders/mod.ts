/**
 * Encoder registry. An encoder name selects a family and variant, with an optional width suffix
 * for CPU configs: `resnet18`, `resnet34-w0.5`, `resnet50`, `efficientnet-b0` … `-b3`, `efficientnet-lite0` … `-lite3`
 * (`efficientnet-b0-w0.5`), `plain16` (plain VGG-style, base 16 channels).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import { BuildContext } from "../blocks.ts";
import type { FeatureMap } from "../types.ts";
import { buildEfficientNet, EFFICIENTNET_VARIANTS } from "./efficientnet.ts";
import { buildPlain } from "./plain.ts";
import { buildResNet, RESNET_VARIANTS } from "./resnet.ts";

export interface EncoderBuildOptions {
  /** Downsamplings: the deepest feature has stride 2^depth (before dilation). Family default if omitted. */
  depth?: number;
  /** Largest stride; ResNets reach 16 or 8 by dilating the last stages. */
  outputStride?: number;
  /** EfficientNet stochastic depth rate (default 0.2). */
  dropConnect?: number;
  /** EfficientNet: finish with the 1×1 top conv (1280 channels at B0). */
  includeTop?: boolean;
}

interface ParsedEncoder {
  family: "resnet" | "efficientnet" | "plain";
  variant: string;
  width: number;
  maxDepth: number;
  defaultDepth: number;
  /** Plain encoders: channels of the first level, before the width multiplier. */
  base?: number;
}

const NAME_PATTERN =
  /^(resnet(?:18|34|50)|efficientnet-(?:b|lite)[0-3]|plain(\d+))(?:-w(\d*\.?\d+))?$/;

export function parseEncoderName(name: string): ParsedEncoder {
  const m = NAME_PATTERN.exec(name);
  if (!m) {
    throw new InputError(
      `unknown encoder; known: ${listEncoders().join(", ")} (+ optional -w<width>)`,
      undefined,
      undefined,
      name,
    );
  }
  const width = m[3] === undefined ? 1 : Number(m[3]);
  if (!(width > 0 && width <= 4)) {
    throw new InputError("encoder width must be in (0, 4]", undefined, undefined, name);
  }
  const variant = m[1];
  if (variant.startsWith("resnet")) {
    return { family: "resnet", variant, width, maxDepth: 5, defaultDepth: 5 };
  }
  if (variant.startsWith("efficientnet")) {
    return { family: "efficientnet", variant, width, maxDepth: 5, defaultDepth: 5 };
  }
  const base = Number(m[2]);
  if (!(base >= 4)) {
    throw new InputError("plain encoder base width must be ≥ 4", undefined, undefined, name);
  }
  return { family: "plain", variant, width, maxDepth: 6, defaultDepth: 4, base };
}

export function listEncoders(): string[] {
  return [
    ...Object.keys(RESNET_VARIANTS),
    ...Object.keys(EFFICIENTNET_VARIANTS),
    "plain16",
    "plain32",
    "plain64",
  ];
}

/** Build an encoder on `input`; returns its feature maps, shallowest first. */
export function buildEncoder(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  name: string,
  opts: EncoderBuildOptions = {},
): FeatureMap[] {
  const enc = parseEncoderName(name);
  const depth = opts.depth ?? enc.defaultDepth;
  if (!(Number.isInteger(depth) && depth >= 1 && depth <= enc.maxDepth)) {
    throw new InputError(
      `encoderDepth must be an integer in 1..${enc.maxDepth} for ${name}`,
      undefined,
      undefined,
      depth,
    );
  }
  const outputStride = opts.outputStride ?? 2 ** depth;
  if (outputStride !== 2 ** depth) {
    if (enc.family !== "resnet") {
      throw new InputError(
        `only ResNet encoders can dilate to another output stride (${name})`,
        undefined,
        undefined,
        outputStride,
      );
    }
    if (![4, 8, 16].includes(outputStride) || outputStride > 2 ** depth) {
      throw new InputError(
        `output stride must be 4, 8 or 16 and below 2^depth = ${2 ** depth}`,
        undefined,
        undefined,
        outputStride,
      );
    }
  }
  switch (enc.family) {
    case "resnet":
      return buildResNet(ctx, input, RESNET_VARIANTS[enc.variant], {
        width: enc.width,
        stages: depth - 1,
        outputStride,
      });
    case "efficientnet":
      return buildEfficientNet(ctx, input, EFFICIENTNET_VARIANTS[enc.variant], {
        width: enc.width,
        depth,
        dropConnect: opts.dropConnect ?? 0.2,
        includeTop: opts.includeTop ?? false,
      });
    case "plain":
      return buildPlain(ctx, input, {
        base: Math.max(4, Math.round(enc.base! * enc.width)),
        depth,
      });
  }
}

export interface EncoderModel {
  /** One output per feature map, shallowest first. */
  model: tf.LayersModel;
  features: { stride: number; channels: number; shape: number[] }[];
}

/** A stand-alone encoder model whose outputs are its multi-scale features. */
export function createEncoder(
  name: string,
  opts: EncoderBuildOptions & { inputSize: number; inChannels: 1 | 3; seed?: number },
): EncoderModel {
  const input = tf.input({
    name: "image",
    shape: [opts.inputSize, opts.inputSize, opts.inChannels],
  });
  const features = buildEncoder(new BuildContext(opts.seed ?? 0), input, name, opts);
  const model = tf.model({
    name: `encoder_${name}`,
    inputs: input,
    outputs: features.map((f) => f.tensor),
  });
  return {
    model,
    features: features.map((f) => ({
      stride: f.stride,
      channels: f.channels,
      shape: f.tensor.shape.slice(1) as number[],
    })),
  };
}
