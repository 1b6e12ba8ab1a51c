/**
 * Named presets: each architecture's full-size (seed / paper) configuration is the architecture
 * name itself; these add the variants configs pick by name, notably lean CPU defaults (192–256 px,
 * width-reduced encoders, narrow decoders) sized for a 2-core CPU.
 */
import type { ModelEntry } from "./registry.ts";

export const PRESETS: ModelEntry[] = [
  // Coordinate regression: the seed's EfficientNet regressors by encoder name (B3 at 512 px,
  // 3 channels is the prototype), plus a lean CPU model.
  ...[0, 1, 2, 3].map((b) => ({
    name: `efficientnet-b${b}`,
    architecture: "coord-regression",
    description: `coordinate regressor on EfficientNet-B${b} (top conv → GAP → dense 256 → 8)`,
    options: { encoder: `efficientnet-b${b}` },
  })),
  {
    name: "coord-effb0-w0.5",
    architecture: "coord-regression",
    description: "CPU coordinate regressor: EfficientNet-B0 at half width, 192 px, grey input",
    options: {
      encoder: "efficientnet-b0-w0.5",
      inputSize: 192,
      inChannels: 1,
      decoderChannels: [128],
    },
  },
  {
    name: "coord-r18-w0.5",
    architecture: "coord-regression",
    description: "CPU coordinate regressor: ResNet-18 at half width, 192 px, grey input",
    options: { encoder: "resnet18-w0.5", inputSize: 192, inChannels: 1, decoderChannels: [128] },
  },
  // Heatmap regression.
  {
    name: "heatmap-unet-r34",
    architecture: "heatmap-unet",
    description: "heatmap U-Net on ResNet-34, 512 px, stride-1 heatmaps (full size)",
    options: {},
  },
  {
    name: "heatmap-unet-r18-w0.25",
    architecture: "heatmap-unet",
    description: "CPU heatmap U-Net: ResNet-18 at quarter width, 192 px, stride-2 heatmaps",
    options: {
      encoder: "resnet18-w0.25",
      inputSize: 192,
      outputStride: 2,
      decoderChannels: [64, 32, 24, 16],
    },
  },
  {
    name: "heatmap-unet-r18-w0.5",
    architecture: "heatmap-unet",
    description:
      "CPU heatmap U-Net: ResNet-18 at half width (the U-Net's encoder), stride-2 heatmaps",
    options: {
      encoder: "resnet18-w0.5",
      inputSize: 192,
      outputStride: 2,
      decoderChannels: [128, 64, 32, 16],
    },
  },
  {
    name: "heatmap-fcn-p16",
    architecture: "heatmap-fcn",
    description: "CPU Payer-2016 FCN: plain encoder base 16, depth 4, 192 px, stride-2 heatmaps",
    options: {
      encoder: "plain16",
      inputSize: 192,
      outputStride: 2,
      decoderChannels: [64, 32, 32],
    },
  },
  {
    name: "heatmap-scn-p16",
    architecture: "heatmap-scn",
    description:
      "CPU SpatialConfiguration-Net: plain encoder base 16, depth 4, 192 px, stride-2 heatmaps",
    options: {
      encoder: "plain16",
      inputSize: 192,
      outputStride: 2,
      decoderChannels: [64, 32, 16],
      scChannels: 32,
    },
  },
  // Segmentation.
  {
    name: "unet-r34",
    architecture: "unet",
    description: "U-Net on ResNet-34 with transposed convolutions, 512 px (full size)",
    options: {},
  },
  {
    name: "unet-r18-w0.5",
    architecture: "unet",
    description: "CPU U-Net: ResNet-18 at half width, transposed convolutions, 192 px",
    options: {
      encoder: "resnet18-w0.5",
      inputSize: 192,
      decoderChannels: [128, 64, 32, 16, 16],
    },
  },
  {
    name: "deeplabv3plus-r50",
    architecture: "deeplabv3plus",
    description: "DeepLabV3+ on ResNet-50, output stride 16, 512 px (full size)",
    options: {},
  },
  {
    name: "deeplabv3plus-r50-w0.25",
    architecture: "deeplabv3plus",
    description:
      "CPU DeepLabV3+: ResNet-50 at quarter width, output stride 16, 64-channel ASPP, 192 px",
    options: { encoder: "resnet50-w0.25", inputSize: 192, decoderChannels: [64] },
  },
  // Multi-task.
  {
    name: "multitask-r34",
    architecture: "multitask",
    description: "ResNet-34 U-Net with mask logits + stride-1 heatmaps, 512 px (full size)",
    options: {},
  },
  {
    name: "multitask-r18-w0.5",
    architecture: "multitask",
    description: "CPU multi-task: ResNet-18 at half width, mask logits + stride-2 heatmaps, 192 px",
    options: {
      encoder: "resnet18-w0.5",
      inputSize: 192,
      outputStride: 2,
      decoderChannels: [128, 64, 32, 16, 16],
    },
  },
];
