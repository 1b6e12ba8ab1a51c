/**
 * Architectures = encoder + decoder + head(s), all built from the same `ModelOptions`. Each one
 * declares its output layout up front (`outputs`), so task adapters can plan without building.
 */
import type * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import type { BuildContext } from "./blocks.ts";
import { unetDecoder } from "./decoders/unet.ts";
import { buildEncoder } from "./encoders/mod.ts";
import { coordHead, heatmapHead, segmentationHead } from "./heads.ts";
import type { ModelOptions, OutputInfo } from "./types.ts";

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

export const coordRegression: Architecture = {
  name: "coord-regression",
  description: "encoder → global average pool → dense + dropout → 8 coordinates (prototype design)",
  defaults: { encoder: "efficientnet-b0", inputSize: 224, dropout: 0.3, decoderChannels: [256] },
  outputs: (opts) => [coordInfo(opts)],
  build(ctx, input, opts) {
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth,
      dropConnect: opts.dropConnect,
      includeTop: true,
    });
    const deepest = features[features.length - 1].tensor;
    return [coordHead(ctx, deepest, {
      hidden: opts.decoderChannels ?? [256],
      dropout: opts.dropout,
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
    inputSize: 256,
    outputStride: 1,
    decoderChannels: [256, 128, 64, 32, 16],
  },
  outputs: (opts) => [heatmapInfo(opts)],
  build(ctx, input, opts) {
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth,
      dropConnect: opts.dropConnect,
    });
    const stages = unetDecoder(ctx, features, {
      channels: decoderChannels(opts, [256, 128, 64, 32, 16]),
      targetStride: heatmapStride(opts),
      upsampling: opts.upsampling ?? "bilinear",
      inputSize: opts.inputSize,
      prefix: "decoder_",
    });
    return [heatmapHead(ctx, stages.get(heatmapStride(opts))!, opts.numLandmarks, "heatmaps")];
  },
};

export const unet: Architecture = {
  name: "unet",
  description:
    "U-Net with skip connections and transposed convolutions on a ResNet encoder → mask logits [B,S,S,1]",
  defaults: {
    encoder: "resnet34",
    inputSize: 256,
    decoderChannels: [256, 128, 64, 32, 16],
    upsampling: "transpose",
    dropout: 0,
  },
  outputs: (opts) => [segmentationInfo(opts)],
  build(ctx, input, opts) {
    const features = buildEncoder(ctx, input, opts.encoder, {
      depth: opts.encoderDepth,
      dropConnect: opts.dropConnect,
    });
    const stages = unetDecoder(ctx, features, {
      channels: decoderChannels(opts, [256, 128, 64, 32, 16]),
      targetStride: 1,
      upsampling: opts.upsampling ?? "transpose",
      inputSize: opts.inputSize,
      prefix: "decoder_",
    });
    return [segmentationHead(ctx, stages.get(1)!, opts.dropout, "mask_logits")];
  },
};
