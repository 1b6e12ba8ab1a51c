/**
 * Gradients for dilated (atrous) convolutions. tfjs 4.22's own Conv2D and DepthwiseConv2dNative
 * gradients refuse dilation rates > 1, which DeepLabV3+'s ASPP needs. These replacements keep
 * tfjs's behaviour for dilation 1 and, for dilation > 1, either pass `dilations` to the backprop
 * kernels of backends whose kernels honour it (cpu-dnnl, wasm once ours are registered) or fall
 * back to the op-level formulas in conv_math.ts.
 *
 * Note: `tf.fused.conv2d` (what tf.layers.conv2d calls) has its own closure gradient that still
 * refuses dilation > 1; dilated layers must call `tf.conv2d` / `tf.depthwiseConv2d` (unfused).
 */
import * as tf from "@tensorflow/tfjs";
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps,
  type ConvGeometry,
  depthwiseBackpropFilterOps,
  depthwiseBackpropInputOps,
} from "./conv_math.ts";

const dilationAwareBackends = new Set<string>();

/** Declares that `backend`'s conv backprop kernels read the `dilations` attribute. */
export function markDilationAware(backend: string): void {
  dilationAwareBackends.add(backend);
}

interface ConvAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number | null;
  pad: ConvGeometry["pad"];
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: ConvGeometry["dimRoundingMode"];
}

function pair(v: [number, number] | number | null | undefined): [number, number] {
  if (v === undefined || v === null) return [1, 1]; // tf.layers passes null for "no dilation"
  return typeof v === "number" ? [v, v] : v;
}

function geometry(attrs: ConvAttrs): ConvGeometry {
  return {
    strides: pair(attrs.strides),
    dilations: pair(attrs.dilations),
    pad: attrs.pad,
    dimRoundingMode: attrs.dimRoundingMode,
  };
}

function kernelsHandle(g: ConvGeometry): boolean {
  return (g.dilations[0] === 1 && g.dilations[1] === 1) ||
    dilationAwareBackends.has(tf.getBackend());
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor4D {
  return tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

let registered = false;

/** Replaces the Conv2D and DepthwiseConv2dNative gradients (global in tfjs; idempotent). */
export function registerDilatedConvGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: "Conv2D",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as tf.Tensor4D[];
      const a = attrs as unknown as ConvAttrs;
      if (a.dataFormat === "NCHW") throw new Error("Conv2D gradient: only NHWC is supported");
      const g = geometry(a);
      const dy4 = dy as tf.Tensor4D;
      const common = {
        strides: g.strides,
        pad: g.pad,
        dataFormat: "NHWC",
        dimRoundingMode: g.dimRoundingMode,
        dilations: g.dilations,
      };
      if (kernelsHandle(g)) {
        return {
          x: () =>
            run("Conv2DBackpropInput", { dy: dy4, filter }, { ...common, inputShape: x.shape }),
          filter: () =>
            run("Conv2DBackpropFilter", { x, dy: dy4 }, { ...common, filterShape: filter.shape }),
        };
      }
      return {
        x: () => conv2dBackpropInputOps(x.shape, dy4, filter, g),
        filter: () => conv2dBackpropFilterOps(x, dy4, filter.shape, g),
      };
    },
  });
  tf.registerGradient({
    kernelName: "DepthwiseConv2dNative",
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as tf.Tensor4D[];
      const a = attrs as unknown as ConvAttrs;
      const g = geometry(a);
      const dy4 = dy as tf.Tensor4D;
      const common = {
        strides: g.strides,
        pad: g.pad,
        dimRoundingMode: g.dimRoundingMode,
        dilations: g.dilations,
      };
      if (kernelsHandle(g)) {
        return {
          x: () =>
            run("DepthwiseConv2dNativeBackpropInput", { dy: dy4, filter }, {
              ...common,
              inputShape: x.shape,
            }),
          filter: () =>
            run("DepthwiseConv2dNativeBackpropFilter", { x, dy: dy4 }, {
              ...common,
              filterShape: filter.shape,
            }),
        };
      }
      return {
        x: () => depthwiseBackpropInputOps(x.shape, dy4, filter, g),
        filter: () => depthwiseBackpropFilterOps(x, dy4, filter.shape, g),
      };
    },
  });
}

