/**
 * Architectures = encoder + decoder + head(s), all built from the same `ModelOptions`. Each one
 * declares its output layout up front (`outputs`), so task adapters can plan without building.
 */
import type * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import { apply, type BuildContext, resizeTo } from "./blocks.ts";
import { deeplabV3PlusDecoder, scaledAtrousRates } from "./decoders/deeplab.ts";
import { fcnDecoder } from "./decoders/fcn.ts";
import { spatialConfiguration } from "./decoders/scn.ts";
import { unetDecoder, type UNetDecoderOptions } from "./decoders/unet.ts";
import { buildEncoder } from "./encoders/mod.ts";
import { coordHead, heatmapHead, segmentationHead } from "./heads.ts";
import { LandmarkSigma } from "./layers.ts";
import type { FeatureMap, ModelOptions, OutputInfo } from "./types.ts";

/** Options after defaults are applied. */
export type ResolvedOptions = ModelOptions & {
  numLandmarks: number;
  seed: number;
  dropout: number;
};

export interface Architecture {
  name: string;
  description: string;
  /** Defaults of the full-size (paper / seed) configuration. */
  defaults: Partial<ModelOptions>;
  outputs(opts: ResolvedOptions): OutputInfo[];
  build(ctx: BuildContext, input: tf.SymbolicTensor, opts: ResolvedOptions): tf.SymbolicTensor[];
}

const HEATMAP_STRIDES = [1, 2, 4];

function heatmapStride(opts: ResolvedOptions): number {
  const stride = opts.outputStride ?? 1;
  if (!HEATMAP_STRIDES.includes(stride)) {
    throw new InputError(
      `heatmap outputStride must be one of ${HEATMAP_STRIDES.join(", ")}`,
      undefined,
      undefined,
      stride,
    );
  }
  return stride;
}

function coordInfo(opts: ResolvedOptions): OutputInfo {
  return { name: "coords", kind: "coords", shape: [2 * opts.numLandmarks], stride: 1 };
}

function heatmapInfo(opts: ResolvedOptions): OutputInfo {
  const stride = heatmapStride(opts);
  const side = Math.ceil(opts.inputSize / stride);
  return { name: "heatmaps", kind: "heatmaps", shape: [side, side, opts.numLandmarks], stride };
}

/** A heatmap architecture's outputs: the heatmaps, and σ per landmark when `learnSigma` is set. */
function heatmapOutputs(opts: ResolvedOptions): OutputInfo[] {
  const sigma = opts.learnSigma;
  if (sigma === undefined) return [heatmapInfo(opts)];
  if (!(typeof sigma === "number" && sigma > 0 && Number.isFinite(sigma))) {
    throw new InputError(
      "learnSigma must be a positive σ in heatmap px",
      undefined,
      undefined,
      sigma,
    );
  }
  return [heatmapInfo(opts), {
    name: "sigma",
    kind: "sigma",
    shape: [opts.numLandmarks],
    stride: 1,
  }];
}

/** `heatmaps`, followed by the learnable σ output when the options ask for it. */
function withSigma(heatmaps: tf.SymbolicTensor, opts: ResolvedOptions): tf.SymbolicTensor[] {
  if (opts.learnSigma === undefined) return [heatmaps];
  const sigma = new LandmarkSigma({
    name: "sigma",
    units: opts.numLandmarks,
    initial: opts.learnSigma!,
  });
  return [heatmaps, apply(sigma, heatmaps)];
}

function segmentationInfo(opts: ResolvedOptions): OutputInfo {
  return {
    name: "mask_logits",
    kind: "segmentation",
    shape: [opts.inputSize, opts.inputSize, 1],
    stride: 1,
  };
}

function decoderChannels(opts: ResolvedOptions, fallback: number[]): number[] {
  const channels = opts.decoderChannels ?? fallback;
  if (channels.length === 0 || !channels.every((c) => Number.isInteger(c) && c > 0)) {
    throw new InputError(
      "decoderChannels must be positive integers",
      undefined,
      undefined,
      channels,
    );
  }
  return channels;
}

/**
 * The registry encoder with a U-Net decoder on it, up to `targetStride`: the trunk of the U-Net,
 * the heatmap U-Net, the SpatialConfiguration-Net's local stage and the multi-task model. The
 * options' `decoderChannels` and `upsampling` override the architecture's defaults given here.
 */
