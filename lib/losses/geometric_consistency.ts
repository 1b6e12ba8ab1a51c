import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";
import { assertParam } from "./common.ts";

export interface GeometricConsistencyOptions {
  /** Weight of the non-perpendicularity term. Default 1. */
  perpendicularWeight?: number;
  /** Weight of the midpoint-distance term. Default 1. */
  midpointWeight?: number;
  /** Guards the divisions when an axis collapses to a point. Default 1e-6 (in squared units). */
  eps?: number;
}

/**
 * Geometric prior for predicted landmark vectors [B, 8] = (OFD1 x,y, OFD2 x,y, BPD1 x,y, BPD2 x,y),
 * in any units (pixels or normalised). On an ellipse the OFD and BPD axes are perpendicular and
 * share their midpoint, so with u = OFD2 − OFD1, v = BPD2 − BPD1, m = (OFD1 + OFD2 − BPD1 − BPD2)/2:
 *   loss = mean over batch of  wP · (u·v)² / (|u|²·|v|² + ε)  +  wM · |m|² / ((|u|² + |v|²)/2 + ε).
 * The first term is cos² of the angle between the axes, the second the squared midpoint offset
 * relative to the mean squared axis length: both scale-free and independent of the order of the
 * two ends of each axis. Use as an auxiliary term next to a coordinate loss (it is 0 for any
 * perpendicular, concentric pair of axes, so it cannot train landmarks alone).
 */
export function geometricConsistency(
  coords: tf.Tensor,
  options: GeometricConsistencyOptions = {},
): tf.Scalar {
  const { perpendicularWeight = 1, midpointWeight = 1, eps = 1e-6 } = options;
  if (coords.rank !== 2 || coords.shape[1] !== 8) {
    throw new InputError(
      "geometricConsistency: coords must have shape [B, 8]",
      undefined,
      undefined,
      coords.shape,
    );
  }
  assertParam(
    "geometricConsistency",
    "perpendicularWeight",
    perpendicularWeight,
    (v) => v >= 0,
    "≥ 0",
  );
  assertParam("geometricConsistency", "midpointWeight", midpointWeight, (v) => v >= 0, "≥ 0");
  assertParam("geometricConsistency", "eps", eps, (v) => v > 0, "> 0");
  return tf.tidy(() => {
    const [o1x, o1y, o2x, o2y, b1x, b1y, b2x, b2y] = tf.unstack(coords, 1);
    const ux = tf.sub(o2x, o1x), uy = tf.sub(o2y, o1y);
    const vx = tf.sub(b2x, b1x), vy = tf.sub(b2y, b1y);
    const uu = tf.add(tf.square(ux), tf.square(uy));
    const vv = tf.add(tf.square(vx), tf.square(vy));
    const uv = tf.add(tf.mul(ux, vx), tf.mul(uy, vy));
    const cos2 = tf.div(tf.square(uv), tf.add(tf.mul(uu, vv), eps));
    const mx = tf.mul(0.5, tf.sub(tf.add(o1x, o2x), tf.add(b1x, b2x)));
    const my = tf.mul(0.5, tf.sub(tf.add(o1y, o2y), tf.add(b1y, b2y)));
    const mid = tf.div(
      tf.add(tf.square(mx), tf.square(my)),
      tf.add(tf.mul(0.5, tf.add(uu, vv)), eps),
    );
    return tf.mean(
      tf.add(tf.mul(perpendicularWeight, cos2), tf.mul(midpointWeight, mid)),
    ) as tf.Scalar;
  });
}
