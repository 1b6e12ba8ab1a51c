/**
 * Kernel replacements for the `cpu-dnnl` backend: oneDNN convolutions plus the fast JS kernels of
 * js_kernels.ts. Each `run` returns undefined for a case it does not cover (NCHW, int dtypes,
 * PReLU…) and the backend then calls tfjs's own cpu kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { type ConvPrimitives, POST_OPS } from "./dnnl/conv.ts";
import type { EltwisePrimitives } from "./dnnl/eltwise.ts";
import type { PoolPrimitives } from "./dnnl/pool.ts";
import type { NormPrimitives } from "./dnnl/norm.ts";
import type { BinaryPrimitives } from "./dnnl/binary.ts";
import { C } from "./dnnl/ffi.ts";
import type { BufferPool } from "./buffer_pool.ts";
import {
  addBatchStatsGrad,
  batchNorm,
  batchNormGrad,
  binary,
  BINARY_OPS,
  type BinaryOpName,
  broadcastShape,
  concat,
  reduce,
  type ReduceOp,
  reluGrad,
  resizeBilinearGrad,
  resizeNearestGrad,
  sigmoidGrad,
  sizeOf,
  slice,
  squareGrad,
  tile,
  unary,
  UNARY_OPS,
  type UnaryOpName,
} from "./js_kernels.ts";

type Backend = tf.MathBackendCPU;
export type KernelArgs = Parameters<tf.KernelFunc>[0];
type Attrs = Record<string, unknown>;
type Output = tf.TensorInfo | tf.TensorInfo[] | undefined;

/** The oneDNN primitive caches the kernels draw on. */
export interface Native {
  conv: ConvPrimitives;
  eltwise: EltwisePrimitives;
  pooling: PoolPrimitives;
  norm: NormPrimitives;
  binary: BinaryPrimitives;
  pool: BufferPool;
}

export interface KernelOverride {
  name: string;
  run(args: KernelArgs, native: Native): Output;
}

/**
 * A float32 tensor's values as a Float32Array. tfjs casts bool and int32 to float32 without copying
 * (no precision is lost), so the array can still be a Uint8Array or an Int32Array; a native kernel
 * would read its bytes as floats (and past its end), so such arrays are converted.
 */
function values(backend: Backend, t: tf.TensorInfo): Float32Array {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

function f32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === "float32");
}

function pair(v: unknown): [number, number] {
  if (v === undefined || v === null) return [1, 1];
  return typeof v === "number" ? [v, v] : v as [number, number];
}

function convInfo(xShape: number[], filterShape: number[], a: Attrs, depthwise: boolean) {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(a.strides),
    pair(a.dilations),
    a.pad as "same" | "valid",
    a.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    depthwise,
  );
}

/** Forward conv (plain or fused with bias + activation), regular or depthwise. */
function convForward(depthwise: boolean, fused: boolean) {
  return (
    { inputs: { x, filter, bias, preluActivationWeights }, backend, attrs = {} }: KernelArgs,
    { conv, pool }: Native,
  ) => {
    const activation = fused ? (attrs.activation as string) ?? "linear" : "linear";
    if (attrs.dataFormat === "NCHW" || preluActivationWeights || !(activation in POST_OPS)) {
      return undefined;
    }
    if (!f32(x, filter, bias) || (bias && bias.shape.length !== 1)) return undefined;
    const b = backend as Backend;
    const info = convInfo(x!.shape, filter!.shape, attrs, depthwise);
    if (bias && bias.shape[0] !== info.outChannels) return undefined;
    const out = pool.alloc(sizeOf(info.outShape));
    const arrays = bias
      ? [values(b, x!), values(b, filter!), values(b, bias), out]
      : [values(b, x!), values(b, filter!), out];
    conv.forward(info, depthwise, bias !== undefined, activation).execute(arrays);
    return b.makeTensorInfo(info.outShape, "float32", out);
  };
}

