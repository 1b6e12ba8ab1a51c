/**
 * Where the landmark error comes from: each case's error split into the head ellipse's centre,
 * semi-axis lengths and long-axis direction, and the MRE grouped by how round the true head is
 * (b/a). On near-round heads the long-axis direction is arbitrary, in the annotation as in the
 * prediction, so the OFD ends can slide along the skull while centre and axes stay right. The MRE
 * is also grouped by the true OFD's tilt from the horizontal: near 90° the landmark order
 * convention (OFD1 = left end, lib/data/landmark_order.ts) is nearly tied, which is where models
 * that learn the order (coordinate regression, heatmap channels) struggle.
 */
import type { Landmarks } from "../core/types.ts";
import { landmarksToEllipse, turnLandmarks, wrapAngle } from "../geometry/ellipse.ts";
import { radialErrors } from "./landmarks.ts";
import { mean, summarize } from "./summary.ts";

/** Default b/a edges: bins b/a < 0.75, 0.75 ≤ b/a < 0.85 and b/a ≥ 0.85. */
export const ROUNDNESS_EDGES = [0.75, 0.85] as const;
/** Default tilt edges (degrees): bins < 30°, 30–50° and ≥ 50°. */
export const TILT_EDGES = [30, 50] as const;

export interface EllipseCaseErrors {
  /** Distance between the true and predicted centres (px). */
  centrePx: number;
  /** |Δ semi-major| and |Δ semi-minor| (px). */
  dAPx: number;
  dBPx: number;
  /**
   * Angle between the true and predicted OFD directions, modulo 180°, in [0, 90]; NaN when
   * either OFD has zero length.
   */
  angleDeg: number;
  /** b/a of the truth; NaN when its semi-major is 0. */
  roundness: number;
  /** Angle of the true OFD from the horizontal, in [0, 90]; NaN when it has zero length. */
  tiltDeg: number;
  /** Mean radial error of the four landmarks in storage order (as lib/metrics/landmarks.ts). */
  mrePx: number;
  /**
   * The MRE of the prediction turned about its centre onto the labelled OFD direction (modulo
   * 180°, `signedAngleErrorDeg`): what is left when the direction error is taken out. A prediction
   * whose pairs are listed the other way round stays so (that is order, not direction). Equals
   * `mrePx` when either OFD has no direction.
   */
  alignedMrePx: number;
}

/** Direction of OFD1 → OFD2 in [0, π), or NaN when the two ends coincide. */
export function ofdDirection(l: Landmarks): number {
  const dx = l[1].x - l[0].x;
  const dy = l[1].y - l[0].y;
  return dx === 0 && dy === 0 ? NaN : wrapAngle(Math.atan2(dy, dx));
}

/**
 * Centre, axis lengths and angle come from landmarksToEllipse. Its centre is the mean of the four
 * points (= the mean of the two axis midpoints), so "mean of the points" and "ellipse centre" are
 * the same here; using the helper keeps the definition in one place. The semi-axes are its a ≥ b.
 * The angle is that of the labelled OFD, not of the ellipse's a axis: MRE scores the labelled
 * points, and when a prediction's BPD comes out longer than its OFD the helper turns the a axis to
 * the BPD, which would score a 90° turn of the OFD labels as a perfect direction.
 */
export function ellipseCaseErrors(pred: Landmarks, truth: Landmarks): EllipseCaseErrors {
  const p = landmarksToEllipse(pred);
  const t = landmarksToEllipse(truth);
  const truthDir = ofdDirection(truth);
  const d = Math.abs(ofdDirection(pred) - truthDir);
  const r = radialErrors(pred, truth);
  return {
    centrePx: Math.hypot(p.cx - t.cx, p.cy - t.cy),
    dAPx: Math.abs(p.a - t.a),
    dBPx: Math.abs(p.b - t.b),
    angleDeg: (Math.min(d, Math.PI - d) * 180) / Math.PI,
    roundness: t.a > 0 ? t.b / t.a : NaN,
    tiltDeg: (Math.min(truthDir, Math.PI - truthDir) * 180) / Math.PI,
    mrePx: mean(r),
    alignedMrePx: mean(radialErrors(turnOntoTruth(pred, truth, p), truth)),
  };
}

/** `pred` turned about its centre (`landmarksToEllipse(pred)`) by minus its signed OFD angle error. */
function turnOntoTruth(
  pred: Landmarks,
  truth: Landmarks,
  { cx, cy }: { cx: number; cy: number },
): Landmarks {
  const d = signedAngleErrorDeg(pred, truth);
  return Number.isNaN(d) ? pred : turnLandmarks(pred, { x: cx, y: cy }, (-d * Math.PI) / 180);
}

