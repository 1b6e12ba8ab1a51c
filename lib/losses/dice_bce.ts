import * as tf from "@tensorflow/tfjs";
import { assertParam } from "./common.ts";
import { bce } from "./bce.ts";
import { dice } from "./dice.ts";

export interface DiceBceOptions {
  diceWeight?: number;
  bceWeight?: number;
  /** Smoothing of the (soft) Dice term. Default 1. */
  smooth?: number;
}

/**
 * Weighted sum of soft Dice and BCE on logits: wD·dice(logits, t) + wB·bce(logits, t), default
 * weights 1 and 1. Dice handles the foreground/background imbalance, BCE gives well-behaved
 * per-pixel gradients early in training when Dice's are weak.
 */
export function diceBce(
  logits: tf.Tensor,
  target: tf.Tensor,
  options: DiceBceOptions = {},
): tf.Scalar {
  const { diceWeight = 1, bceWeight = 1, smooth = 1 } = options;
  assertParam("diceBce", "diceWeight", diceWeight, (v) => v >= 0, "≥ 0");
  assertParam("diceBce", "bceWeight", bceWeight, (v) => v >= 0, "≥ 0");
  return tf.tidy(() =>
    tf.add(
      tf.mul(diceWeight, dice(logits, target, { soft: true, smooth })),
      tf.mul(bceWeight, bce(logits, target)),
    ) as tf.Scalar
  );
}
