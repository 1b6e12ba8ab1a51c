/**
 * Segmentation overlap and surface metrics for binary masks.
 *
 * Empty-mask policy (decided here, used everywhere):
 * - both masks empty: a perfect answer. Dice = IoU = precision = recall = 1, HD95 = 0.
 * - exactly one empty: Dice = IoU = 0; precision and recall are 0 (an empty prediction has found
 *   nothing; a prediction against an empty truth is all false positives); HD95 is NaN, because no
 *   surface distance exists. The accumulator skips NaN in the HD95 summary and reports how many
 *   images it skipped, so a missing head is counted, not hidden.
 *
 * HD95 follows MONAI's `compute_hausdorff_distance(percentile=95)`: the 95th percentile (linear
 * interpolation) of the distances from each boundary pixel of one mask to the nearest boundary
 * pixel of the other, taken in both directions, and the larger of the two.
 */
import type { Mask } from "../core/types.ts";
import { boundaryMask } from "../geometry/mask.ts";
import { squaredDistanceTransform } from "../geometry/distance.ts";
import { quantileSorted, summarize, type Summary } from "./summary.ts";

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

function checkSameSize(pred: Mask, truth: Mask): void {
  if (pred.width !== truth.width || pred.height !== truth.height) {
    throw new RangeError(
      `mask sizes differ: prediction ${pred.width}×${pred.height}, truth ${truth.width}×${truth.height}`,
    );
  }
}

export function confusion(pred: Mask, truth: Mask): Confusion {
  checkSameSize(pred, truth);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < pred.data.length; i++) {
    const p = pred.data[i] !== 0, t = truth.data[i] !== 0;
    if (p && t) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return { tp, fp, fn, tn: pred.data.length - tp - fp - fn };
}

/** Ratio with the empty-mask policy: 0/0 (both masks empty) is a perfect 1. */
const ratio = (num: number, den: number, c: Confusion) =>
  den > 0 ? num / den : c.tp + c.fp + c.fn === 0 ? 1 : 0;

export const diceFrom = (c: Confusion) => ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, c);
export const iouFrom = (c: Confusion) => ratio(c.tp, c.tp + c.fp + c.fn, c);
export const precisionFrom = (c: Confusion) => ratio(c.tp, c.tp + c.fp, c);
export const recallFrom = (c: Confusion) => ratio(c.tp, c.tp + c.fn, c);

export const dice = (pred: Mask, truth: Mask) => diceFrom(confusion(pred, truth));
export const iou = (pred: Mask, truth: Mask) => iouFrom(confusion(pred, truth));

function directedDistances(from: Mask, toDistSq: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < from.data.length; i++) if (from.data[i]) out.push(Math.sqrt(toDistSq[i]));
  return out.sort((a, b) => a - b);
}

/** Symmetric percentile Hausdorff distance between mask boundaries, in mm (or px with size 1). */
export function hausdorffPercentile(
  pred: Mask,
  truth: Mask,
  pixelSizeMm = 1,
  percentile = 95,
): number {
  checkSameSize(pred, truth);
  const bp = boundaryMask(pred), bt = boundaryMask(truth);
  const emptyP = !bp.data.includes(1), emptyT = !bt.data.includes(1);
  if (emptyP && emptyT) return 0;
  if (emptyP || emptyT) return NaN;
  const q = percentile / 100;
  const pToT = quantileSorted(directedDistances(bp, squaredDistanceTransform(bt)), q);
  const tToP = quantileSorted(directedDistances(bt, squaredDistanceTransform(bp)), q);
  return Math.max(pToT, tToP) * pixelSizeMm;
}

export interface SegmentationScores {
  dice: number;
  iou: number;
  precision: number;
  recall: number;
  /** In mm when a pixel size was given, else in px; NaN when exactly one mask is empty. */
  hd95: number;
}

export function segmentationScores(
  pred: Mask,
  truth: Mask,
  pixelSizeMm?: number,
): SegmentationScores {
  const c = confusion(pred, truth);
  return {
    dice: diceFrom(c),
    iou: iouFrom(c),
    precision: precisionFrom(c),
    recall: recallFrom(c),
    hd95: hausdorffPercentile(pred, truth, pixelSizeMm ?? 1),
  };
}

export interface ImageSegmentationScores {
  id: string;
  dice: number;
  iou: number;
  precision: number;
  recall: number;
  hd95Px: number;
  hd95Mm?: number;
}

export interface SegmentationMetrics {
  nImages: number;
  dice: Summary;
  iou: Summary;
  precision: Summary;
  recall: Summary;
  /** In mm if every image had a pixel size, else in px (see `hd95Unit`). */
  hd95: Summary;
  hd95Unit: "mm" | "px";
  /** Images whose HD95 is NaN (exactly one mask empty), left out of `hd95`. */
  hd95Undefined: number;
  images: ImageSegmentationScores[];
}

export class SegmentationAccumulator {
  readonly images: ImageSegmentationScores[] = [];

  add(id: string, pred: Mask, truth: Mask, pixelSizeMm?: number): ImageSegmentationScores {
    const { hd95, ...overlap } = segmentationScores(pred, truth);
    const record: ImageSegmentationScores = { id, ...overlap, hd95Px: hd95 };
    if (pixelSizeMm !== undefined) record.hd95Mm = hd95 * pixelSizeMm;
    this.images.push(record);
    return record;
  }

  result(): SegmentationMetrics {
    const col = (f: (r: ImageSegmentationScores) => number) => summarize(this.images.map(f));
    const allMm = this.images.length > 0 && this.images.every((r) => r.hd95Mm !== undefined);
    return {
      nImages: this.images.length,
      dice: col((r) => r.dice),
      iou: col((r) => r.iou),
      precision: col((r) => r.precision),
      recall: col((r) => r.recall),
      hd95: col((r) => (allMm ? r.hd95Mm! : r.hd95Px)),
      hd95Unit: allMm ? "mm" : "px",
      hd95Undefined: this.images.filter((r) => Number.isNaN(r.hd95Px)).length,
      images: this.images,
    };
  }
}