function encoderWithUNetDecoder(
  ctx: BuildContext,
  input: tf.SymbolicTensor,
  opts: ResolvedOptions,
  defaults: Omit<UNetDecoderOptions, "inputSize">,
): { features: FeatureMap[]; stages: Map<number, tf.SymbolicTensor> } {
  const features = buildEncoder(ctx, input, opts.encoder, {
    depth: opts.encoderDepth,
    dropConnect: opts.dropConnect,
  });
  const stages = unetDecoder(ctx, features, {
    ...defaults,
    channels: decoderChannels(opts, defaults.channels),
    upsampling: opts.upsampling ?? defaults.upsampling,
    inputSize: opts.inputSize,
  });
  return { features, stages };
}

export const coordRegression: Architecture = {
  name: "coord-regression",
  description: "encoder → global average pool → dense + dropout → 8 coordinates (prototype design)",
  defaults: {
    encoder: "efficientnet-b3",
    inputSize: 512,
    inChannels: 3,
    dropout: 0.3,
    decoderChannels: [256],
  },
  outputs: (opts) => [coordInfo(opts)],
  build(ctx, input, opts) {
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth,
      dropConnect: opts.dropConnect,
      includeTop: true,
    });
    const deepest = features[features.length - 1].tensor;
    return [coordHead(ctx, deepest, {
      hidden: decoderChannels(opts, [256]),
      dropout: opts.dropout,
      outputDropout: opts.outputDropout,
      numLandmarks: opts.numLandmarks,
      name: "coords",
    })];
  },
};

export const heatmapUNet: Architecture = {
  name: "heatmap-unet",
  description: "U-Net decoder on a registry encoder → 4 linear heatmaps at outputStride 1, 2 or 4",
  defaults: {
    encoder: "resnet34",
    inputSize: 512,
    outputStride: 1,
    decoderChannels: [256, 128, 64, 32, 16],
  },
  outputs: heatmapOutputs,
  build(ctx, input, opts) {
    const { stages } = encoderWithUNetDecoder(ctx, input, opts, {
      channels: [256, 128, 64, 32, 16],
      targetStride: heatmapStride(opts),
      upsampling: "bilinear",
      prefix: "decoder_",
    });
    return withSigma(
      heatmapHead(ctx, stages.get(heatmapStride(opts))!, opts.numLandmarks, "heatmaps"),
      opts,
    );
  },
};

export const unet: Architecture = {
  name: "unet",
  description:
    "U-Net with skip connections and transposed convolutions on a ResNet encoder → mask logits [B,S,S,1]",
  defaults: {
    encoder: "resnet34",
    inputSize: 512,
    decoderChannels: [256, 128, 64, 32, 16],
    upsampling: "transpose",
    dropout: 0,
  },
  outputs: (opts) => [segmentationInfo(opts)],
  build(ctx, input, opts) {
    const { stages } = encoderWithUNetDecoder(ctx, input, opts, {
      channels: [256, 128, 64, 32, 16],
      targetStride: 1,
      upsampling: "transpose",
      prefix: "decoder_",
    });
    return [segmentationHead(ctx, stages.get(1)!, opts.dropout, "mask_logits")];
  },
};

export const heatmapFcn: Architecture = {
  name: "heatmap-fcn",
  description:
    "Payer et al. 2016 plain downsampling/upsampling FCN (no skips) → 4 linear heatmaps at outputStride 1, 2 or 4",
  defaults: {
    encoder: "plain64",
    encoderDepth: 4,
    inputSize: 512,
    outputStride: 1,
    decoderChannels: [128, 128, 64, 64],
  },
  outputs: heatmapOutputs,
  build(ctx, input, opts) {
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth,
      dropConnect: opts.dropConnect,
    });
    const x = fcnDecoder(ctx, features, {
      channels: decoderChannels(opts, [128, 128, 64, 64]),
      targetStride: heatmapStride(opts),
      inputSize: opts.inputSize,
      prefix: "decoder_",
    });
    return withSigma(heatmapHead(ctx, x, opts.numLandmarks, "heatmaps"), opts);
  },
};

/** Input stride at which the spatial-configuration component of `heatmap-scn` works. */
const SCN_CONFIGURATION_STRIDE = 16;

