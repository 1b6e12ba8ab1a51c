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
  dilations?: [number, number] | number;
  pad: ConvGeometry["pad"];
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: ConvGeometry["dimRoundingMode"];
}

function pair(v: [number, number] | number | undefined): [number, number] {
  if (v === undefined) return [1, 1];
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
  return tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor4D;
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
