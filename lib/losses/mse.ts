import * as tf from "@tensorflow/tfjs";
import { assertSameShape } from "./common.ts";

/** Mean squared error: mean over all elements of (ŷ − y)². */
export function mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertSameShape("mse", pred, target);
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}
