/**
 * Per-image uncertainty by test-time augmentation (TTA), and how well it flags failures.
 *
 * TTA: the letterboxed model input is also shown flipped and shifted by whole pixels (exact
 * warps: no interpolation, so the only disagreement comes from the model). Each variant's
 * prediction is carried back through its warp and the letterbox to original pixels, and the
 * variants are combined as ellipses (aggregateVariants). The dispersion is the mean distance of
 * the variants' landmarks from the combined ones, in original pixels (× pixel size → mm).
 *
 * Confidence = exp(−dispersion / τ) with τ = 1 % of the image's longer side: 1 when every variant
 * agrees, 0.37 when they scatter by 1 % of the image (8 px on an 800-px HC18 frame). Only its
 * ranking matters for the AUROC below.
 *
 * Monte-Carlo dropout is not used: tfjs switches dropout and BatchNorm to training mode together,
 * and batch statistics of one image's copies would corrupt every prediction.
 */
import type { Ellipse, Landmarks, Point } from "../core/types.ts";
import { ellipseToLandmarks, landmarksToEllipse, wrapAngle } from "../geometry/ellipse.ts";
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
  /** Axis ends of the mean ellipse, canonical order. */
  landmarks: Landmarks;
  /** The variants' mean ellipse. */
  ellipse: Ellipse;
  /**
   * Mean over variants and landmarks of the distance from each variant's landmark (ends paired
   * with the aggregate's) to the aggregate's, in the input's units.
   */
  dispersion: number;
}

/**
 * Combine the variants in ellipse space: centre and semi-axes are averaged, the axis direction is
 * the doubled-angle mean (angles are defined modulo π) weighted by (a − b)/(a + b), so a variant
 * that sees an almost round head, whose axis direction is arbitrary, hardly moves it (all round:
 * the first variant's direction). Averaging the landmark coordinates instead would pull the ends
 * of axes that point different ways towards the centre and shrink the head. The landmarks are the
 * mean ellipse's axis ends; the dispersion still measures how far the variants' own landmarks
 * scatter around them, which is large exactly when the variants disagree on where the axes are.
 */
export function aggregateVariants(variants: readonly Landmarks[]): TtaAggregate {
  if (variants.length === 0) throw new RangeError("aggregateVariants: no variants");
  const ellipses = variants.map(landmarksToEllipse);
  const n = ellipses.length;
  const mean = (f: (e: Ellipse) => number) => ellipses.reduce((s, e) => s + f(e), 0) / n;
  let sx = 0, sy = 0;
  for (const e of ellipses) {
    const w = e.a + e.b > 0 ? (e.a - e.b) / (e.a + e.b) : 0;
    sx += w * Math.cos(2 * e.angle);
    sy += w * Math.sin(2 * e.angle);
  }
  const angle = sx === 0 && sy === 0 ? ellipses[0].angle : wrapAngle(Math.atan2(sy, sx) / 2);
  const ellipse: Ellipse = {
    cx: mean((e) => e.cx),
    cy: mean((e) => e.cy),
    a: mean((e) => e.a),
    b: mean((e) => e.b),
    angle,
  };
  const landmarks = ellipseToLandmarks(ellipse);
  let total = 0;
  for (const v of variants) {
    const aligned = alignEnds(v, landmarks);
    for (let k = 0; k < 4; k++) total += dist(aligned[k], landmarks[k]);
  }
  return { landmarks, ellipse, dispersion: total / (4 * n) };
}

export interface TtaCombined extends TtaAggregate {
  /** confidenceFromDispersion of the combined variants × the fraction of variants that fitted. */
  confidence: number;
  /** Variants that entered the combination. */
  used: number;
}

/**
 * aggregateVariants over the variants that produced a fit (`fitted[i]`; a segmentation variant
 * whose mask gave no ellipse decodes to a zero-size placeholder at the image centre, which would
 * shrink the mean head). When none fitted, all are combined. A partial failure still costs
 * confidence: the dispersion's confidence is scaled by the fitted fraction.
 */
export function combineTta(
  variants: readonly Landmarks[],
  fitted: readonly boolean[],
  width: number,
  height: number,
): TtaCombined {
  if (fitted.length !== variants.length) throw new RangeError("combineTta: length mismatch");
  const ok = variants.filter((_, i) => fitted[i]);
  const used = ok.length > 0 ? ok : variants;
  const agg = aggregateVariants(used);
  const share = ok.length / variants.length;
  return {
    ...agg,
    confidence: confidenceFromDispersion(agg.dispersion, width, height) * share,
    used: used.length,
  };
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
 * How well low confidence flags a failure: AUROC of "error > threshold" (default 2, in the errors'
 * unit; one threshold for all, or one per image) scored by 1 − confidence. 1 = every failure is
 * less confident than every success, 0.5 = no information.
 */
export function failureAuroc(
  errors: readonly number[],
  confidences: readonly number[],
  threshold: number | readonly number[] = 2,
): number {
  const limit = (i: number) => typeof threshold === "number" ? threshold : threshold[i];
  return auroc(confidences.map((c) => 1 - c), errors.map((e, i) => e > limit(i)));
}
