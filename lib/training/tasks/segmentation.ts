/**
 * Cranium segmentation task (U-Net, DeepLabV3+): the model's `[B, S, S, 1]` logits are trained
 * against the letterboxed (and augmented) filled-skull mask with soft Dice + BCE, and decoded by
 * the segmentation post-processing (lib/postprocess): threshold → clean → sub-pixel edge points →
 * map to ORIGINAL pixels through the sample's inverse transform → robust ellipse → the ellipse's
 * axis ends as canonical landmarks. The ellipse is fitted in original pixels, so no resampling of
 * the mask back to the image is needed.
 *
 * taskOptions (all optional):
 *   diceWeight (1), bceWeight (1), smooth (1)   loss = wD·softDice + wB·BCE (lib/losses)
 *   threshold (0.5)                             foreground probability
 *   openRadius (2), closeRadius (2)             morphology radii in model pixels (0 skips)
 *   inlierBand (3)                              robust ellipse fit's inlier half-width, model px.
 *                                               On HC18 (shipped U-Net, validation) 1.5 px let
 *                                               RANSAC drop a flattened stretch of the skull and
 *                                               extrapolate: |ΔHC| 2.44 mm, MRE 15.5 px; 2–3.5 px
 *                                               gave 2.26–2.30 mm, 14.5–14.9 px
 *
 * A prediction carries the validator's verdict (`valid`, `reasons`) and the ellipse and HC; when no
 * ellipse can be fitted (empty mask early in training) its landmarks collapse onto the image centre,
 * which scores as the large error it is rather than dropping the case. Validation metrics: Dice,
 * IoU, precision and recall of the thresholded logits in model space (means over images),
 * `sdr2mm`, `hc_abs_mm`, and `invalid` (fraction of predictions the validator rejects).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../../core/errors.ts";
import type { Ellipse, Landmarks, Mask } from "../../core/types.ts";
import { bce, dice, diceBce } from "../../losses/mod.ts";
import {
  confusion,
  diceFrom,
  iouFrom,
  precisionFrom,
  recallFrom,
} from "../../metrics/segmentation.ts";
import { MASK_DEFAULTS, maskToBiometry } from "../../postprocess/mod.ts";
import type { RunConfig } from "../config.ts";
import "../configs_families.ts";
import { LandmarkScores, outputOfKind, parseOptions } from "./common.ts";
import type {
  ModelSample,
  Prediction,
  SampleMeta,
  TaskAdapter,
  TaskMetricAccumulator,
} from "./types.ts";

export interface SegmentationOptions {
  [key: string]: number;
  diceWeight: number;
  bceWeight: number;
  smooth: number;
  threshold: number;
  openRadius: number;
  closeRadius: number;
  inlierBand: number;
}

export const SEGMENTATION_DEFAULTS: SegmentationOptions = {
  diceWeight: 1,
  bceWeight: 1,
  smooth: 1,
  ...MASK_DEFAULTS,
};

export const SEGMENTATION_OPTION_KEYS = Object.keys(SEGMENTATION_DEFAULTS);

export function parseSegmentationOptions(
  raw: Record<string, unknown>,
  ignore: readonly string[] = [],
): SegmentationOptions {
  const o = parseOptions<SegmentationOptions>(
    "segmentation",
    raw,
    {
      diceWeight: { kind: "number", min: 0 },
      bceWeight: { kind: "number", min: 0 },
      smooth: { kind: "number", min: 0 },
      threshold: { kind: "number", min: 0, exclusiveMin: true, max: 0.999999 },
      openRadius: { kind: "number", min: 0, integer: true },
      closeRadius: { kind: "number", min: 0, integer: true },
      inlierBand: { kind: "number", min: 0, exclusiveMin: true },
    },
    SEGMENTATION_DEFAULTS,
    ignore,
  );
  if (o.diceWeight === 0 && o.bceWeight === 0) {
    throw new InputError("segmentation task: diceWeight and bceWeight are both 0");
  }
  return o;
}

/** What the post-processing found, kept with the prediction (overlays, reports, the submission). */
export interface BiometryInfo {
  /** Original pixels; null when nothing could be fitted. */
  ellipse: Ellipse | null;
  hcMm: number | null;
  ofdMm: number | null;
  bpdMm: number | null;
  valid: boolean;
  reasons: string[];
}

export interface SegmentationPrediction extends Prediction {
  modelMask: Mask;
  biometry: BiometryInfo;
}

/** True for predictions that carry segmentation post-processing results. */
export function hasBiometry(p: Prediction): p is SegmentationPrediction {
  return "biometry" in p && (p as SegmentationPrediction).biometry !== undefined;
}

export class SegmentationTask implements TaskAdapter {
  readonly task = "segmentation" as const;
  /** Predictions by the output tensor they were decoded from, so the metrics need not redo it. */
  private readonly memo = new WeakMap<tf.Tensor, SegmentationPrediction[]>();

  constructor(readonly size: number, readonly options: SegmentationOptions) {}

  targetShapes(): number[][] {
    return [[this.size, this.size, 1]];
  }

  writeTargets(sample: ModelSample, index: number, out: Float32Array[]): void {
    const m = sample.mask;
    if (!m) {
      throw new InputError(
        "segmentation task: sample has no mask (the dataset needs a maskDir)",
        undefined,
        undefined,
        sample.id,
      );
    }
    if (m.width !== this.size || m.height !== this.size) {
      throw new Error(
        `sample ${sample.id}: mask is ${m.width}×${m.height}, expected ${this.size}²`,
      );
    }
    const row = out[0], o = index * this.size * this.size;
    for (let i = 0; i < m.data.length; i++) row[o + i] = m.data[i] ? 1 : 0;
  }

