/**
 * Ellipse fitting to boundary points.
 *
 * - `fitEllipse`: direct least-squares fit constrained to ellipses (Fitzgibbon et al. 1999) in the
 *   numerically stable form of Halíř & Flusser ("Numerically stable direct least squares fitting
 *   of ellipses", WSCG 1998), on points centred and scaled to unit RMS radius so that the 4th-power
 *   scatter terms stay well conditioned for image-sized coordinates. Optional per-point weights.
 * - `fitEllipseRobust`: RANSAC on minimal 5-point samples scored by Sampson distance, then
 *   repeated refits on the inliers until the inlier set is stable; the returned inliers and RMS
 *   residual use the exact point-to-curve distance.
 *
 * Linear algebra (3×3 inverse, non-symmetric eigen decomposition) is ml-matrix's.
 */
import { EigenvalueDecomposition, inverse, Matrix } from "ml-matrix";
import type { Ellipse, Point } from "../core/types.ts";
import { Rng } from "../core/rng.ts";
import { type Conic, conicToEllipse, distanceToEllipse, ellipseToConic } from "./ellipse.ts";

export {
  conicToEllipse,
  distanceToEllipse,
  ellipsePerimeter,
  ellipsePoints,
  ellipseToLandmarks,
  landmarksToEllipse,
} from "./ellipse.ts";

interface Normalisation {
  mx: number;
  my: number;
  scale: number;
}

function normalisation(points: readonly Point[], weights?: ArrayLike<number>): Normalisation {
  let sw = 0, mx = 0, my = 0;
  for (let i = 0; i < points.length; i++) {
    const w = weights ? weights[i] : 1;
    sw += w;
    mx += w * points[i].x;
    my += w * points[i].y;
  }
  mx /= sw;
  my /= sw;
  let r2 = 0;
  for (let i = 0; i < points.length; i++) {
    const w = weights ? weights[i] : 1;
    r2 += w * ((points[i].x - mx) ** 2 + (points[i].y - my) ** 2);
  }
  const scale = Math.sqrt(r2 / sw) || 1;
  return { mx, my, scale };
}

/**
 * Halíř–Flusser on normalised points: returns the conic in normalised coordinates, or null when
 * the scatter is singular or no eigenvector satisfies the ellipse constraint 4AC − B² > 0.
 */
function fitNormalisedConic(
  points: readonly Point[],
  norm: Normalisation,
  weights?: ArrayLike<number>,
): Conic | null {
  // Scatter blocks S1 = D1ᵀWD1, S2 = D1ᵀWD2, S3 = D2ᵀWD2 with D1 = [x², xy, y²], D2 = [x, y, 1].
  const s1 = Matrix.zeros(3, 3);
  const s2 = Matrix.zeros(3, 3);
  const s3 = Matrix.zeros(3, 3);
  const d1 = [0, 0, 0];
  const d2 = [0, 0, 0];
  for (let i = 0; i < points.length; i++) {
    const w = weights ? weights[i] : 1;
    if (w === 0) continue;
    const x = (points[i].x - norm.mx) / norm.scale;
    const y = (points[i].y - norm.my) / norm.scale;
    d1[0] = x * x;
    d1[1] = x * y;
    d1[2] = y * y;
    d2[0] = x;
    d2[1] = y;
    d2[2] = 1;
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        s1.set(r, c, s1.get(r, c) + w * d1[r] * d1[c]);
        s2.set(r, c, s2.get(r, c) + w * d1[r] * d2[c]);
        s3.set(r, c, s3.get(r, c) + w * d2[r] * d2[c]);
      }
    }
  }
  let s3inv: Matrix;
  try {
    s3inv = inverse(s3);
  } catch {
    return null;
  }
  // T = −S3⁻¹ S2ᵀ gives the linear part from the quadratic part; M = S1 + S2 T is the reduced
  // scatter, premultiplied by C1⁻¹ (C1 = [[0,0,2],[0,−1,0],[2,0,0]]).
  const t = s3inv.mmul(s2.transpose()).mul(-1);
  const m = s1.add(s2.mmul(t));
  const reduced = new Matrix([
    m.getRow(2).map((v) => v / 2),
    m.getRow(1).map((v) => -v),
    m.getRow(0).map((v) => v / 2),
  ]);
  if (!reduced.to1DArray().every(Number.isFinite)) return null;
  const evd = new EigenvalueDecomposition(reduced);
  const vectors = evd.eigenvectorMatrix;
  let best: Conic | null = null;
  let bestCost = Infinity;
  for (let k = 0; k < 3; k++) {
    if (evd.imaginaryEigenvalues[k] !== 0) continue;
    const a1 = vectors.getColumn(k);
    const cond = 4 * a1[0] * a1[2] - a1[1] * a1[1];
    if (!(cond > 0)) continue;
    // Algebraic cost a1ᵀ M a1 under the constraint normalisation: picks the true minimiser even
    // when round-off lets a second eigenvector pass the constraint test.
    const ma = m.mmul(Matrix.columnVector(a1)).getColumn(0);
    const cost = Math.abs(a1[0] * ma[0] + a1[1] * ma[1] + a1[2] * ma[2]) / cond;
    if (cost < bestCost) {
      bestCost = cost;
      const a2 = t.mmul(Matrix.columnVector(a1)).getColumn(0);
      best = [a1[0], a1[1], a1[2], a2[0], a2[1], a2[2]];
    }
  }
  return best;
}