function convBackpropInput(depthwise: boolean) {
  return ({ inputs: { dy, filter }, backend, attrs = {} }: KernelArgs, { conv, pool }: Native) => {
    if (attrs.dataFormat === "NCHW" || !f32(dy, filter)) return undefined;
    const b = backend as Backend;
    const info = convInfo(attrs.inputShape as number[], filter!.shape, attrs, depthwise);
    const out = pool.alloc(sizeOf(info.inShape));
    conv.backwardData(info, depthwise).execute([values(b, dy!), values(b, filter!), out]);
    return b.makeTensorInfo(info.inShape, "float32", out);
  };
}

function convBackpropFilter(depthwise: boolean) {
  return ({ inputs: { x, dy }, backend, attrs = {} }: KernelArgs, { conv, pool }: Native) => {
    if (attrs.dataFormat === "NCHW" || !f32(x, dy)) return undefined;
    const b = backend as Backend;
    const filterShape = attrs.filterShape as number[];
    const info = convInfo(x!.shape, filterShape, attrs, depthwise);
    const out = pool.alloc(sizeOf(filterShape));
    conv.backwardWeights(info, depthwise).execute([values(b, x!), values(b, dy!), out]);
    return b.makeTensorInfo(filterShape, "float32", out);
  };
}

const CONV_KERNELS: KernelOverride[] = [
  { name: "Conv2D", run: convForward(false, false) },
  { name: "FusedConv2D", run: convForward(false, true) },
  { name: "DepthwiseConv2dNative", run: convForward(true, false) },
  { name: "FusedDepthwiseConv2D", run: convForward(true, true) },
  { name: "Conv2DBackpropInput", run: convBackpropInput(false) },
  { name: "DepthwiseConv2dNativeBackpropInput", run: convBackpropInput(true) },
  { name: "Conv2DBackpropFilter", run: convBackpropFilter(false) },
  { name: "DepthwiseConv2dNativeBackpropFilter", run: convBackpropFilter(true) },
];

function isScalarOne(be: Backend, t: tf.TensorInfo): boolean {
  return sizeOf(t.shape) === 1 && values(be, t)[0] === 1;
}

/** oneDNN algorithms for ops worth a native call; whether a·b = b·a decides operand swapping. */
const NATIVE_BINARY: Partial<Record<BinaryOpName, { alg: number; commutes: boolean }>> = {
  Add: { alg: C.alg.binaryAdd, commutes: true },
  Multiply: { alg: C.alg.binaryMul, commutes: true },
  Sub: { alg: C.alg.binarySub, commutes: false },
  RealDiv: { alg: C.alg.binaryDiv, commutes: false },
};

/** Below this many output elements a JS loop beats the FFI and primitive-lookup overhead. */
const NATIVE_MIN = 1 << 16;

/** oneDNN binary when one operand has the full output shape and the other broadcasts into it. */
function nativeBinary(
  op: BinaryOpName,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  be: Backend,
  native: Native,
) {
  const spec = NATIVE_BINARY[op];
  const out = broadcastShape(a.shape, b.shape);
  if (!spec || !out || out.length === 0 || out.length > 5 || sizeOf(out) < NATIVE_MIN) {
    return undefined;
  }
  const full = (t: tf.TensorInfo) =>
    t.shape.length === out.length && t.shape.every((d, i) => d === out[i]);
  const [first, second] = full(a)
    ? [a, b]
    : spec.commutes && full(b)
    ? [b, a]
    : [undefined, undefined];
  if (!first || !second) return undefined;
  const padded = [...new Array(out.length - second.shape.length).fill(1), ...second.shape];
  const result = native.pool.alloc(sizeOf(out));
  native.binary.forward(spec.alg, out, padded).execute([
    values(be, first),
    values(be, second),
    result,
  ]);
  return be.makeTensorInfo(out, "float32", result);
}

