/**
 * Spread ratio: how much the predicted landmarks vary across images compared with the true ones,
 * per landmark and axis (std of predicted x over images / std of true x). A regressor that has
 * collapsed to the mean shape predicts nearly the same points for every image, so its ratio falls
 * towards 0 even when its MRE looks tolerable.
 */
import { LANDMARK_NAMES, type LandmarkName, type Landmarks } from "../core/types.ts";
import { mean, summarize } from "./summary.ts";

export const COLLAPSE_THRESHOLD = 0.5;

export interface SpreadReport {
  perLandmark: { name: LandmarkName; x: number; y: number }[];
  /** Mean of the finite per-landmark ratios. */
  meanX: number;
  meanY: number;
  threshold: number;
  /** True when the mean ratio on either axis is below the threshold. */
  collapsed: boolean;
}

/**
 * Ratios of sample standard deviations. A landmark axis whose true spread is 0 (fewer than two
 * images, or identical truths) has ratio NaN and is left out of the means.
 */
export function spreadRatios(
  preds: readonly Landmarks[],
  truths: readonly Landmarks[],
  threshold = COLLAPSE_THRESHOLD,
): SpreadReport {
  if (preds.length !== truths.length) {
    throw new RangeError(`spreadRatios: ${preds.length} predictions vs ${truths.length} truths`);
  }
  const ratio = (p: number[], t: number[]) => {
    const st = summarize(t).std;
    return st > 0 ? summarize(p).std / st : NaN;
  };
  const perLandmark = LANDMARK_NAMES.map((name, k) => ({
    name,
    x: ratio(preds.map((l) => l[k].x), truths.map((l) => l[k].x)),
    y: ratio(preds.map((l) => l[k].y), truths.map((l) => l[k].y)),
  }));
  const meanX = mean(perLandmark.map((r) => r.x));
  const meanY = mean(perLandmark.map((r) => r.y));
  return {
    perLandmark,
    meanX,
    meanY,
    threshold,
    collapsed: meanX < threshold || meanY < threshold,
  };
}
