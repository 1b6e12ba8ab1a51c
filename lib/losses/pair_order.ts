import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";

/**
 * Dynamic pair order for landmark vectors [B, 8] = (OFD1 x,y, OFD2 x,y, BPD1 x,y, BPD2 x,y).
 *
 * The two ends of a skull axis carry no anatomical name in ellipse-derived labels, so the data
 * layer's fixed rule (lib/data/landmark_order.ts: OFD1 is the left end) has to cut the circle of
 * axis directions somewhere. A head whose OFD lies near the cut (near-vertical) gets labels whose
 * ends trade places under a small rotation or a flip, and a coordinate regressor answers the
 * contradiction by pulling both ends to the middle (HC18: 13 of 160 validation heads with the OFD
 * over 50° from horizontal carried 5.6 of the 20.1 px MRE of the canonically trained model).
 *
 * `alignPairOrder` returns the target with the two ends of each pair swapped, per sample, wherever
 * the swapped order is closer (L1) to the prediction, so the network chooses a consistent order
 * and the losses are then taken as usual. This is the training side only: decoded predictions are
 * canonicalised and scored against canonical truth, so reported errors stay ordered. The choice is
 * piecewise constant in `pred`, so gradients flow only through the loss that follows.
 */
export function alignPairOrder(pred: tf.Tensor, target: tf.Tensor): tf.Tensor2D {
  for (const [name, t] of [["pred", pred], ["target", target]] as const) {
    if (t.rank !== 2 || t.shape[1] !== 8) {
      throw new InputError(`alignPairOrder: ${name} must be [B, 8], got [${t.shape}]`);
    }
  }
  if (pred.shape[0] !== target.shape[0]) {
    throw new InputError(
      `alignPairOrder: batch sizes differ (pred ${pred.shape[0]}, target ${target.shape[0]})`,
    );
  }
  return tf.tidy(() => {
    const b = target.shape[0];
    const p = pred.reshape([b, 2, 4]);
    const same = target.reshape([b, 2, 4]);
    // [B, pair, end, xy] with the two ends reversed.
    const swapped = tf.reverse(target.reshape([b, 2, 2, 2]), 2).reshape([b, 2, 4]);
    const dSame = tf.sum(tf.abs(tf.sub(p, same)), 2, true);
    const dSwap = tf.sum(tf.abs(tf.sub(p, swapped)), 2, true);
    const keep = tf.broadcastTo(tf.greaterEqual(dSwap, dSame), [b, 2, 4]);
    return tf.where(keep, same, swapped).reshape([b, 8]) as tf.Tensor2D;
  });
}