const BINARY_KERNELS: KernelOverride[] = (Object.keys(BINARY_OPS) as BinaryOpName[]).map((op) => ({
  name: op,
  run: ({ inputs: { a, b }, backend }: KernelArgs, native: Native) => {
    if (!f32(a, b)) return undefined;
    const be = backend as Backend;
    if (op === "Multiply") {
      // tf.layers' swish is sigmoid(x·α)·x with α = 1: x·1 is x, and tensors are immutable, so
      // share the data (as tfjs's Identity kernel does) instead of a full pass.
      const one = isScalarOne(be, b!) ? a! : isScalarOne(be, a!) ? b! : undefined;
      const outShape = broadcastShape(a!.shape, b!.shape);
      if (
        one && outShape && outShape.length === one.shape.length &&
        sizeOf(outShape) === sizeOf(one.shape)
      ) {
        be.incRef(one.dataId);
        return { dataId: one.dataId, shape: one.shape, dtype: "float32" };
      }
    }
    const viaNative = nativeBinary(op, a!, b!, be, native);
    if (viaNative) return viaNative;
    const r = binary(op, values(be, a!), a!.shape, values(be, b!), b!.shape);
    return r && be.makeTensorInfo(r.shape, "float32", r.values);
  },
}));

/** Ops whose JS form is dominated by Math.exp: oneDNN's vectorised eltwise instead. */
const NATIVE_UNARY: KernelOverride[] =
  ([["Sigmoid", C.alg.logistic], ["Exp", C.alg.exp], ["Tanh", C.alg.tanh]] as const).map(
    ([name, alg]) => ({
      name,
      run: ({ inputs: { x }, backend }: KernelArgs, { eltwise, pool }: Native) => {
        if (!f32(x)) return undefined;
        const be = backend as Backend;
        const xv = values(be, x!);
        return be.makeTensorInfo(
          x!.shape,
          "float32",
          eltwise.forward(alg, xv, pool.alloc(xv.length)),
        );
      },
    }),
  );

const UNARY_KERNELS: KernelOverride[] = (Object.keys(UNARY_OPS) as UnaryOpName[]).map((op) => ({
  name: op,
  run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs) => {
    if (!f32(x)) return undefined;
    const be = backend as Backend;
    return be.makeTensorInfo(
      x!.shape,
      "float32",
      unary(op, values(be, x!), (attrs.alpha as number) ?? 0),
    );
  },
}));

/**
 * Mean over H and W of NHWC (global average pooling, as in squeeze-excitation) through oneDNN's
 * average pooling with one window per image: vectorised over channels, where the JS loop adds
 * one float at a time (MBConv inference: its 9 global pools 13.9 → 1.8 ms).
 */
function globalAveragePool(x: tf.TensorInfo, be: Backend, { pooling, pool }: Native) {
  const [n, h, w, c] = x.shape;
  const info = tf.backend_util.computePool2DInfo([n, h, w, c], [h, w], [h, w], 1, "valid");
  const out = pool.alloc(n * c);
  pooling.forward(info, false).execute([values(be, x), out]);
  return out;
}

function reduction(name: string, op: ReduceOp, axisAttr: string, mean: boolean): KernelOverride {
  return {
    name,
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs, native: Native) => {
      if (!f32(x)) return undefined;
      const be = backend as Backend;
      const shape = x!.shape;
      const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], shape);
      const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const outShape = attrs.keepDims ? kept : shape.filter((_, i) => !axes.includes(i));
      if (
        mean && shape.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2) &&
        sizeOf(shape) >= NATIVE_MIN
      ) {
        return be.makeTensorInfo(outShape, "float32", globalAveragePool(x!, be, native));
      }
      const out = reduce(op, values(be, x!), shape, axes);
      if (mean) {
        const n = axes.reduce((p, a) => p * shape[a], 1);
        for (let i = 0; i < out.length; i++) out[i] /= n;
      }
      return be.makeTensorInfo(outShape, "float32", out);
    },
  };
}

/** The pooling geometry of an NHWC input from a pool kernel's (or its gradient's) attributes. */
function poolInfo(shape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid",
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  );
}

function poolForward(max: boolean): KernelOverride {
  return {
    name: max ? "MaxPool" : "AvgPool",
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs, { pooling, pool }: Native) => {
      if (!f32(x) || x!.shape.length !== 4) return undefined;
      const be = backend as Backend;
      const info = poolInfo(x!.shape, attrs);
      const out = pool.alloc(sizeOf(info.outShape));
      pooling.forward(info, max).execute([values(be, x!), out]);
      return be.makeTensorInfo(info.outShape, "float32", out);
    },
  };
}