/**
 * Direct least-squares ellipse through `points` (at least 5, not all on a line or a degenerate
 * conic). Weights, if given, must be ≥ 0 and one per point. Returns null when no ellipse fits.
 */
export function fitEllipse(points: readonly Point[], weights?: ArrayLike<number>): Ellipse | null {
  if (points.length < 5) return null;
  if (weights && weights.length !== points.length) {
    throw new RangeError(`fitEllipse: ${weights.length} weights for ${points.length} points`);
  }
  const norm = normalisation(points, weights);
  const conic = fitNormalisedConic(points, norm, weights);
  if (!conic) return null;
  const e = conicToEllipse(conic);
  if (!e) return null;
  return {
    cx: norm.mx + e.cx * norm.scale,
    cy: norm.my + e.cy * norm.scale,
    a: e.a * norm.scale,
    b: e.b * norm.scale,
    angle: e.angle,
  };
}

/** First-order (Sampson) approximation of the distance from p to a conic: |Q(p)| / |∇Q(p)|. */
function sampsonDistance(q: Conic, p: Point): number {
  const [A, B, C, D, E, F] = q;
  const v = A * p.x * p.x + B * p.x * p.y + C * p.y * p.y + D * p.x + E * p.y + F;
  const gx = 2 * A * p.x + B * p.y + D;
  const gy = B * p.x + 2 * C * p.y + E;
  const g = Math.sqrt(gx * gx + gy * gy);
  return g > 0 ? Math.abs(v) / g : Infinity;
}

export interface RobustFitOptions {
  /** A point within this many px of the curve is an inlier (default 2). */
  inlierThreshold?: number;
  /** Most RANSAC samples (default 200; fewer once the inlier ratio makes more pointless). */
  iterations?: number;
  /** Seed of the sampling RNG, so a fit is reproducible (default 0). */
  seed?: number;
  /** Refits on the inlier set after RANSAC (default 10; stops early when the set is stable). */
  refinements?: number;
}

export interface RobustFit {
  ellipse: Ellipse;
  /** inliers[i] = 1 when points[i] is within the threshold of the final ellipse. */
  inliers: Uint8Array;
  inlierCount: number;
  /** RMS distance of the inliers to the final ellipse, px. */
  rmsResidual: number;
}

/**
 * Ellipse fit that tolerates outlier points (tested with 10–20 % of points scattered at random
 * over the image). Returns null when no sample yields an ellipse with at least 5 inliers.
 */
export function fitEllipseRobust(
  points: readonly Point[],
  opts: RobustFitOptions = {},
): RobustFit | null {
  const threshold = opts.inlierThreshold ?? 2;
  const iterations = opts.iterations ?? 200;
  const refinements = opts.refinements ?? 10;
  const n = points.length;
  if (n < 5) return null;
  const rng = new Rng(opts.seed ?? 0);

  let best: Ellipse | null = null;
  let bestCount = 0;
  const sample: Point[] = new Array(5);
  const picked = new Set<number>();
  // Adaptive RANSAC stop: enough samples that one was outlier-free with probability 0.999, given
  // the best inlier ratio so far (at least 20 samples, at most `iterations`).
  let needed = iterations;
  for (let it = 0; it < Math.min(iterations, Math.max(20, needed)); it++) {
    picked.clear();
    while (picked.size < 5) picked.add(rng.int(0, n));
    let k = 0;
    for (const i of picked) sample[k++] = points[i];
    const e = fitEllipse(sample);
    if (!e) continue;
    const q = ellipseToConic(e);
    let count = 0;
    for (let i = 0; i < n; i++) if (sampsonDistance(q, points[i]) <= threshold) count++;
    if (count > bestCount) {
      bestCount = count;
      best = e;
      const clean = (count / n) ** 5;
      needed = clean >= 1 ? 0 : Math.ceil(Math.log(0.001) / Math.log(1 - clean));
    }
  }
  if (!best || bestCount < 5) return null;

  let inliers = new Uint8Array(n);
  let current = best;
  for (let r = 0; r <= refinements; r++) {
    // Sampson distance is accurate to first order near the curve, which is all the threshold
    // needs, and ~10× cheaper than the exact distance used for the final report.
    const q = ellipseToConic(current);
    const next = new Uint8Array(n);
    for (let i = 0; i < n; i++) next[i] = sampsonDistance(q, points[i]) <= threshold ? 1 : 0;
    const stable = r > 0 && next.every((v, i) => v === inliers[i]);
    inliers = next;
    if (stable) break;
    const refit = fitEllipse(points, inliers);
    if (!refit) break;
    current = refit;
  }
  let count = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = distanceToEllipse(current, points[i]);
    inliers[i] = d <= threshold ? 1 : 0;
    if (!inliers[i]) continue;
    count++;
    ss += d * d;
  }
  if (count < 5) return null;
  return { ellipse: current, inliers, inlierCount: count, rmsResidual: Math.sqrt(ss / count) };
}
