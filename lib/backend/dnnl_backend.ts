/**
 * The `cpu-dnnl` tfjs backend: a MathBackendCPU (tensors are plain JS typed arrays, so native code
 * reads and writes them in place) with every `cpu` kernel, where the hot ones are replaced by
 * oneDNN primitives. Anything a replacement does not cover (NCHW, int dtypes, PReLU…) runs the
 * original cpu kernel, so the backend is always complete.
 */
import * as tf from "@tensorflow/tfjs";
import { loadDnnl } from "./dnnl/ffi.ts";
import { ConvPrimitives, POST_OPS } from "./dnnl/conv.ts";
import { markDilationAware, registerDilatedConvGradients } from "./gradients.ts";

export const CPU_DNNL = "cpu-dnnl";

type Backend = tf.MathBackendCPU;
type KernelArgs = Parameters<tf.KernelFunc>[0];
type Attrs = Record<string, unknown>;

function values(backend: Backend, t: tf.TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
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

function allFloat32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === "float32");
}

interface Override {
  name: string;
  /** Returns undefined to let tfjs's cpu kernel handle the call. */
  run(args: KernelArgs, conv: ConvPrimitives): tf.TensorInfo | undefined;
}

const OVERRIDES: Override[] = [
  {
    name: "Conv2D",
    run({ inputs: { x, filter }, backend, attrs = {} }, conv) {
      if (attrs.dataFormat === "NCHW" || !allFloat32(x, filter)) return undefined;
      const b = backend as Backend;
      const info = convInfo(x!.shape, filter!.shape, attrs, false);
      const out = new Float32Array(
        info.batchSize * info.outHeight * info.outWidth * info.outChannels,
      );
      conv.forward(info, false, false, "linear").execute([values(b, x!), values(b, filter!), out]);
      return b.makeTensorInfo(info.outShape, "float32", out);
    },
  },
  {
    name: "FusedConv2D",
    run({ inputs: { x, filter, bias, preluActivationWeights }, backend, attrs = {} }, conv) {
      const activation = (attrs.activation as string) ?? "linear";
      if (attrs.dataFormat === "NCHW" || preluActivationWeights || !(activation in POST_OPS)) {
        return undefined;
      }
      if (!allFloat32(x, filter, bias) || (bias && bias.shape.length !== 1)) return undefined;
      const b = backend as Backend;
      const info = convInfo(x!.shape, filter!.shape, attrs, false);
      if (bias && bias.shape[0] !== info.outChannels) return undefined;
      const out = new Float32Array(
        info.batchSize * info.outHeight * info.outWidth * info.outChannels,
      );
      const arrays = bias
        ? [values(b, x!), values(b, filter!), values(b, bias), out]
        : [values(b, x!), values(b, filter!), out];
      conv.forward(info, false, bias !== undefined, activation).execute(arrays);
      return b.makeTensorInfo(info.outShape, "float32", out);
    },
  },
  {
    name: "Conv2DBackpropInput",
    run({ inputs: { dy, filter }, backend, attrs = {} }, conv) {
      if (attrs.dataFormat === "NCHW" || !allFloat32(dy, filter)) return undefined;
      const b = backend as Backend;
      const info = convInfo(attrs.inputShape as number[], filter!.shape, attrs, false);
      const out = new Float32Array(info.batchSize * info.inHeight * info.inWidth * info.inChannels);
      conv.backwardData(info, false).execute([values(b, dy!), values(b, filter!), out]);
      return b.makeTensorInfo(info.inShape, "float32", out);
    },
  },
  {
    name: "Conv2DBackpropFilter",
    run({ inputs: { x, dy }, backend, attrs = {} }, conv) {
      if (attrs.dataFormat === "NCHW" || !allFloat32(x, dy)) return undefined;
      const b = backend as Backend;
      const filterShape = attrs.filterShape as number[];
      const info = convInfo(x!.shape, filterShape, attrs, false);
      const out = new Float32Array(filterShape.reduce((p, v) => p * v, 1));
      conv.backwardWeights(info, false).execute([values(b, x!), values(b, dy!), out]);
      return b.makeTensorInfo(filterShape, "float32", out);
    },
  },
  {
    name: "DepthwiseConv2dNative",
    run({ inputs: { x, filter }, backend, attrs = {} }, conv) {
      if (attrs.dataFormat === "NCHW" || !allFloat32(x, filter)) return undefined;
      const b = backend as Backend;
      const info = convInfo(x!.shape, filter!.shape, attrs, true);
      const out = new Float32Array(
        info.batchSize * info.outHeight * info.outWidth * info.outChannels,
      );
      conv.forward(info, true, false, "linear").execute([values(b, x!), values(b, filter!), out]);
      return b.makeTensorInfo(info.outShape, "float32", out);
    },
  },
  {
    name: "FusedDepthwiseConv2D",
    run({ inputs: { x, filter, bias, preluActivationWeights }, backend, attrs = {} }, conv) {
      const activation = (attrs.activation as string) ?? "linear";
      if (attrs.dataFormat === "NCHW" || preluActivationWeights || !(activation in POST_OPS)) {
        return undefined;
      }
      if (!allFloat32(x, filter, bias) || (bias && bias.shape.length !== 1)) return undefined;
      const b = backend as Backend;
      const info = convInfo(x!.shape, filter!.shape, attrs, true);
      if (bias && bias.shape[0] !== info.outChannels) return undefined;
      const out = new Float32Array(
        info.batchSize * info.outHeight * info.outWidth * info.outChannels,
      );
      const arrays = bias
        ? [values(b, x!), values(b, filter!), values(b, bias), out]
        : [values(b, x!), values(b, filter!), out];
      conv.forward(info, true, bias !== undefined, activation).execute(arrays);
      return b.makeTensorInfo(info.outShape, "float32", out);
    },
  },
  {
    name: "DepthwiseConv2dNativeBackpropInput",
    run({ inputs: { dy, filter }, backend, attrs = {} }, conv) {
      if (!allFloat32(dy, filter)) return undefined;
      const b = backend as Backend;
      const info = convInfo(attrs.inputShape as number[], filter!.shape, attrs, true);
      const out = new Float32Array(info.batchSize * info.inHeight * info.inWidth * info.inChannels);
      conv.backwardData(info, true).execute([values(b, dy!), values(b, filter!), out]);
      return b.makeTensorInfo(info.inShape, "float32", out);
    },
  },
  {
    name: "DepthwiseConv2dNativeBackpropFilter",
    run({ inputs: { x, dy }, backend, attrs = {} }, conv) {
      if (!allFloat32(x, dy)) return undefined;
      const b = backend as Backend;
      const filterShape = attrs.filterShape as number[];
      const info = convInfo(x!.shape, filterShape, attrs, true);
      const out = new Float32Array(filterShape.reduce((p, v) => p * v, 1));
      conv.backwardWeights(info, true).execute([values(b, x!), values(b, dy!), out]);
      return b.makeTensorInfo(filterShape, "float32", out);
    },
  },
];