/** Max-pool dx through oneDNN's forward-training workspace (dnnl/pool.ts `maxGrad`). */
const MAX_POOL_GRAD: KernelOverride = {
  name: "MaxPoolGrad",
  run: ({ inputs: { dy, input }, backend, attrs = {} }: KernelArgs, { pooling, pool }: Native) => {
    if (!f32(dy, input) || input!.shape.length !== 4) return undefined;
    const be = backend as Backend;
    const info = poolInfo(input!.shape, attrs);
    const grad = pooling.maxGrad(info);
    grad.forward.execute([values(be, input!), grad.dst, grad.workspace]);
    const dx = pool.alloc(sizeOf(input!.shape));
    grad.backward.execute([values(be, dy!), grad.workspace, dx]);
    return be.makeTensorInfo(input!.shape, "float32", dx);
  },
};

const COPY_KERNELS: KernelOverride[] = [
  {
    name: "Concat",
    run: ({ inputs, backend, attrs = {} }: KernelArgs) => {
      const xs = Object.values(inputs) as tf.TensorInfo[];
      if (xs.length === 0 || !f32(...xs) || xs.some((x) => sizeOf(x.shape) === 0)) return undefined;
      const be = backend as Backend;
      const axis = tf.util.parseAxisParam(attrs.axis as number, xs[0].shape)[0];
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((p, x) => p + x.shape[axis], 0);
      const out = concat(xs.map((x) => values(be, x)), xs.map((x) => x.shape), axis);
      return be.makeTensorInfo(shape, "float32", out);
    },
  },
  {
    name: "Slice",
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs) => {
      if (!f32(x)) return undefined;
      const be = backend as Backend;
      const [begin, size] = tf.slice_util.parseSliceParams(
        x!,
        attrs.begin as number[],
        attrs.size as number[],
      );
      return be.makeTensorInfo(size, "float32", slice(values(be, x!), x!.shape, begin, size));
    },
  },
  {
    name: "SplitV",
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs) => {
      if (!f32(x)) return undefined;
      const be = backend as Backend;
      const axis = tf.util.parseAxisParam(attrs.axis as number, x!.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(
        x!,
        attrs.numOrSizeSplits as number[] | number,
        axis,
      );
      const begin = new Array<number>(x!.shape.length).fill(0);
      const xv = values(be, x!);
      return sizes.map((s) => {
        const size = [...x!.shape];
        size[axis] = s;
        const out = be.makeTensorInfo(size, "float32", slice(xv, x!.shape, begin, size));
        begin[axis] += s;
        return out;
      });
    },
  },
  {
    name: "Tile",
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs) => {
      if (!f32(x)) return undefined;
      const be = backend as Backend;
      const r = tile(values(be, x!), x!.shape, attrs.reps as number[]);
      return be.makeTensorInfo(r.shape, "float32", r.values);
    },
  },
];

/** True when every statistic is a vector over x's last axis (tf.layers' batch norm). */
function channelStats(x: tf.TensorInfo, ...stats: (tf.TensorInfo | undefined)[]): boolean {
  const C = x.shape[x.shape.length - 1];
  return stats.every((s) => s === undefined || (s.shape.length === 1 && s.shape[0] === C));
}

