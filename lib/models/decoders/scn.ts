/**
 * Spatial-configuration component of the SpatialConfiguration-Net (Payer et al. 2019): from the
 * local-appearance heatmaps, downsample, apply large-kernel convolutions that learn where each
 * landmark can be given the others, upsample back (exact size) and multiply. The product
 * suppresses local responses that are implausible for the configuration.
 */
import * as tf from "@tensorflow/tfjs";
import {
  activation,
  apply,
  type BuildContext,
  conv,
  multiply,
  resizeTo,
  spatial,
} from "../blocks.ts";

export interface SpatialConfigurationOptions {
  /** Pooling factor from the heatmap to the spatial-configuration resolution. */
  downsample: number;
  channels: number;
  /** Conv layers before the output conv (each kernel × kernel, ReLU). */
  layers: number;
  kernel: number;
  prefix: string;
  /** Name of the combining layer (the model output). */
  outputName: string;
}

/** Returns H_LA × H_SC, where H_SC = tanh(convs(avgpool(H_LA))) upsampled to H_LA's size. */
export function spatialConfiguration(
  ctx: BuildContext,
  localHeatmaps: tf.SymbolicTensor,
  opts: SpatialConfigurationOptions,
): tf.SymbolicTensor {
  const p = opts.prefix;
  let x = apply(
    tf.layers.averagePooling2d({
      name: `${p}downsample`,
      poolSize: opts.downsample,
      strides: opts.downsample,
      padding: "same",
    }),
    localHeatmaps,
  );
  for (let i = 0; i < opts.layers; i++) {
    x = conv(
      ctx,
      x,
      { filters: opts.channels, kernel: opts.kernel, useBias: true },
      `${p}conv${i + 1}`,
    );
    x = activation(x, "relu", `${p}conv${i + 1}_relu`);
  }
  x = conv(
    ctx,
    x,
    { filters: localHeatmaps.shape[3]!, kernel: opts.kernel, useBias: true },
    `${p}out`,
  );
  x = activation(x, "tanh", `${p}out_tanh`);
  const sc = resizeTo(x, spatial(localHeatmaps), `${p}upsample`);
  return multiply([localHeatmaps, sc], opts.outputName);
}
