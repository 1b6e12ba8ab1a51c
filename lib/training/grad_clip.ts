/**
 * Gradient clipping by global L2 norm (PyTorch's clip_grad_norm_): when ‖g‖ over all gradients
 * exceeds maxNorm, every gradient is scaled by maxNorm / (‖g‖ + 1e-6). The scale stays a tensor,
 * so clipping adds no GPU/CPU sync to the step.
 */
import * as tf from "@tensorflow/tfjs";

/** Returns the clipped gradients and the pre-clip global norm (a scalar tensor); the caller owns all of them. */
export function clipByGlobalNorm(
  grads: tf.Tensor[],
  maxNorm: number,
): { grads: tf.Tensor[]; norm: tf.Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    if (!(maxNorm > 0)) return { grads: grads.map((g) => g.clone()), norm };
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    return { grads: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