const BATCH_NORM: KernelOverride = {
  name: "FusedBatchNorm",
  run: (
    { inputs: { x, mean, variance, scale, offset }, backend, attrs = {} }: KernelArgs,
    { norm, pool }: Native,
  ) => {
    if (
      !f32(x, mean, variance, scale, offset) || !channelStats(x!, mean, variance, scale, offset)
    ) return undefined;
    const be = backend as Backend;
    const eps = (attrs.varianceEpsilon as number) ?? 0.001;
    if (x!.shape.length !== 4 && x!.shape.length !== 2) {
      const v = (t: tf.TensorInfo | undefined) => (t ? values(be, t) : undefined);
      const out = batchNorm(values(be, x!), v(mean)!, v(variance)!, v(scale), v(offset), eps);
      return be.makeTensorInfo(x!.shape, "float32", out);
    }
    const out = pool.alloc(sizeOf(x!.shape));
    const arrays = [values(be, x!), values(be, mean!), values(be, variance!)];
    if (scale) arrays.push(values(be, scale));
    if (offset) arrays.push(values(be, offset));
    norm.forward(x!.shape, eps, scale !== undefined, offset !== undefined).execute([
      ...arrays,
      out,
    ]);
    return be.makeTensorInfo(x!.shape, "float32", out);
  },
};

/** Native kernels with no tfjs counterpart: swish x·σ(αx) and its gradient (see swish.ts). */
export const NATIVE_KERNELS: KernelOverride[] = [
  {
    name: "BiometrySwish",
    run: ({ inputs: { x }, backend, attrs = {} }: KernelArgs, { eltwise, pool }: Native) => {
      if (!f32(x)) return undefined;
      const be = backend as Backend;
      const xv = values(be, x!);
      const y = eltwise.forward(C.alg.swish, xv, pool.alloc(xv.length), attrs.alpha as number);
      return be.makeTensorInfo(x!.shape, "float32", y);
    },
  },
  {
    name: "BiometrySwishGrad",
    run: ({ inputs: { dy, x }, backend, attrs = {} }: KernelArgs, { eltwise, pool }: Native) => {
      if (!f32(dy, x)) return undefined;
      const be = backend as Backend;
      const xv = values(be, x!);
      const dx = eltwise.backward(
        C.alg.swish,
        xv,
        values(be, dy!),
        pool.alloc(xv.length),
        attrs.alpha as number,
      );
      return be.makeTensorInfo(x!.shape, "float32", dx);
    },
  },
  // Batch norm with batch statistics and its gradient (see batch_norm_training.ts).
  {
    name: "BiometryBatchNormTrain",
    run: ({ inputs: { x, scale, offset }, backend, attrs = {} }: KernelArgs, native: Native) => {
      if (!batchNormTrainable(x, scale, offset)) return undefined;
      const be = backend as Backend;
      const c = x!.shape[x!.shape.length - 1];
      const y = native.pool.alloc(sizeOf(x!.shape));
      const mean = new Float32Array(c), variance = new Float32Array(c);
      native.norm.training(x!.shape, attrs.varianceEpsilon as number).execute([
        values(be, x!),
        values(be, scale!),
        values(be, offset!),
        y,
        mean,
        variance,
      ]);
      return [
        be.makeTensorInfo(x!.shape, "float32", y),
        be.makeTensorInfo([c], "float32", mean),
        be.makeTensorInfo([c], "float32", variance),
      ];
    },
  },
  {
    name: "BiometryBatchNormTrainGrad",
    run: (
      { inputs: { dy, x, mean, variance, scale, offset, dMean, dVar }, backend, attrs = {} }:
        KernelArgs,
      native: Native,
    ) => {
      if (!batchNormTrainable(x, scale, offset, mean, variance, dMean, dVar) || !f32(dy)) {
        return undefined;
      }
      const be = backend as Backend;
      const c = x!.shape[x!.shape.length - 1];
      const xv = values(be, x!), mv = values(be, mean!);
      const dx = native.pool.alloc(xv.length);
      const dScale = new Float32Array(c), dOffset = new Float32Array(c);
      native.norm.backward(x!.shape, attrs.varianceEpsilon as number).execute([
        xv,
        mv,
        values(be, variance!),
        values(be, dy!),
        values(be, scale!),
        values(be, offset!),
        dx,
        dScale,
        dOffset,
      ]);
      // Gradients arriving at μ and σ² as outputs (zeros when only y reaches the loss).
      const dm = values(be, dMean!), dv = values(be, dVar!);
      if (dm.some((v) => v !== 0) || dv.some((v) => v !== 0)) addBatchStatsGrad(dx, xv, mv, dm, dv);
      return [
        be.makeTensorInfo(x!.shape, "float32", dx),
        be.makeTensorInfo([c], "float32", dScale),
        be.makeTensorInfo([c], "float32", dOffset),
      ];
    },
  },
];

