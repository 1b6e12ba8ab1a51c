/**
 * A second opinion from other models: how far their answers for the same image lie from the
 * primary model's, and whether that is far enough to send the image to a person for review.
 *
 * Why this and not only the TTA confidence: the families share most of their error (notebook 07's
 * agreement study), so where they still disagree at least one of them is off. On the 160 HC18
 * validation images the U-Net chain's disagreement with the DeepLabV3+ and heatmap chains
 * separated its failures better than its own TTA confidence (AUROC 0.76 vs 0.66 for MRE > 2 mm,
 * notebook 07; docs/EXPERIMENTS.md, "Second opinion"). For the heatmap chain, whose confidence is
 * the best of the families', it did about as well as that confidence.
 *
 * Distances are between corresponding points in the canonical order (as the metrics score them),
 * so two models that list a near-vertical head's ends the other way round disagree: one of them
 * is scored as wrong by the same rule. HC differences use `measuresFromLandmarks`, exactly as the
 * prediction CSV's `hc_mm`.
 */
import type { Landmarks } from "../core/types.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import type { EvalResult } from "../metrics/evaluation.ts";
import { radialErrors } from "../metrics/landmarks.ts";
import { mean } from "../metrics/summary.ts";

/** Another model's landmarks for the same image. */
export interface Opinion {
  model: string;
  landmarks: Landmarks;
}

/** Where to send an image for review: mean disagreement over the other models, in mm. */
export interface ReviewLimits {
  /** Mean distance between corresponding points. */
  pointsMm: number;
  /** |HC difference|. */
  hcMm: number;
}

/**
 * Chosen on the HC18 validation split (so optimistic there): for the U-Net chain checked against
 * the DeepLabV3+ and heatmap chains they sent 26 of 160 images to review, 12 of the 22 with
 * MRE or |ΔHC| over 4 mm, and left |ΔHC| 1.75 mm on the rest.
 */
export const REVIEW_LIMITS: ReviewLimits = { pointsMm: 1.5, hcMm: 2 };

export interface CrossCheck {
  /** The models compared against, in order. */
  models: string[];
  /** Mean over those models of the mean distance between corresponding points, original px. */
  pointsPx: number;
  /** With a pixel size only: the same in mm, and the mean |HC difference| in mm. */
  pointsMm?: number;
  hcMm?: number;
  /** With a pixel size only (the limits are in mm): whether a limit is exceeded. */
  review?: boolean;
  /** Which limits, e.g. `hc differs 3.1 mm from others (limit 2 mm)`. */
  reasons: string[];
}

/** Compare one image's primary landmarks with the other models' (at least one). */
export function crossCheck(
  primary: Landmarks,
  others: readonly Opinion[],
  pixelSizeMm?: number,
  limits: ReviewLimits = REVIEW_LIMITS,
): CrossCheck {
  if (others.length === 0) throw new RangeError("crossCheck needs at least one other model");
  const models = others.map((o) => o.model);
  const pointsPx = mean(others.map((o) => mean(radialErrors(o.landmarks, primary))));
  if (pixelSizeMm === undefined) return { models, pointsPx, reasons: [] };
  const hc = (l: Landmarks) => measuresFromLandmarks(l, pixelSizeMm).hcMm;
  const hcMm = mean(others.map((o) => Math.abs(hc(o.landmarks) - hc(primary))));
  const pointsMm = pointsPx * pixelSizeMm;
  const reasons: string[] = [];
  const fmt = (v: number) => v.toFixed(1);
  if (pointsMm > limits.pointsMm) {
    reasons.push(`points differ ${fmt(pointsMm)} mm from others (limit ${limits.pointsMm} mm)`);
  }
  if (hcMm > limits.hcMm) {
    reasons.push(`hc differs ${fmt(hcMm)} mm from others (limit ${limits.hcMm} mm)`);
  }
  return { models, pointsPx, pointsMm, hcMm, review: reasons.length > 0, reasons };
}

/** Landmark and HC errors of one subset of evaluated images (`reviewSplit`). */
export interface ReviewSubset {
  subset: "all" | "kept" | "sent to review";
  images: number;
  mrePx: number;
  /** Over the subset's images with a pixel size; NaN when none has one. */
  mreMm: number;
  hcAbsMm: number;
}

/**
 * An evaluation's per-image scores split by `predict --cross-check`'s verdict (`review` by image
 * id): all images, those kept, those sent to review. Images without a verdict count in "all"
 * only. What a reader of the review column wants to know on labelled data: is what it keeps
 * better, and by how much.
 */
export function reviewSplit(
  result: EvalResult,
  review: ReadonlyMap<string, boolean>,
): ReviewSubset[] {
  const landmarks = result.landmarks.images;
  const clinical = result.clinical?.images ?? [];
  const scores = (subset: ReviewSubset["subset"], keep: (id: string) => boolean): ReviewSubset => {
    const lm = landmarks.filter((r) => keep(r.id));
    const mm = lm.flatMap((r) => (r.mreMm === undefined ? [] : [r.mreMm]));
    return {
      subset,
      images: lm.length,
      mrePx: mean(lm.map((r) => r.mrePx)),
      mreMm: mean(mm),
      hcAbsMm: mean(clinical.filter((r) => keep(r.id)).map((r) => r.errors.hcMm)),
    };
  };
  return [
    scores("all", () => true),
    scores("kept", (id) => review.get(id) === false),
    scores("sent to review", (id) => review.get(id) === true),
  ];
}
