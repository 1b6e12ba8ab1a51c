/**
 * Coordinate-regression task: the model's `[B, 8]` output is the 4 landmarks (OFD1, OFD2, BPD1,
 * BPD2; x then y) in normalised model coordinates, where the model square's outer edges map to
 * ±1: u = (2x + 1)/S − 1 for a model-pixel coordinate x ∈ [−0.5, S − 0.5]. Targets of order 1 keep
 * the loss scale and the head's initial outputs (near 0 = the image centre) in a sane range, one
 * of the fixes for the prototype's collapse to the mean.
 *
 * Standardised outputs (`standardise: 1`): the head's raw output z is read as the prediction
 * u = mean + std ⊙ z, with the per-coordinate mean and standard deviation of the training
 * landmarks (fitted once by `fitOptions` before training and stored in config.json as
 * targetMean/targetStd, so prediction from a saved run decodes identically). The head then starts
 * at the mean shape and one unit of output moves a landmark by one dataset standard deviation
 * instead of half the square: the deviations from the mean, which a collapsed regressor never
 * learns, are what the output layer is scaled for. Losses are still taken in normalised units.
 * Until fitted, standardise changes nothing.
 *
 * taskOptions (all optional):
 *   l1Weight (1), smoothL1Weight (1), smoothL1BetaPx (2)
 *   wingWeight (0), wingWidthPx (10), wingEpsPx (2)      Wing loss, widths in model pixels
 *   geometricWeight (0)                                   OFD ⟂ BPD and shared midpoint
 *   dynamicOrder (0 or 1)      1: the loss takes each pair's ends in whichever order is closer to
 *                              the prediction (lib/losses/pair_order.ts); predictions are always
 *                              decoded in canonical order and scored against canonical truth
 *   standardise (0 or 1), targetMean, targetStd (8 numbers each, filled by fitOptions)
 * Pixel-valued options are converted to normalised units (1 model px = 2/S).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import type { Landmarks, Point } from "../../core/types.ts";
import { canonicalize } from "../../data/landmark_order.ts";
import { alignPairOrder, geometricConsistency, l1, smoothL1, wing } from "../../losses/mod.ts";
import type { RunConfig } from "../config.ts";
import type { ModelSample, Prediction, SampleMeta, TaskAdapter } from "./types.ts";

export interface CoordOptions {
  l1Weight: number;
  smoothL1Weight: number;
  smoothL1BetaPx: number;
  wingWeight: number;
  wingWidthPx: number;
  wingEpsPx: number;
  geometricWeight: number;
  dynamicOrder: number;
  standardise: number;
  targetMean: number[] | null;
  targetStd: number[] | null;
}

export const COORD_DEFAULTS: CoordOptions = {
  l1Weight: 1,
  smoothL1Weight: 1,
  smoothL1BetaPx: 2,
  wingWeight: 0,
  wingWidthPx: 10,
  wingEpsPx: 2,
  geometricWeight: 0,
  dynamicOrder: 0,
  standardise: 0,
  targetMean: null,
  targetStd: null,
};

const STAT_KEYS = ["targetMean", "targetStd"] as const;

/** Model pixel → normalised coordinate in [−1, 1] over the square's outer edges. */
export function toNormalised(x: number, size: number): number {
  return (2 * x + 1) / size - 1;
}

/** Normalised coordinate → model pixel (inverse of toNormalised). */
export function fromNormalised(u: number, size: number): number {
  return ((u + 1) * size - 1) / 2;
}

export function parseCoordOptions(taskOptions: Record<string, unknown>): CoordOptions {
  const out = { ...COORD_DEFAULTS };
  for (const [key, value] of Object.entries(taskOptions)) {
    if (!(key in COORD_DEFAULTS)) {
      throw new InputError(
        `coord task: unknown taskOptions key "${key}"; known: ${
          Object.keys(COORD_DEFAULTS).join(", ")
        }`,
        undefined,
        undefined,
        value,
      );
    }
    if ((STAT_KEYS as readonly string[]).includes(key)) {
      const ok = value === null ||
        (Array.isArray(value) && value.length === 8 &&
          value.every((v) => typeof v === "number" && Number.isFinite(v)) &&
          (key === "targetMean" || value.every((v) => v > 0)));
      if (!ok) {
        throw new InputError(
          `coord task: taskOptions.${key} must be 8 finite numbers${
            key === "targetStd" ? " > 0" : ""
          }`,
          undefined,
          undefined,
          value,
        );
      }
      (out as unknown as Record<string, unknown>)[key] = value;
      continue;
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InputError(
        `coord task: taskOptions.${key} must be a number ≥ 0`,
        undefined,
        undefined,
        value,
      );
    }
    (out as unknown as Record<string, unknown>)[key] = value;
  }
  for (const key of ["standardise", "dynamicOrder"] as const) {
    if (out[key] !== 0 && out[key] !== 1) {
      throw new InputError(
        `coord task: taskOptions.${key} must be 0 or 1`,
        undefined,
        undefined,
        out[key],
      );
    }
  }
  if ((out.targetMean === null) !== (out.targetStd === null)) {
    throw new InputError("coord task: targetMean and targetStd come together");
  }
  if (out.wingWeight > 0 && (out.wingWidthPx <= 0 || out.wingEpsPx <= 0)) {
    throw new InputError("coord task: wingWidthPx and wingEpsPx must be > 0 when wingWeight > 0");
  }
  return out;
}

