/**
 * Swish x·σ(αx) (EfficientNet's activation) in one pass where the backend has the kernel (cpu-dnnl:
 * oneDNN's eltwise swish, forward and gradient one pass each), and composed from tfjs ops
 * elsewhere. tfjs composes it from three kernels (x·α, sigmoid, product) and differentiates
 * through all three; the MBConv bench net's inference spent a quarter of its time there.
 */
import * as tf from "@tensorflow/tfjs";

export const SWISH_KERNEL = "BiometrySwish";
export const SWISH_GRAD_KERNEL = "BiometrySwishGrad";

function backendHas(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

function nativeSwish(x: tf.Tensor, alpha: number): tf.Tensor | undefined {
  if (x.dtype !== "float32" || !backendHas(SWISH_KERNEL)) return undefined;
  return tf.engine().runKernel(SWISH_KERNEL, { x }, { alpha }) as tf.Tensor;
}

/** x·σ(x) with a hand-written gradient σ + y·(1−σ): 6 elementwise kernels per step instead of 10. */
const composedSwish = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const sig = tf.sigmoid(x);
  const y = tf.mul(x, sig);
  save([sig, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [sg, yv]: tf.Tensor[]) =>
      tf.mul(dy, tf.add(sg, tf.mul(yv, tf.sub(1, sg)))),
  };
});

/** x·σ(x): one kernel on cpu-dnnl, `composedSwish` elsewhere. Differentiable either way. */
export function swish(x: tf.Tensor): tf.Tensor {
  return nativeSwish(x, 1) ?? (composedSwish(x) as tf.Tensor);
}

/**
 * tf.layers' "swish" activation (`tf.layers.activation`, `activation: "swish"` of conv and dense
 * layers): the native kernel where the backend has it, tfjs's own formula otherwise. tf.layers
 * looks activations up by class name in tfjs's serialization map, so registering this class
 * under "swish" replaces tfjs's; saved models still name "swish" and load anywhere.
 */
class LayersSwish extends tf.serialization.Serializable {
  static className = "swish";

  override getConfig(): tf.serialization.ConfigDict {
    return {};
  }

  apply(x: tf.Tensor, alpha = 1): tf.Tensor {
    return nativeSwish(x, alpha) ?? tf.tidy(() => tf.mul(tf.sigmoid(tf.mul(x, alpha)), x));
  }
}

let registered = false;

/** The swish kernel's gradient and tf.layers' swish activation (global in tfjs; idempotent). */
export function registerSwish(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: SWISH_KERNEL,
    inputsToSave: ["x"],
    // Only reached after SWISH_KERNEL ran, i.e. on a backend that has both kernels.
    gradFunc: (dy, [x], attrs) => ({
      x: () =>
        tf.engine().runKernel(SWISH_GRAD_KERNEL, { dy: dy as tf.Tensor, x }, attrs) as tf.Tensor,
    }),
  });
  tf.serialization.registerClass(LayersSwish);
}
