/**
 * Makes the wasm backend train: it lacks Conv2DBackpropFilter and both depthwise backprops, and
 * its own Conv2DBackpropInput is about 12× slower than a forward conv (STACK-NOTES). Those kernels
 * here run the op-level formulas of conv_math.ts on wasm's own fast forward kernels. Its
 * MaxPoolGrad, ResizeNearestNeighborGrad and half-pixel ResizeBilinearGrad disagree with the cpu
 * reference (tests/backend/kernels.test.ts), so those run the JS kernels of js_kernels.ts on a copy.
 */
import * as tf from "@tensorflow/tfjs";
import {
  conv2dBackpropFilterOps,
  conv2dBackpropInputOps,
  depthwiseBackpropFilterOps,
  depthwiseBackpropInputOps,
} from "./conv_math.ts";
import { markDilationAware, registerDilatedConvGradients } from "./gradients.ts";
import { maxPoolGrad, resizeBilinearGrad, resizeNearestGrad } from "./js_kernels.ts";

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

type JsKernel = (inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap) => tf.Tensor;

function resizeGrad(grad: typeof resizeBilinearGrad): JsKernel {
  return ({ images, dy }, attrs) => {
    const [, oh, ow] = dy.shape;
    const dx = grad(
      dy.dataSync() as Float32Array,
      images.shape,
      oh,
      ow,
      !!attrs.alignCorners,
      !!attrs.halfPixelCenters,
    );
    return tf.tensor(dx, images.shape);
  };
}

const JS_KERNELS: Record<string, JsKernel> = {
  MaxPoolGrad: ({ dy, input }, attrs) => {
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      attrs.filterSize as [number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as "same" | "valid",
      attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    );
    const g = { ...info, padTop: info.padInfo.top, padLeft: info.padInfo.left };
    return tf.tensor(
      maxPoolGrad(input.dataSync() as Float32Array, dy.dataSync() as Float32Array, g),
      input.shape,
    );
  },
  ResizeBilinearGrad: resizeGrad(resizeBilinearGrad),
  ResizeNearestNeighborGrad: resizeGrad(resizeNearestGrad),
};

function registerWasmKernel(
  name: string,
  run: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => tf.Tensor,
) {
  if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    // Returned as a Tensor, the engine adopts it as the kernel output as it is. No tf.keep: a kept
    // tensor escapes every enclosing tidy, which leaked one tensor per call while training.
    kernelFunc: ({ inputs, attrs = {} }) => tf.tidy(() => run(inputs, attrs)),
  });
}

let added: string[] | undefined;

/** Registers the kernels (once) and returns their names. Call after the wasm backend is set. */
export function registerWasmGradientKernels(): string[] {
  if (added) return added;
  registerDilatedConvGradients();
  for (const k of KERNELS) {
    registerWasmKernel(k.name, (inputs, attrs) => {
      if (attrs.dataFormat === "NCHW") throw new Error(`${k.name} (wasm): only NHWC is supported`);
      return k.formula(
        borrow(inputs[k.inputs[0]]),
        borrow(inputs[k.inputs[1]]),
        attrs[k.shapeAttr] as Shape4,
        attrs,
      );
    });
  }
  for (const [name, run] of Object.entries(JS_KERNELS)) {
    registerWasmKernel(name, (inputs, attrs) => {
      const borrowed = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, borrow(v)]));
      return run(borrowed, attrs);
    });
  }
  markDilationAware("wasm");
  added = [...KERNELS.map((k) => k.name), ...Object.keys(JS_KERNELS)];
  return added;
}