  loss(outputs: tf.Tensor[], targets: tf.Tensor[]): tf.Scalar {
    const { diceWeight, bceWeight, smooth } = this.options;
    return diceBce(outputs[0], targets[0], { diceWeight, bceWeight, smooth });
  }

  lossTerms(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar> {
    const { diceWeight, bceWeight, smooth } = this.options;
    // Named `*_loss` so the logged columns (val_dice_loss) do not collide with the Dice metric.
    return tf.tidy(() => ({
      dice_loss: tf.mul(diceWeight, dice(outputs[0], targets[0], { smooth })) as tf.Scalar,
      bce_loss: tf.mul(bceWeight, bce(outputs[0], targets[0])) as tf.Scalar,
    }));
  }

  async decode(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<SegmentationPrediction[]> {
    const logits = outputs[0];
    const S = this.size;
    const want = [metas.length, S, S, 1];
    if (logits.shape.length !== 4 || logits.shape.some((d, i) => d !== want[i])) {
      throw new Error(`segmentation task: output has shape [${logits.shape}], expected [${want}]`);
    }
    const data = await logits.data() as Float32Array;
    const preds = metas.map((meta, b) =>
      this.decodeOne(data.subarray(b * S * S, (b + 1) * S * S), meta)
    );
    this.memo.set(logits, preds);
    return preds;
  }

  /** Post-process one sample's logits (S·S values) into a prediction in original pixels. */
  decodeOne(logits: ArrayLike<number>, meta: SampleMeta): SegmentationPrediction {
    const r = maskToBiometry({ width: this.size, height: this.size, data: logits }, {
      input: "logits",
      threshold: this.options.threshold,
      openRadius: this.options.openRadius,
      closeRadius: this.options.closeRadius,
      inlierBand: this.options.inlierBand,
      pixelSizeMm: meta.pixelSizeMm,
      transform: { toImage: meta.toImage, srcWidth: meta.width, srcHeight: meta.height },
    });
    const centre = { x: (meta.width - 1) / 2, y: (meta.height - 1) / 2 };
    return {
      landmarks: r.landmarks ??
        [centre, centre, centre, centre].map((p) => ({ ...p })) as Landmarks,
      modelMask: r.mask,
      biometry: {
        ellipse: r.ellipse,
        hcMm: r.hcMm,
        ofdMm: r.ofdMm,
        bpdMm: r.bpdMm,
        valid: r.valid,
        reasons: r.reasons,
      },
    };
  }

  /** `decode` of this output tensor, reusing the last result for the same tensor. */
  async decodeCached(logits: tf.Tensor, metas: SampleMeta[]): Promise<SegmentationPrediction[]> {
    const hit = this.memo.get(logits);
    return hit && hit.length === metas.length ? hit : await this.decode([logits], metas);
  }

  createMetrics(): TaskMetricAccumulator {
    return new SegmentationMetrics(this);
  }
}

/**
 * Overlap of the thresholded logits with the target mask in model space (per image, then the
 * mean), plus the landmark scores of the decoded ellipses and the validator's rejection rate.
 */
export class SegmentationMetrics implements TaskMetricAccumulator {
  private readonly sums = { dice: 0, iou: 0, precision: 0, recall: 0 };
  private images = 0;
  private invalid = 0;
  private readonly scores = new LandmarkScores();

  constructor(
    private readonly task: SegmentationTask,
    private readonly outputIndex = 0,
  ) {}

  async add(outputs: tf.Tensor[], targets: tf.Tensor[], metas: SampleMeta[]): Promise<void> {
    const logits = outputs[this.outputIndex], target = targets[this.outputIndex];
    const preds = await this.task.decodeCached(logits, metas);
    const [l, t] = await Promise.all([logits.data(), target.data()]);
    const S = this.task.size, n = S * S;
    const cut = Math.log(this.task.options.threshold / (1 - this.task.options.threshold));
    metas.forEach((meta, b) => {
      const pred: Mask = { width: S, height: S, data: new Uint8Array(n) };
      const truth: Mask = { width: S, height: S, data: new Uint8Array(n) };
      for (let i = 0; i < n; i++) {
        pred.data[i] = l[b * n + i] >= cut ? 1 : 0;
        truth.data[i] = t[b * n + i] >= 0.5 ? 1 : 0;
      }
      const c = confusion(pred, truth);
      this.sums.dice += diceFrom(c);
      this.sums.iou += iouFrom(c);
      this.sums.precision += precisionFrom(c);
      this.sums.recall += recallFrom(c);
      this.images++;
      if (!preds[b].biometry.valid) this.invalid++;
      this.scores.add(preds[b].landmarks, meta);
    });
  }

  result(): Record<string, number> {
    const n = this.images;
    const mean = (v: number) => (n ? v / n : NaN);
    const s = this.scores.result();
    return {
      dice: mean(this.sums.dice),
      iou: mean(this.sums.iou),
      precision: mean(this.sums.precision),
      recall: mean(this.sums.recall),
      sdr2mm: s.sdr2mm,
      hc_abs_mm: s.hc_abs_mm,
      invalid: mean(this.invalid),
    };
  }
}

export function createTask(config: RunConfig): SegmentationTask {
  const { info } = outputOfKind(config, "segmentation");
  if (info.shape[0] !== config.inputSize || info.shape[2] !== 1) {
    throw new InputError(
      `segmentation task: model output [${info.shape}] is not the [S, S, 1] mask of S = ${config.inputSize}`,
    );
  }
  return new SegmentationTask(config.inputSize, parseSegmentationOptions(config.taskOptions));
}
