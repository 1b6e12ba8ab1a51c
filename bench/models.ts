/**
 * The benchmark networks, defined identically in bench/torch_reference.py so img/s compare like
 * for like. Reference U-Net: 16-32-64-128 channels, two 3×3 conv + batch-norm + ReLU per level,
 * 2×2 max-pool down, 2×2 stride-2 transposed conv up, skip concatenation, 1×1 head to 4 heatmaps.
 * MBConv regressor: a small EfficientNet-style net (stem, MBConv blocks with depthwise conv,
 * squeeze-excitation and swish, global pool, dense head to 8 coordinates). Batch norm is
 * lib/models' `BatchNorm`, tf.layers' own layer with a fused training step, as the model zoo uses.
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm } from "../lib/models/layers.ts";

export const UNET_CHANNELS = [16, 32, 64, 128] as const;

function convBnRelu(x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor {
  const c = tf.layers.conv2d({ filters, kernelSize: 3, padding: "same" }).apply(x);
  const n = new BatchNorm({ epsilon: 1e-5, momentum: 0.9 }).apply(c);
  return tf.layers.reLU().apply(n) as tf.SymbolicTensor;
}

function doubleConv(x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor {
  return convBnRelu(convBnRelu(x, filters), filters);
}

export function referenceUnet(size = 128, inChannels = 1, outChannels = 4): tf.LayersModel {
  const input = tf.input({ shape: [size, size, inChannels] });
  const skips: tf.SymbolicTensor[] = [];
  let x = input;
  for (const c of UNET_CHANNELS.slice(0, -1)) {
    x = doubleConv(x, c);
    skips.push(x);
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  }
  x = doubleConv(x, UNET_CHANNELS[UNET_CHANNELS.length - 1]);
  for (const c of UNET_CHANNELS.slice(0, -1).reverse()) {
    const up = tf.layers.conv2dTranspose({ filters: c, kernelSize: 2, strides: 2 }).apply(
      x,
    ) as tf.SymbolicTensor;
    x = tf.layers.concatenate().apply([up, skips.pop()!]) as tf.SymbolicTensor;
    x = doubleConv(x, c);
  }
  const out = tf.layers.conv2d({ filters: outChannels, kernelSize: 1 }).apply(
    x,
  ) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "reference_unet" });
}

/** (expansion, output channels, stride) per MBConv block. */
export const MBCONV_BLOCKS: [number, number, number][] = [
  [1, 16, 1],
  [6, 24, 2],
  [6, 24, 1],
  [6, 40, 2],
  [6, 40, 1],
  [6, 80, 2],
  [6, 80, 1],
  [6, 112, 1],
];

function bnSwish(x: tf.SymbolicTensor, act = true): tf.SymbolicTensor {
  const n = new BatchNorm({ epsilon: 1e-5, momentum: 0.9 }).apply(
    x,
  ) as tf.SymbolicTensor;
  return act ? tf.layers.activation({ activation: "swish" }).apply(n) as tf.SymbolicTensor : n;
}

function mbconv(
  x: tf.SymbolicTensor,
  expand: number,
  outC: number,
  stride: number,
): tf.SymbolicTensor {
  const inC = x.shape[3]!;
  const mid = inC * expand;
  let h = x;
  if (expand !== 1) {
    h = bnSwish(
      tf.layers.conv2d({ filters: mid, kernelSize: 1, useBias: false }).apply(
        h,
      ) as tf.SymbolicTensor,
    );
  }
  h = bnSwish(
    tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: "same", useBias: false })
      .apply(h) as tf.SymbolicTensor,
  );
  const squeezed = Math.max(1, Math.floor(inC / 4));
  let se = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  se = tf.layers.reshape({ targetShape: [1, 1, mid] }).apply(se) as tf.SymbolicTensor;
  se = tf.layers.conv2d({ filters: squeezed, kernelSize: 1, activation: "swish" }).apply(
    se,
  ) as tf.SymbolicTensor;
  se = tf.layers.conv2d({ filters: mid, kernelSize: 1, activation: "sigmoid" }).apply(
    se,
  ) as tf.SymbolicTensor;
  h = tf.layers.multiply().apply([h, se]) as tf.SymbolicTensor;
  h = bnSwish(
    tf.layers.conv2d({ filters: outC, kernelSize: 1, useBias: false }).apply(
      h,
    ) as tf.SymbolicTensor,
    false,
  );
  if (stride === 1 && inC === outC) h = tf.layers.add().apply([h, x]) as tf.SymbolicTensor;
  return h;
}

export function mbconvRegressor(size = 256, inChannels = 1, outputs = 8): tf.LayersModel {
  const input = tf.input({ shape: [size, size, inChannels] });
  let x = bnSwish(
    tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: "same", useBias: false })
      .apply(input) as tf.SymbolicTensor,
  );
  for (const [e, c, s] of MBCONV_BLOCKS) x = mbconv(x, e, c, s);
  x = bnSwish(
    tf.layers.conv2d({ filters: 320, kernelSize: 1, useBias: false }).apply(x) as tf.SymbolicTensor,
  );
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2 }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: outputs }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "mbconv_regressor" });
}

export const BENCH_MODELS = {
  unet: { build: () => referenceUnet(128), input: [128, 128, 1], output: [128, 128, 4], batch: 8 },
  /** The size the segmentation nets train at: what a step allocates matters here (buffer_pool.ts). */
  unet256: {
    build: () => referenceUnet(256),
    input: [256, 256, 1],
    output: [256, 256, 4],
    batch: 16,
  },
  mbconv: { build: () => mbconvRegressor(256), input: [256, 256, 1], output: [8], batch: 8 },
} as const;

export type BenchModelName = keyof typeof BENCH_MODELS;
