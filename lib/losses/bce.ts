import * as tf from "@tensorflow/tfjs";
import { assertSameShape } from "./common.ts";

/**
 * Binary cross-entropy on logits x with targets t ∈ [0, 1], mean over all elements, in the
 * overflow-free form
 *   max(x, 0) − x·t + ln(1 + e^(−|x|))      (= −t·ln σ(x) − (1 − t)·ln(1 − σ(x))).
 * Its gradient is σ(x) − t everywhere, including x = 0 (tf.abs's subgradient −1 at 0 and relu's 0
 * combine to exactly 0.5 − t there).
 */
export function bce(logits: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertSameShape("bce", logits, target);
  return tf.tidy(() => {
    const t = tf.cast(target, "float32");
    const perElement = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, t)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.mean(perElement) as tf.Scalar;
  });
}