function backendHas(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

function allFloat32(...ts: (tf.Tensor | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === "float32");
}

let fusedRegistered = false;

/**
 * Gradients that cost one or two passes instead of tfjs's chains of full-size ops. Each keeps
 * tfjs's list of saved tensors (its fallback receives them) and calls
 * a fused kernel (Biometry*Grad) when the active backend registers it and otherwise runs tfjs's
 * own gradient, so other backends are unaffected. The Mean gradient is rewritten for every
 * backend: broadcasting dy/n directly equals tfjs's dy·ones/n without two full-size temporaries.
 */
export function registerFusedGradients(): void {
  if (fusedRegistered) return;
  fusedRegistered = true;
  const relu = tf.getGradient("Relu");
  const sigmoid = tf.getGradient("Sigmoid");
  const square = tf.getGradient("Square");
  const batchNorm = tf.getGradient("FusedBatchNorm");
  tf.registerGradient({
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (!backendHas("BiometryReluGrad") || !allFloat32(dy as tf.Tensor, x)) {
        return relu.gradFunc(dy, saved, attrs);
      }
      return { x: () => run("BiometryReluGrad", { dy: dy as tf.Tensor, x }, {}) };
    },
  });
  tf.registerGradient({
    kernelName: "Sigmoid",
    outputsToSave: [true], // tfjs's own save list: its gradient is the fallback below
    gradFunc: (dy, saved, attrs) => {
      const [y] = saved;
      if (!backendHas("BiometrySigmoidGrad") || !allFloat32(dy as tf.Tensor, y)) {
        return sigmoid.gradFunc(dy, saved, attrs);
      }
      return { x: () => run("BiometrySigmoidGrad", { dy: dy as tf.Tensor, y }, {}) };
    },
  });
  tf.registerGradient({
    kernelName: "Square",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (!backendHas("BiometrySquareGrad") || !allFloat32(dy as tf.Tensor, x)) {
        return square.gradFunc(dy, saved, attrs);
      }
      return { x: () => run("BiometrySquareGrad", { dy: dy as tf.Tensor, x }, {}) };
    },
  });
  tf.registerGradient({
    kernelName: "FusedBatchNorm",
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved;
      const C = x.shape[x.rank - 1];
      const vectors = [mean, variance, scale].every((s) =>
        s === undefined || (s.rank === 1 && s.shape[0] === C)
      );
      if (
        !backendHas("BiometryBatchNormGrad") || !vectors ||
        !allFloat32(dy as tf.Tensor, x, mean, variance, scale)
      ) {
        return batchNorm.gradFunc(dy, saved, attrs);
      }
      const inputs: tf.NamedTensorMap = {
        dy: dy as tf.Tensor,
        x,
        mean,
        variance,
        ...(scale ? { scale } : {}),
      };
      const [dx, dMean, dVar, dScale, dOffset] = tf.engine().runKernel(
        "BiometryBatchNormGrad",
        inputs,
        { varianceEpsilon: (attrs as { varianceEpsilon: number }).varianceEpsilon },
      ) as tf.Tensor[];
      return {
        x: () => dx,
        mean: () => dMean,
        variance: () => dVar,
        scale: () => dScale,
        offset: () => dOffset,
      };
    },
  });
  tf.registerGradient({
    kernelName: "Mean",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const n = axes.reduce((p, a) => p * x.shape[a], 1);
      const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.broadcastTo(tf.div((dy as tf.Tensor).reshape(expanded), n), x.shape) };
    },
  });
}
