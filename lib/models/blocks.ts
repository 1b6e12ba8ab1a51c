/**
 * Building blocks shared by encoders and decoders: seeded initializers, named conv / BN /
 * activation layers on symbolic tensors. Layer names are explicit and stable (Keras application
 * names for the encoders) so weights can be matched by name across builds and converted models.
 */
import * as tf from "@tensorflow/tfjs";
import type { Initializer } from "@tensorflow/tfjs-layers/dist/initializers";
import { Rng } from "../core/rng.ts";
import { AtrousConv2D, BatchNorm, ResizeTo, Swish } from "./layers.ts";

export type Activation = "relu" | "swish" | "sigmoid" | "tanh" | "linear";

/** Per-build state: the seed stream for initializers. */
export class BuildContext {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  nextSeed(): number {
    return this.rng.nextUint32();
  }

  /** He-normal on fan-out (torchvision's ResNet init, Keras' EfficientNet init). */
  convInit(): Initializer {
    return tf.initializers.varianceScaling({
      scale: 2,
      mode: "fanOut",
      distribution: "truncatedNormal",
      seed: this.nextSeed(),
    });
  }

  denseInit(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }
}

export function apply(
  layer: tf.layers.Layer,
  x: tf.SymbolicTensor | tf.SymbolicTensor[],
): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}

export function spatial(x: tf.SymbolicTensor): [number, number] {
  return [x.shape[1]!, x.shape[2]!];
}

export interface ConvSpec {
  filters: number;
  kernel: number;
  strides?: number;
  dilation?: number;
  useBias?: boolean;
}

export function conv(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  spec: ConvSpec,
  name: string,
): tf.SymbolicTensor {
  const dilation = spec.dilation ?? 1;
  const strides = spec.strides ?? 1;
  if (dilation > 1) {
    if (strides !== 1) throw new RangeError(`${name}: a dilated convolution must have stride 1`);
    return apply(
      new AtrousConv2D({
        name,
        filters: spec.filters,
        kernelSize: spec.kernel,
        dilationRate: dilation,
        useBias: spec.useBias ?? false,
        kernelInitializer: ctx.convInit(),
      }),
      x,
    );
  }
  return apply(
    tf.layers.conv2d({
      name,
      filters: spec.filters,
      kernelSize: spec.kernel,
      strides,
      padding: "same",
      useBias: spec.useBias ?? false,
      kernelInitializer: ctx.convInit(),
    }),
    x,
  );
}

export function depthwiseConv(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  kernel: number,
  strides: number,
  name: string,
): tf.SymbolicTensor {
  return apply(
    tf.layers.depthwiseConv2d({
      name,
      kernelSize: kernel,
      strides,
      padding: "same",
      useBias: false,
      depthwiseInitializer: ctx.convInit(),
    }),
    x,
  );
}

export interface BnSpec {
  epsilon?: number;
  momentum?: number;
}

/** Batch norm with PyTorch's defaults (momentum 0.9 in Keras terms): short CPU runs need fresh statistics. */
export function batchNorm(
  x: tf.SymbolicTensor,
  name: string,
  spec: BnSpec = {},
): tf.SymbolicTensor {
  return apply(
    new BatchNorm({
      name,
      axis: -1,
      epsilon: spec.epsilon ?? 1e-5,
      momentum: spec.momentum ?? 0.9,
    }),
    x,
  );
}

export function activation(
  x: tf.SymbolicTensor,
  kind: Activation,
  name: string,
): tf.SymbolicTensor {
  if (kind === "swish") return apply(new Swish({ name }), x);
  return apply(tf.layers.activation({ name, activation: kind }), x);
}

/** conv → BN → activation, named `<prefix>_conv`, `<prefix>_bn`, `<prefix>_<act>`. */
export function convBnAct(
  ctx: BuildContext,
  x: tf.SymbolicTensor,
  spec: ConvSpec,
  prefix: string,
  act: Activation = "relu",
): tf.SymbolicTensor {
  const y = batchNorm(conv(ctx, x, spec, `${prefix}_conv`), `${prefix}_bn`);
  return act === "linear" ? y : activation(y, act, `${prefix}_${act}`);
}

export function resizeTo(
  x: tf.SymbolicTensor,
  size: [number, number],
  name: string,
  method: "bilinear" | "nearest" = "bilinear",
): tf.SymbolicTensor {
  const [h, w] = spatial(x);
  if (h === size[0] && w === size[1]) return x;
  return apply(new ResizeTo({ name, height: size[0], width: size[1], method }), x);
}

/** Crop bottom/right rows so that `x` (e.g. a transposed-conv output) matches `size`. */
export function cropTo(
  x: tf.SymbolicTensor,
  size: [number, number],
  name: string,
): tf.SymbolicTensor {
  const [h, w] = spatial(x);
  if (h === size[0] && w === size[1]) return x;
  if (h < size[0] || w < size[1]) {
    throw new RangeError(`${name}: cannot crop ${h}×${w} to the larger ${size[0]}×${size[1]}`);
  }
  return apply(tf.layers.cropping2D({ name, cropping: [[0, h - size[0]], [0, w - size[1]]] }), x);
}

export function concat(xs: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return apply(tf.layers.concatenate({ name, axis: -1 }), xs);
}

export function add(xs: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return apply(tf.layers.add({ name }), xs);
}

export function multiply(xs: tf.SymbolicTensor[], name: string): tf.SymbolicTensor {
  return apply(tf.layers.multiply({ name }), xs);
}