export const heatmapScn: Architecture = {
  name: "heatmap-scn",
  description:
    "SpatialConfiguration-Net (Payer et al. 2019): U-Net local-appearance heatmaps × large-kernel " +
    "spatial-configuration heatmaps computed at stride 16 → 4 heatmaps at outputStride 1, 2 or 4",
  defaults: {
    encoder: "plain64",
    encoderDepth: 4,
    inputSize: 512,
    outputStride: 1,
    decoderChannels: [64],
    scChannels: 64,
  },
  outputs: heatmapOutputs,
  build(ctx, input, opts) {
    const stride = heatmapStride(opts);
    const { stages } = encoderWithUNetDecoder(ctx, input, opts, {
      channels: [64],
      targetStride: stride,
      upsampling: "bilinear",
      prefix: "local_",
    });
    const local = heatmapHead(ctx, stages.get(stride)!, opts.numLandmarks, "local_heatmaps");
    const scChannels = opts.scChannels ?? 64;
    if (!(Number.isInteger(scChannels) && scChannels > 0)) {
      throw new InputError(
        "scChannels must be a positive integer",
        undefined,
        undefined,
        scChannels,
      );
    }
    return withSigma(
      spatialConfiguration(ctx, local, {
        downsample: SCN_CONFIGURATION_STRIDE / stride,
        channels: scChannels,
        layers: 3,
        kernel: 7,
        prefix: "spatial_",
        outputName: "heatmaps",
      }),
      opts,
    );
  },
};

const DEEPLAB_OUTPUT_STRIDES = [8, 16];

export const deeplabV3Plus: Architecture = {
  name: "deeplabv3plus",
  description:
    "DeepLabV3+ on a dilated ResNet (output stride 16 or 8), ASPP with input-scaled rates + image " +
    "pooling, stride-4 low-level fusion → mask logits [B,S,S,1]",
  defaults: {
    encoder: "resnet50",
    inputSize: 512,
    outputStride: 16,
    decoderChannels: [256],
    dropout: 0.1,
  },
  outputs: (opts) => [segmentationInfo(opts)],
  build(ctx, input, opts) {
    const outputStride = opts.outputStride ?? 16;
    if (!DEEPLAB_OUTPUT_STRIDES.includes(outputStride)) {
      throw new InputError(
        "deeplabv3plus outputStride must be 8 or 16",
        undefined,
        undefined,
        outputStride,
      );
    }
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth ?? 5,
      outputStride,
    });
    const x = deeplabV3PlusDecoder(ctx, features, {
      channels: decoderChannels(opts, [256])[0],
      rates: scaledAtrousRates(opts.inputSize, outputStride),
      dropout: opts.dropout,
      prefix: "decoder_",
    });
    const logits = segmentationHead(ctx, x, 0, "head_logits");
    return [resizeTo(logits, [opts.inputSize, opts.inputSize], "mask_logits")];
  },
};

export const multitask: Architecture = {
  name: "multitask",
  description:
    "Shared encoder + U-Net decoder → mask logits [B,S,S,1] and landmarks (coords [B,8] or heatmaps) as two outputs",
  defaults: {
    encoder: "resnet34",
    inputSize: 512,
    decoderChannels: [256, 128, 64, 32, 16],
    upsampling: "bilinear",
    landmarkHead: "heatmap",
    outputStride: 1,
    /** Used by the coordinate head only. */
    dropout: 0.3,
  },
  outputs: (
    opts,
  ) => [
    segmentationInfo(opts),
    opts.landmarkHead === "coord" ? coordInfo(opts) : heatmapInfo(opts),
  ],
  build(ctx, input, opts) {
    const { features, stages } = encoderWithUNetDecoder(ctx, input, opts, {
      channels: [256, 128, 64, 32, 16],
      targetStride: 1,
      upsampling: "bilinear",
      prefix: "decoder_",
    });
    const mask = segmentationHead(ctx, stages.get(1)!, 0, "mask_logits");
    if (opts.landmarkHead === "coord") {
      const deepest = features[features.length - 1].tensor;
      return [
        mask,
        coordHead(ctx, deepest, {
          hidden: [256],
          dropout: opts.dropout,
          outputDropout: opts.outputDropout,
          numLandmarks: opts.numLandmarks,
          name: "coords",
        }),
      ];
    }
    if (opts.landmarkHead !== "heatmap") {
      throw new InputError(
        "landmarkHead must be coord or heatmap",
        undefined,
        undefined,
        opts.landmarkHead,
      );
    }
    return [
      mask,
      heatmapHead(ctx, stages.get(heatmapStride(opts))!, opts.numLandmarks, "heatmaps"),
    ];
  },
};
