/**
 * Coordinate-regression task: the model's `[B, 8]` output is the 4 landmarks (OFD1, OFD2, BPD1,
 * BPD2; x then y) in normalised model coordinates, where the model square's outer edges map to
 * ±1: u = (2x + 1)/S − 1 for a model-pixel coordinate x ∈ [−0.5, S − 0.5]. Targets of order 1 keep
 * the loss scale and the head's initial outputs (near 0 = the image centre) in a sane range, one
 * of the fixes for the prototype's collapse to the mean.
 *
 * taskOptions (all optional):
 *   l1Weight (1), smoothL1Weight (1), smoothL1BetaPx (2)
 *   wingWeight (0), wingWidthPx (10), wingEpsPx (2)      Wing loss, widths in model pixels
 *   geometricWeight (0)                                   OFD ⟂ BPD and shared midpoint
 * Pixel-valued options are converted to normalised units (1 model px = 2/S).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import type { Landmarks, Point } from "../../core/types.ts";
import { geometricConsistency, l1, smoothL1, wing } from "../../losses/mod.ts";
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
}

export const COORD_DEFAULTS: CoordOptions = {
  l1Weight: 1,
  smoothL1Weight: 1,
  smoothL1BetaPx: 2,
  wingWeight: 0,
  wingWidthPx: 10,
  wingEpsPx: 2,
  geometricWeight: 0,
};

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
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InputError(
        `coord task: taskOptions.${key} must be a number ≥ 0`,
        undefined,
        undefined,
        value,
      );
    }
    out[key as keyof CoordOptions] = value;
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

  lossTerms(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar> {
    const [pred] = outputs, [target] = targets;
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
    const values = await outputs[0].data();
    return metas.map((meta, b) => {
      const pts: Point[] = [];
      for (let k = 0; k < 4; k++) {
        const x = fromNormalised(values[b * 8 + 2 * k], this.size);
        const y = fromNormalised(values[b * 8 + 2 * k + 1], this.size);
        pts.push(meta.toImage({ x, y }));
      }
      return { landmarks: pts as Landmarks };
    });
  }
}

export function createTask(config: RunConfig): CoordTask {
  return new CoordTask(config.inputSize, parseCoordOptions(config.taskOptions));
}
