/**
 * Per-image uncertainty by test-time augmentation (TTA), and how well it flags failures.
 *
 * TTA: the letterboxed model input is also shown flipped and shifted by whole pixels (exact
 * warps: no interpolation, so the only disagreement comes from the model). Each variant's
 * prediction is carried back through its warp and the letterbox to original pixels, the ends of
 * each axis are paired with the unaugmented prediction (a flip swaps left and right ends), and the
 * landmarks are averaged. The dispersion is the mean distance of the variants' landmarks from that
 * average, in original pixels (× pixel size → mm).
 *
 * Confidence = exp(−dispersion / τ) with τ = 1 % of the image's longer side: 1 when every variant
 * agrees, 0.37 when they scatter by 1 % of the image (8 px on an 800-px HC18 frame). Only its
 * ranking matters for the AUROC below.
 *
 * Monte-Carlo dropout is not used: tfjs switches dropout and BatchNorm to training mode together,
 * and batch statistics of one image's copies would corrupt every prediction.
 */
import type { Landmarks, Point } from "../core/types.ts";
import { canonicalize } from "../data/landmark_order.ts";
import { affineWarp, type Warp } from "../transforms/geometric.ts";

export interface TtaOptions {
  /** Add the left-right mirror (default true). */
  flip?: boolean;
  /** Whole-pixel shifts as a fraction of the model input side (default 0.03); 0 = none. */
  shiftFraction?: number;
}

export interface TtaVariant {
  label: string;
  /** Model-space warp applied to the letterboxed sample; null = the input as is. */
  warp: Warp | null;
}

/**
 * The variants for a model input of side `size`: identity first (the reference for pairing
 * ends), then the mirror, then diagonal shifts by ±round(shiftFraction·size) px.
 */
export function ttaVariants(size: number, opts: TtaOptions = {}): TtaVariant[] {
  const flip = opts.flip ?? true;
  const d = Math.round((opts.shiftFraction ?? 0.03) * size);
  const variants: TtaVariant[] = [{ label: "identity", warp: null }];
  if (flip) {
    variants.push({
      label: "flipHorizontal",
      warp: affineWarp("flipHorizontal", [-1, 0, size - 1, 0, 1, 0], size, size),
    });
  }
  if (d > 0) {
    for (const s of [d, -d]) {
      variants.push({
        label: `shift(${s},${s})`,
        warp: affineWarp(`shift(${s},${s})`, [1, 0, s, 0, 1, s], size, size),
      });
    }
  }
  return variants;
}

const dist = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);

/** `l` with the ends of each axis ordered to match `ref` (the pairing with the smaller total distance). */
export function alignEnds(l: Landmarks, ref: Landmarks): Landmarks {
  const out = [...l] as Landmarks;
  for (const [i, j] of [[0, 1], [2, 3]]) {
    if (dist(l[i], ref[j]) + dist(l[j], ref[i]) < dist(l[i], ref[i]) + dist(l[j], ref[j])) {
      out[i] = l[j];
      out[j] = l[i];
    }
  }
  return out;
}

export interface TtaAggregate {
  /** Mean of the aligned variants, canonical order. */
  landmarks: Landmarks;
  /** Mean over landmarks and variants of the distance to the mean, in the input's units. */
  dispersion: number;
}

/** Average the variants' landmarks (first = reference for pairing) and measure their spread. */
export function aggregateVariants(variants: readonly Landmarks[]): TtaAggregate {
  if (variants.length === 0) throw new RangeError("aggregateVariants: no variants");
  const ref = variants[0];
  const aligned = variants.map((v) => alignEnds(v, ref));
  const n = aligned.length;
  const mean = [0, 1, 2, 3].map((k) => ({
    x: aligned.reduce((s, v) => s + v[k].x, 0) / n,
    y: aligned.reduce((s, v) => s + v[k].y, 0) / n,
  })) as Landmarks;
  let total = 0;
  for (const v of aligned) for (let k = 0; k < 4; k++) total += dist(v[k], mean[k]);
  return { landmarks: canonicalize(mean), dispersion: total / (4 * n) };
}

/** exp(−dispersion / τ), τ = 1 % of the image's longer side (see the module comment). */
export function confidenceFromDispersion(
  dispersionPx: number,
  width: number,
  height: number,
): number {
  return Math.exp(-dispersionPx / (0.01 * Math.max(width, height)));
}

/**
 * Area under the ROC curve of `scores` for separating `positives` (true) from negatives: the
 * probability that a random positive scores higher than a random negative, ties counting half
 * (Mann–Whitney U / (n⁺·n⁻)). NaN when either class is empty.
 */
export function auroc(scores: readonly number[], positives: readonly boolean[]): number {
  if (scores.length !== positives.length) throw new RangeError("auroc: length mismatch");
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = r;
    i = j + 1;
  }
  let nPos = 0, rankSum = 0;
  positives.forEach((p, i) => {
    if (p) {
      nPos++;
      rankSum += ranks[i];
    }
  });
  const nNeg = scores.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * How well low confidence flags a failure: AUROC of "error > thresholdMm" (default 2 mm) scored by
 * 1 − confidence. 1 = every failure is less confident than every success, 0.5 = no information.
 */
export function failureAuroc(
  errorsMm: readonly number[],
  confidences: readonly number[],
  thresholdMm = 2,
): number {
  return auroc(confidences.map((c) => 1 - c), errorsMm.map((e) => e > thresholdMm));
}
