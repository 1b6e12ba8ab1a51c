/**
 * Batch normalisation with batch statistics (a BN layer in training) as one kernel each way where
 * the backend has them (cpu-dnnl: oneDNN's training forward and backward). tf.layers composes it
 * from tf.moments and FusedBatchNorm: mean, subtract, square, mean and the normalisation forward,
 * and backward the gradients of each plus the adds that join them, about fifteen full-size passes
 * per layer; in a profiled MBConv bench step their kernels took 840 of 1213 ms
 * (lib/backend/README.md).
 */
import * as tf from "@tensorflow/tfjs";

export const BN_TRAIN_KERNEL = "BiometryBatchNormTrain";
export const BN_TRAIN_GRAD_KERNEL = "BiometryBatchNormTrainGrad";

export interface BatchStatsResult {
  /** (x − μ)/√(σ² + ε)·γ + β */
  y: tf.Tensor;
  /** Per-channel batch mean and biased variance, as tf.moments gives them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Normalises x (NHWC or NC) over every axis but the last with its own batch statistics, or returns
 * undefined where the backend lacks the kernel or the case is not covered (dtype, rank, shapes), for
 * the caller to compose it from tfjs ops. Differentiable in x, γ and β, also through μ and σ²; once
 * only (the gradient kernel has no gradient of its own).
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  varianceEpsilon: number,
): BatchStatsResult | undefined {
  const c = x.shape[x.rank - 1];
  const vector = (t: tf.Tensor) => t.rank === 1 && t.shape[0] === c && t.dtype === "float32";
  if (
    tf.getKernel(BN_TRAIN_KERNEL, tf.getBackend()) === undefined ||
    !(x.rank === 4 || x.rank === 2) || x.dtype !== "float32" || !vector(scale) || !vector(offset)
  ) return undefined;
  const [y, mean, variance] = tf.engine().runKernel(
    BN_TRAIN_KERNEL,
    { x, scale, offset },
    { varianceEpsilon },
  ) as tf.Tensor[];
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

let registered = false;

/** The kernel's gradient (global in tfjs; idempotent). */
export function registerBatchNormTraining(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: BN_TRAIN_KERNEL,
    inputsToSave: ["x", "scale", "offset"],
    outputsToSave: [false, true, true],
    // Only reached after BN_TRAIN_KERNEL ran, i.e. on a backend that has both kernels. tfjs passes
    // zeros for outputs the loss does not reach, so dMean and dVar are always tensors.
    gradFunc: (dys, [x, scale, offset, mean, variance], attrs) => {
      const [dy, dMean, dVar] = dys as tf.Tensor[];
      const [dx, dScale, dOffset] = tf.engine().runKernel(
        BN_TRAIN_GRAD_KERNEL,
        { dy, x, mean, variance, scale, offset, dMean, dVar },
        attrs,
      ) as tf.Tensor[];
      return { x: () => dx, scale: () => dScale, offset: () => dOffset };
    },
  });
}
