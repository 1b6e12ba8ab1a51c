/** The one constructor vocabulary shared by every encoder and architecture of the model zoo. */
import type * as tf from "@tensorflow/tfjs";

export interface ModelOptions {
  /** Side S of the square model input `[B, S, S, C]`; any size ≥ 32, odd sizes included. */
  inputSize: number;
  inChannels: 1 | 3;
  /** Encoder name from `listEncoders()`, e.g. `resnet34`, `resnet18-w0.5`, `efficientnet-b0`, `plain16`. */
  encoder: string;
  /** How many encoder stages (downsamplings) to use; the deepest feature has stride 2^depth. */
  encoderDepth?: number;
  /**
   * Decoder widths. U-Net decoders (`unet`, `heatmap-unet`, `heatmap-scn`, `multitask`) and
   * `heatmap-fcn`: channels per upsampling stage, deepest first, the last value repeating for
   * further stages. `deeplabv3plus`: `[0]` is the ASPP and decoder width. `coord-regression`:
   * hidden dense widths.
   */
  decoderChannels?: number[];
  numLandmarks?: number;
  /**
   * Heatmap heads: stride of the heatmap relative to the input (1, 2 or 4), output side
   * ceil(S/stride). DeepLabV3+: output stride of the encoder (8 or 16, by dilation).
   */
  outputStride?: number;
  /**
   * Dropout rate in the head: before the dense layers (coordinate regression), the logits
   * (heatmap and segmentation heads), or in DeepLabV3+'s ASPP projection.
   */
  dropout?: number;
  /**
   * Coordinate heads: dropout rate right before the linear output layer (default: `dropout`). On
   * the inputs of a linear regression output, dropout acts like a ridge penalty that pulls every
   * prediction towards the mean, i.e. it narrows the prediction spread; 0 keeps the dropout before
   * the hidden dense layers only.
   */
  outputDropout?: number;
  /** Maximum stochastic-depth rate of EfficientNet blocks (scaled linearly with block index). */
  dropConnect?: number;
  /** Seeds every initializer and the drop-connect noise. */
  seed?: number;
  /**
   * Decoder upsampling of the U-Net decoders (`unet`, `heatmap-unet`, `heatmap-scn`, `multitask`):
   * learned transposed convolutions or bilinear resize.
   */
  upsampling?: "transpose" | "bilinear";
  /** `heatmap-scn`: channels of the spatial-configuration convolutions. */
  scChannels?: number;
  /** Landmark head of `multitask`. */
  landmarkHead?: "coord" | "heatmap";
  /**
   * Heatmap architectures (`heatmap-unet`, `heatmap-fcn`, `heatmap-scn`): also learn one Gaussian
   * σ per landmark, starting here (heatmap px), as a second output `sigma` [B, K] that the heatmap
   * task's loss builds its targets from (Payer et al. 2019). Unset: σ is the task's fixed `sigma`.
   */
  learnSigma?: number;
}

/** One encoder output: a feature map at a stride relative to the input. */
export interface FeatureMap {
  tensor: tf.SymbolicTensor;
  stride: number;
  channels: number;
}

/** What the task adapters (training, evaluation) need to know about a model's outputs. */
export type OutputKind = "coords" | "heatmaps" | "segmentation" | "sigma";

export interface OutputInfo {
  name: string;
  kind: OutputKind;
  /** Shape without the batch dimension. */
  shape: number[];
  /** Input pixels per output pixel (1 for coordinates and full-size masks). */
  stride: number;
}
