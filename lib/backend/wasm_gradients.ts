/**
 * Makes the wasm backend train: it lacks Conv2DBackpropFilter and both depthwise backprops, and
 * its own Conv2DBackpropInput is about 12× slower than a forward conv (STACK-NOTES). Each kernel
 * here runs the op-level formulas of conv_math.ts on wasm's own fast forward kernels.
 */
import * as tf from "@tensorflow/tfjs";
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps,
  depthwiseBackpropFilterOps,
  depthwiseBackpropInputOps,
} from "./conv_math.ts";
import { markDilationAware, registerDilatedConvGradients } from "./gradients.ts";

type Shape4 = [number, number, number, number];
type Formula = (
  a: tf.Tensor4D,
  b: tf.Tensor4D,
  shape: Shape4,
  attrs: tf.NamedAttrMap,
) => tf.Tensor4D;

function geometry(attrs: tf.NamedAttrMap) {
  const pair = (v: unknown): [number, number] =>
    v === undefined || v === null ? [1, 1] : typeof v === "number" ? [v, v] : v as [number, number];
  return {
    strides: pair(attrs.strides),
    dilations: pair(attrs.dilations),
    pad: attrs.pad as "valid" | "same",
    dimRoundingMode: attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
  };
}

const KERNELS: { name: string; inputs: [string, string]; shapeAttr: string; formula: Formula }[] = [
  {
    name: "Conv2DBackpropInput",
    inputs: ["dy", "filter"],
    shapeAttr: "inputShape",
    formula: (dy, filter, shape, attrs) =>
      conv2dBackpropInputOps(shape, dy, filter, geometry(attrs)),
  },
  {
    name: "Conv2DBackpropFilter",
    inputs: ["x", "dy"],
    shapeAttr: "filterShape",
    formula: (x, dy, shape, attrs) => conv2dBackpropFilterOps(x, dy, shape, geometry(attrs)),
  },
  {
    name: "DepthwiseConv2dNativeBackpropInput",
    inputs: ["dy", "filter"],
    shapeAttr: "inputShape",
    formula: (dy, filter, shape, attrs) =>
      depthwiseBackpropInputOps(shape, dy, filter, geometry(attrs)),
  },
  {
    name: "DepthwiseConv2dNativeBackpropFilter",
    inputs: ["x", "dy"],
    shapeAttr: "filterShape",
    formula: (x, dy, shape, attrs) => depthwiseBackpropFilterOps(x, dy, shape, geometry(attrs)),
  },
];

/**
 * A Tensor over a kernel input's data. The engine's makeTensorFromTensorInfo does not count a
 * reference on the backend, so disposing the wrapper would free the caller's data; count one.
 */
function borrow(info: tf.TensorInfo | undefined): tf.Tensor4D {
  if (!info) throw new Error("conv backprop kernel: missing input");
  const t = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
  tf.backend().incRef(info.dataId);
  return t;
}

let added: string[] | undefined;

/** Registers the kernels (once) and returns their names. Call after the wasm backend is set. */
export function registerWasmGradientKernels(): string[] {
  if (added) return added;
  registerDilatedConvGradients();
  for (const k of KERNELS) {
    // Replaces wasm's own (slow) input gradient where it has one.
    if (tf.getKernel(k.name, "wasm")) tf.unregisterKernel(k.name, "wasm");
    tf.registerKernel({
      kernelName: k.name,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs = {} }) => {
        if (attrs.dataFormat === "NCHW") {
          throw new Error(`${k.name} (wasm): only NHWC is supported`);
        }
        return tf.tidy(() => {
          const a = borrow(inputs[k.inputs[0]]);
          const b = borrow(inputs[k.inputs[1]]);
          // Returned as a Tensor, the engine adopts it as the kernel output as it is.
          return tf.keep(k.formula(a, b, attrs[k.shapeAttr] as Shape4, attrs));
        });
      },
    });
  }
  markDilationAware("wasm");
  added = KERNELS.map((k) => k.name);
  return added;
}
