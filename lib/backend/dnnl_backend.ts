/**
 * The `cpu-dnnl` tfjs backend: a MathBackendCPU (tensors are plain JS typed arrays, so native code
 * reads and writes them in place) with every `cpu` kernel, where the hot ones are replaced by
 * oneDNN primitives. Anything a replacement does not cover (NCHW, int dtypes, PReLU…) runs the
 * original cpu kernel, so the backend is always complete. Kernels: fast_cpu_kernels.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { loadDnnl } from "./dnnl/ffi.ts";
import { ConvPrimitives } from "./dnnl/conv.ts";
import { EltwisePrimitives } from "./dnnl/eltwise.ts";
import { PoolPrimitives } from "./dnnl/pool.ts";
import { NormPrimitives } from "./dnnl/norm.ts";
import { BinaryPrimitives } from "./dnnl/binary.ts";
import { BufferPool, PooledCpuBackend } from "./buffer_pool.ts";
import { useAllocator } from "./js_kernels.ts";
import {
  FUSED_GRADIENT_KERNELS,
  KERNEL_OVERRIDES,
  type Native,
  NATIVE_KERNELS,
} from "./fast_cpu_kernels.ts";
import { registerSwish } from "./swish.ts";
import { registerBatchNormTraining } from "./batch_norm_training.ts";
import {
  markDilationAware,
  registerDilatedConvGradients,
  registerFusedGradients,
} from "./gradients.ts";

export const CPU_DNNL = "cpu-dnnl";

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
  const pool = new BufferPool();
  useAllocator(pool);
  const native: Native = {
    conv: new ConvPrimitives(lib),
    eltwise: new EltwisePrimitives(lib),
    pooling: new PoolPrimitives(lib),
    norm: new NormPrimitives(lib),
    binary: new BinaryPrimitives(lib),
    pool,
  };
  tf.registerBackend(
    CPU_DNNL,
    () => new PooledCpuBackend(pool),
    0,
  );
  const replaced = new Set(KERNEL_OVERRIDES.map((o) => o.name));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: CPU_DNNL });
  }
  for (const o of [...KERNEL_OVERRIDES, ...NATIVE_KERNELS]) {
    const fallback = tf.getKernel(o.name, "cpu")?.kernelFunc;
    tf.registerKernel({
      kernelName: o.name,
      backendName: CPU_DNNL,
      kernelFunc: (args) => {
        const out = o.run(args, native);
        if (out) return out;
        if (!fallback) {
          throw new Error(`${o.name}: case not handled by oneDNN and no cpu kernel exists`);
        }
        return fallback(args);
      },
    });
  }
  for (const k of FUSED_GRADIENT_KERNELS) tf.registerKernel({ ...k, backendName: CPU_DNNL });
  registerDilatedConvGradients();
  registerFusedGradients();
  registerSwish();
  registerBatchNormTraining();
  markDilationAware(CPU_DNNL);
  registered = {
    threads,
    details: {
      library: lib.path,
      oneDNN: lib.version,
      kernelsReplaced: replaced.size,
      reusePoolMiB: Math.round(pool.maxFreeBytes / 2 ** 20),
    },
  };
  return registered;
}