export class CoordTask implements TaskAdapter {
  readonly task = "coord" as const;
  private readonly pxToUnit: number;

  constructor(private readonly size: number, readonly options: CoordOptions) {
    this.pxToUnit = 2 / size;
  }

  targetShapes(_inputSize?: number): number[][] {
    return [[8]];
  }

  writeTargets(sample: ModelSample, index: number, out: Float32Array[]): void {
    const row = out[0];
    let o = index * 8;
    for (const p of sample.landmarks) {
      row[o++] = toNormalised(p.x, this.size);
      row[o++] = toNormalised(p.y, this.size);
    }
  }

  loss(outputs: tf.Tensor[], targets: tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.addN(Object.values(this.lossTerms(outputs, targets))) as tf.Scalar);
  }

  /**
   * Mean and standard deviation of each normalised coordinate over the training landmarks (model
   * space), when `standardise` is on and they are not fitted yet; undefined otherwise.
   */
  fitOptions(landmarks: readonly Landmarks[]): Record<string, unknown> | undefined {
    if (this.options.standardise !== 1 || this.options.targetMean !== null) return undefined;
    if (landmarks.length < 2) {
      throw new InputError("coord task: standardise needs ≥ 2 training samples");
    }
    const values = landmarks.map((l) =>
      l.flatMap((p) => [toNormalised(p.x, this.size), toNormalised(p.y, this.size)])
    );
    const mean = Array.from(
      { length: 8 },
      (_, k) => values.reduce((a, v) => a + v[k], 0) / values.length,
    );
    const std = mean.map((m, k) =>
      Math.max(Math.sqrt(values.reduce((a, v) => a + (v[k] - m) ** 2, 0) / values.length), 1e-3)
    );
    return { targetMean: mean, targetStd: std };
  }

  /**
   * Raw head output → normalised coordinates: mean + std ⊙ z once fitted, else the identity (an
   * unfitted adapter, e.g. for an untrained model or train() called without runTraining, trains
   * and decodes plain normalised coordinates consistently).
   */
  private toUnits(raw: tf.Tensor): tf.Tensor {
    const { standardise, targetMean, targetStd } = this.options;
    if (standardise !== 1 || !targetMean || !targetStd) return raw;
    return tf.add(tf.mul(raw, tf.tensor1d(targetStd)), tf.tensor1d(targetMean));
  }

  lossTerms(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar> {
    const pred = this.toUnits(outputs[0]);
    const target = this.options.dynamicOrder === 1 ? alignPairOrder(pred, targets[0]) : targets[0];
    const o = this.options, u = this.pxToUnit;
    const terms: Record<string, tf.Scalar> = {};
    if (o.l1Weight > 0) terms.l1 = tf.mul(o.l1Weight, l1(pred, target));
    if (o.smoothL1Weight > 0) {
      terms.smoothL1 = tf.mul(o.smoothL1Weight, smoothL1(pred, target, o.smoothL1BetaPx * u));
    }
    if (o.wingWeight > 0) {
      terms.wing = tf.mul(
        o.wingWeight,
        wing(pred, target, { w: o.wingWidthPx * u, eps: o.wingEpsPx * u }),
      );
    }
    if (o.geometricWeight > 0) {
      terms.geometric = tf.mul(o.geometricWeight, geometricConsistency(pred));
    }
    if (Object.keys(terms).length === 0) throw new InputError("coord task: every loss weight is 0");
    return terms;
  }

  async decode(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<Prediction[]> {
    const units = tf.tidy(() => this.toUnits(outputs[0]).clone());
    const values = await units.data();
    units.dispose();
    return metas.map((meta, b) => {
      const pts: Point[] = [];
      for (let k = 0; k < 4; k++) {
        const x = fromNormalised(values[b * 8 + 2 * k], this.size);
        const y = fromNormalised(values[b * 8 + 2 * k + 1], this.size);
        pts.push(meta.toImage({ x, y }));
      }
      return { landmarks: canonicalize(pts as Landmarks) };
    });
  }
}

export function createTask(config: RunConfig): CoordTask {
  return new CoordTask(config.inputSize, parseCoordOptions(config.taskOptions));
}