/** x is float32 NHWC or NC and every other tensor a float32 vector over its channels. */
function batchNormTrainable(
  x: tf.TensorInfo | undefined,
  ...vectors: (tf.TensorInfo | undefined)[]
) {
  return x !== undefined && (x.shape.length === 4 || x.shape.length === 2) &&
    vectors.every((v) => v !== undefined) && f32(x, ...vectors) && channelStats(x, ...vectors);
}

/** Kernels with no tfjs counterpart, used by the fused gradients of gradients.ts. */
export const FUSED_GRADIENT_KERNELS: tf.KernelConfig[] = [
  {
    kernelName: "BiometrySigmoidGrad",
    backendName: "",
    kernelFunc: ({ inputs, backend }) => {
      const be = backend as Backend;
      const { dy, y } = inputs as Record<string, tf.TensorInfo>;
      return be.makeTensorInfo(y.shape, "float32", sigmoidGrad(values(be, dy), values(be, y)));
    },
  },
  {
    kernelName: "BiometryReluGrad",
    backendName: "",
    kernelFunc: ({ inputs, backend }) => {
      const be = backend as Backend;
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      return be.makeTensorInfo(x.shape, "float32", reluGrad(values(be, dy), values(be, x)));
    },
  },
  {
    kernelName: "BiometrySquareGrad",
    backendName: "",
    kernelFunc: ({ inputs, backend }) => {
      const be = backend as Backend;
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      return be.makeTensorInfo(x.shape, "float32", squareGrad(values(be, dy), values(be, x)));
    },
  },
  {
    kernelName: "BiometryBatchNormGrad",
    backendName: "",
    kernelFunc: ({ inputs, backend, attrs = {} }) => {
      const be = backend as Backend;
      const { dy, x, mean, variance, scale } = inputs as Record<string, tf.TensorInfo>;
      const g = batchNormGrad(
        values(be, dy),
        values(be, x),
        values(be, mean),
        values(be, variance),
        scale ? values(be, scale) : undefined,
        attrs.varianceEpsilon as number,
      );
      const C = mean.shape;
      return [
        be.makeTensorInfo(x.shape, "float32", g.dx),
        be.makeTensorInfo(C, "float32", g.dMean),
        be.makeTensorInfo(C, "float32", g.dVar),
        be.makeTensorInfo(C, "float32", g.dScale),
        be.makeTensorInfo(C, "float32", g.dOffset),
      ];
    },
  },
];

function resizeGrad(name: string, grad: typeof resizeBilinearGrad): KernelOverride {
  return {
    name,
    run: ({ inputs: { images, dy }, backend, attrs = {} }: KernelArgs) => {
      if (!f32(images, dy)) return undefined;
      const be = backend as Backend;
      const [, oh, ow] = dy!.shape;
      const dx = grad(
        values(be, dy!),
        images!.shape,
        oh,
        ow,
        !!attrs.alignCorners,
        !!attrs.halfPixelCenters,
      );
      return be.makeTensorInfo(images!.shape, "float32", dx);
    },
  };
}

export const KERNEL_OVERRIDES: KernelOverride[] = [
  resizeGrad("ResizeBilinearGrad", resizeBilinearGrad),
  resizeGrad("ResizeNearestNeighborGrad", resizeNearestGrad),
  BATCH_NORM,
  ...CONV_KERNELS,
  ...BINARY_KERNELS,
  ...UNARY_KERNELS,
  ...NATIVE_UNARY,
  reduction("Sum", "sum", "axis", false),
  reduction("Mean", "sum", "axis", true),
  reduction("Max", "max", "reductionIndices", false),
  reduction("Min", "min", "axis", false),
  ...COPY_KERNELS,
  poolForward(true),
  poolForward(false),
  MAX_POOL_GRAD,
];
