import * as tf from "@tensorflow/tfjs";
import { absSymmetric, assertSameShape } from "./common.ts";

/** Mean absolute error: mean over all elements of |ŷ − y| (subgradient 0 at ŷ = y). */
export function l1(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertSameShape("l1", pred, target);
  return tf.tidy(() => tf.mean(absSymmetric(tf.sub(pred, target))) as tf.Scalar);
}
