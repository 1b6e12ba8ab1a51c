import * as tf from "@tensorflow/tfjs";
import { assertParam, assertSameShape } from "./common.ts";

export interface DiceOptions {
  /** true: soft Dice on sigmoid probabilities (differentiable, for training). false: Dice of the
   * thresholded mask (logit > 0), for monitoring only: its gradient is zero. Default true. */
  soft?: boolean;
  /** Additive smoothing in numerator and denominator. Default 1. */
  smooth?: number;
}

/**
 * Dice loss on logits, mean over the batch (axis 0) of per-sample losses:
 *   p = σ(logits),  D = (2·Σ p·t + s) / (Σ p + Σ t + s),  loss = 1 − D,
 * sums over all non-batch axes. Targets are masks in {0, 1} (soft targets in [0, 1] also work).
 *
 * Empty-mask policy: an empty target with an (almost) empty prediction scores D = 1 (loss 0), also
 * when s = 0 (0/0 is defined as perfect agreement); an empty target with predicted foreground mass
 * m gives loss 1 − s/(m + s), i.e. 1 when s = 0, so false positives on empty images are penalised.
 */
export function dice(logits: tf.Tensor, target: tf.Tensor, options: DiceOptions = {}): tf.Scalar {
  const { soft = true, smooth = 1 } = options;
  assertSameShape("dice", logits, target);
  assertParam("dice", "smooth", smooth, (v) => v >= 0, "≥ 0");
  return tf.tidy(() => {
    const batch = logits.shape[0] ?? 1;
    const p = soft ? tf.sigmoid(logits) : tf.step(logits);
    const pFlat = tf.reshape(p, [batch, -1]);
    const tFlat = tf.reshape(tf.cast(target, "float32"), [batch, -1]);
    const inter = tf.sum(tf.mul(pFlat, tFlat), 1);
    const denom = tf.add(tf.add(tf.sum(pFlat, 1), tf.sum(tFlat, 1)), smooth);
    const empty = tf.greaterEqual(0, denom);
    // Dividing by 1 where the denominator is 0 keeps the unselected branch (and its gradient) finite.
    const safeDenom = tf.where(empty, tf.onesLike(denom), denom);
    const score = tf.where(
      empty,
      tf.onesLike(denom),
      tf.div(tf.add(tf.mul(2, inter), smooth), safeDenom),
    );
    return tf.mean(tf.sub(1, score)) as tf.Scalar;
  });
}
