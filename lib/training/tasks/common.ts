/**
 * Pieces shared by the heatmap, segmentation and multi-task adapters: typed parsing of
 * `taskOptions`, the clinical landmark scores they log every epoch, and the model-output lookup
 * that ties an adapter to the registry model it trains.
 */
import { InputError } from "../../core/errors.ts";
import type { Landmarks } from "../../core/types.ts";
import { measuresFromLandmarks } from "../../geometry/measures.ts";
import { radialErrors } from "../../metrics/landmarks.ts";
import { describeModel, type OutputInfo } from "../../models/mod.ts";
import type { RunConfig } from "../config.ts";
import type { SampleMeta } from "./types.ts";

/** One option: a number with bounds, or one of a few strings. */
export type OptionSpec =
  | { kind: "number"; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }
  | { kind: "enum"; values: readonly string[] };

/**
 * Validate `raw` against `specs` and fill in `defaults`; throws InputError naming the task, key and
 * value for unknown keys and bad values. Keys in `ignore` are skipped (a multi-task adapter routes
 * them to another parser).
 */
export function parseOptions<T extends Record<string, number | string>>(
  task: string,
  raw: Record<string, unknown>,
  specs: Record<keyof T & string, OptionSpec>,
  defaults: T,
  ignore: readonly string[] = [],
): T {
  const out = { ...defaults } as Record<string, number | string>;
  for (const [key, value] of Object.entries(raw)) {
    if (ignore.includes(key)) continue;
    const spec = (specs as Record<string, OptionSpec>)[key];
    if (!spec) {
      throw new InputError(
        `${task} task: unknown taskOptions key "${key}"; known: ${Object.keys(specs).join(", ")}`,
        undefined,
        undefined,
        value,
      );
    }
    const bad = (why: string) =>
      new InputError(`${task} task: taskOptions.${key} ${why}`, undefined, undefined, value);
    if (spec.kind === "enum") {
      if (typeof value !== "string" || !spec.values.includes(value)) {
        throw bad(`must be one of ${spec.values.join(", ")}`);
      }
    } else {
      if (typeof value !== "number" || !Number.isFinite(value)) throw bad("must be a number");
      if (spec.integer && !Number.isInteger(value)) throw bad("must be an integer");
      if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) {
        throw bad(`must be ${spec.exclusiveMin ? ">" : "≥"} ${spec.min}`);
      }
      if (spec.max !== undefined && value > spec.max) throw bad(`must be ≤ ${spec.max}`);
    }
    out[key] = value;
  }
  return out as T;
}

/** The outputs of the config's model, in output order, without building it. */
export function modelOutputs(config: RunConfig): OutputInfo[] {
  return describeModel(config.model.name, {
    ...config.model.options,
    inputSize: config.inputSize,
    inChannels: config.channels,
  }).outputs;
}

/** The single output of `kind`; throws InputError when the model has none or several. */
export function outputOfKind(
  config: RunConfig,
  kind: OutputInfo["kind"],
): { index: number; info: OutputInfo } {
  const outs = modelOutputs(config);
  const hits = outs.flatMap((info, index) => (info.kind === kind ? [{ index, info }] : []));
  if (hits.length !== 1) {
    throw new InputError(
      `${config.task} task: model "${config.model.name}" has ${hits.length} ${kind} outputs ` +
        `(outputs: ${outs.map((o) => `${o.name}:${o.kind}`).join(", ")}), need exactly 1`,
      undefined,
      undefined,
      config.model.name,
    );
  }
  return hits[0];
}

/** Radial error threshold of the success detection rate logged every epoch (the 2 mm target). */
export const SDR_MM = 2;

/**
 * Landmark scores in original pixels / mm for one decoding of a validation set: mean radial error,
 * success detection rate within 2 mm, and the absolute HC error of the ellipse the four landmarks
 * span (the same definition for every family: for a fitted ellipse its axis ends give back its
 * perimeter exactly). Images without a pixel size count for the px numbers only.
 */
export class LandmarkScores {
  private n = 0;
  private sumMre = 0;
  private hits = 0;
  private pointsMm = 0;
  private sumHc = 0;
  private imagesMm = 0;

  add(pred: Landmarks, meta: SampleMeta): void {
    const errors = radialErrors(pred, meta.landmarks);
    this.n++;
    this.sumMre += errors.reduce((s, e) => s + e, 0) / 4;
    const mm = meta.pixelSizeMm;
    if (mm !== undefined) {
      for (const e of errors) if (e * mm <= SDR_MM) this.hits++;
      this.pointsMm += 4;
      const hcPred = measuresFromLandmarks(pred, mm).hcMm;
      const hcTrue = measuresFromLandmarks(meta.landmarks, mm).hcMm;
      this.sumHc += Math.abs(hcPred - hcTrue);
      this.imagesMm++;
    }
  }

  /** `{<prefix>mre_px, <prefix>sdr2mm, <prefix>hc_abs_mm}`; NaN where nothing was added. */
  result(prefix = ""): Record<string, number> {
    return {
      [`${prefix}mre_px`]: this.n ? this.sumMre / this.n : NaN,
      [`${prefix}sdr2mm`]: this.pointsMm ? this.hits / this.pointsMm : NaN,
      [`${prefix}hc_abs_mm`]: this.imagesMm ? this.sumHc / this.imagesMm : NaN,
    };
  }
}