/**
 * Signed turn from the true to the predicted OFD direction, modulo 180°, in [−90°, 90°) (positive
 * is clockwise on screen, image y pointing down); NaN when either OFD has zero length. The sign is
 * what lets two models' errors on the same image be correlated (lib/metrics/model_agreement.ts).
 */
export function signedAngleErrorDeg(pred: Landmarks, truth: Landmarks): number {
  const d = ofdDirection(pred) - ofdDirection(truth);
  const wrapped = ((d + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2;
  return (wrapped * 180) / Math.PI;
}

export interface RoundnessBin {
  /** b/a (or tilt) in [lo, hi); the outer bins are open (−∞, ∞). */
  lo: number;
  hi: number;
  n: number;
  /** Means over the bin's cases; NaN when the bin is empty. */
  mrePx: number;
  angleDeg: number;
}

export interface MeanMedian {
  mean: number;
  median: number;
}

/** Mean and median of the values, NaN skipped (summary.ts). */
export function meanMedian(values: readonly number[]): MeanMedian {
  const s = summarize(values);
  return { mean: s.mean, median: s.median };
}

export interface EllipseErrorSummary {
  n: number;
  /** Over all cases (NaN values skipped; NaN when nothing is left). */
  centrePx: MeanMedian;
  dAPx: MeanMedian;
  dBPx: MeanMedian;
  angleDeg: MeanMedian;
  mrePx: MeanMedian;
  alignedMrePx: MeanMedian;
  /** One bin per interval between the edges; a case whose roundness is NaN is in none. */
  bins: RoundnessBin[];
  /** The same by tilt (`tiltEdges`); a case whose tilt is NaN is in none. */
  tiltBins: RoundnessBin[];
  cases: EllipseCaseErrors[];
}

/** Per-case errors and their summary; both edge lists must be strictly increasing. */
export function ellipseErrorSummary(
  cases: readonly { pred: Landmarks; truth: Landmarks }[],
  edges: readonly number[] = ROUNDNESS_EDGES,
  tiltEdges: readonly number[] = TILT_EDGES,
): EllipseErrorSummary {
  for (const e of [edges, tiltEdges]) {
    if (e.some((v, i) => !Number.isFinite(v) || (i > 0 && v <= e[i - 1]))) {
      throw new RangeError(`ellipseErrorSummary: edges must be finite and increasing, got ${e}`);
    }
  }
  const per = cases.map((c) => ellipseCaseErrors(c.pred, c.truth));
  const mm = (k: keyof EllipseCaseErrors) => meanMedian(per.map((e) => e[k]));
  return {
    n: per.length,
    centrePx: mm("centrePx"),
    dAPx: mm("dAPx"),
    dBPx: mm("dBPx"),
    angleDeg: mm("angleDeg"),
    mrePx: mm("mrePx"),
    alignedMrePx: mm("alignedMrePx"),
    bins: binCases(per, "roundness", edges),
    tiltBins: binCases(per, "tiltDeg", tiltEdges),
    cases: per,
  };
}

function binCases(
  per: readonly EllipseCaseErrors[],
  key: "roundness" | "tiltDeg",
  edges: readonly number[],
): RoundnessBin[] {
  const bounds = [-Infinity, ...edges, Infinity];
  return bounds.slice(0, -1).map((lo, i) => {
    const hi = bounds[i + 1];
    const inBin = per.filter((e) => e[key] >= lo && e[key] < hi);
    return {
      lo,
      hi,
      n: inBin.length,
      mrePx: mean(inBin.map((e) => e.mrePx)),
      angleDeg: mean(inBin.map((e) => e.angleDeg)),
    };
  });
}

/** "b/a < 0.75", "b/a 0.75–0.85", "b/a ≥ 0.85"; "b/a any" for the single bin of no edges. */
export function roundnessBinLabel(bin: { lo: number; hi: number }): string {
  if (bin.lo === -Infinity && bin.hi === Infinity) return "b/a any";
  if (bin.lo === -Infinity) return `b/a < ${bin.hi}`;
  if (bin.hi === Infinity) return `b/a ≥ ${bin.lo}`;
  return `b/a ${bin.lo}–${bin.hi}`;
}

/** "tilt < 30°", "tilt 30–50°", "tilt ≥ 50°"; "tilt any" for the single bin of no edges. */
export function tiltBinLabel(bin: { lo: number; hi: number }): string {
  if (bin.lo === -Infinity && bin.hi === Infinity) return "tilt any";
  if (bin.lo === -Infinity) return `tilt < ${bin.hi}°`;
  if (bin.hi === Infinity) return `tilt ≥ ${bin.lo}°`;
  return `tilt ${bin.lo}–${bin.hi}°`;
}