export interface CpuDnnlInfo {
  threads: number;
  details: Record<string, string | number>;
}

let registered: CpuDnnlInfo | undefined;

/**
 * Loads oneDNN and registers the `cpu-dnnl` backend with its kernels (once per process). Throws
 * when the library cannot be loaded, which initBackend reports as the reason to skip this path.
 */
export function registerCpuDnnlBackend(threads: number): CpuDnnlInfo {
  if (registered) return registered;
  const lib = loadDnnl(threads);
  const conv = new ConvPrimitives(lib);
  tf.registerBackend(
    CPU_DNNL,
    () => Object.assign(new tf.MathBackendCPU(), { firstUse: false }),
    0,
  );
  const replaced = new Set(OVERRIDES.map((o) => o.name));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: CPU_DNNL });
  }
  for (const o of OVERRIDES) {
    const fallback = tf.getKernel(o.name, "cpu")?.kernelFunc;
    tf.registerKernel({
      kernelName: o.name,
      backendName: CPU_DNNL,
      kernelFunc: (args) => {
        const out = o.run(args, conv);
        if (out) return out;
        if (!fallback) {
          throw new Error(`${o.name}: case not handled by oneDNN and no cpu kernel exists`);
        }
        return fallback(args);
      },
    });
  }
  registerDilatedConvGradients();
  markDilationAware(CPU_DNNL);
  registered = {
    threads,
    details: { library: lib.path, oneDNN: lib.version, kernelsReplaced: replaced.size },
  };
  return registered;
}
