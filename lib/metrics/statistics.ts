/**
 * Paired comparison of two models on the same images (Wilcoxon signed-rank test), Spearman's
 * rank correlation and bootstrap confidence intervals.
 *
 * The Wilcoxon test follows R's `wilcox.test(x, y, paired = TRUE)` (equal to scipy's
 * `wilcoxon(..., correction=True)` wherever both use the same method): zero differences are
 * dropped (Wilcoxon's convention); with fewer than 50 remaining pairs, no tied |differences| and
 * no zero dropped, the p-value comes from the exact null distribution; otherwise from the normal
 * approximation with the tie correction of the variance and a continuity correction.
 */
import { Rng } from "../core/rng.ts";
import { quantileSorted } from "./summary.ts";

export type Alternative = "two-sided" | "less" | "greater";

export interface WilcoxonResult {
  /** Two-sided: min(W+, W−); one-sided: W+ (sum of ranks of positive x − y). */
  statistic: number;
  pValue: number;
  /** Pairs left after dropping zero differences. */
  n: number;
  method: "exact" | "approx";
  /** The normal deviate, for the approximation only. */
  z?: number;
}

/** Average ranks (1-based) of the values, ties sharing the mean of their positions. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (so ties are handled as scipy's
 * `spearmanr` does). Pairs with a NaN on either side are dropped; NaN when fewer than two pairs
 * remain or either side is constant.
 */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} vs ${y.length} values`);
  const keep = x.flatMap((v, i) => (Number.isNaN(v) || Number.isNaN(y[i]) ? [] : [i]));
  if (keep.length < 2) return NaN;
  const rx = averageRanks(keep.map((i) => x[i]));
  const ry = averageRanks(keep.map((i) => y[i]));
  const m = (keep.length + 1) / 2; // the mean of ranks 1..n, ties included
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < keep.length; k++) {
    sxy += (rx[k] - m) * (ry[k] - m);
    sxx += (rx[k] - m) ** 2;
    syy += (ry[k] - m) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Number of subsets of {1..n} with each rank sum s = 0..n(n+1)/2: the exact null counts. */
export function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--) counts[s] += counts[s - k];
  }
  return counts;
}

/** Upper tail of the standard normal, P(Z > x), accurate to ~1e-15 absolute and in the tails. */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 1 - normalSf(-x);
  const pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  if (x < 3) {
    // Φ(x) − 1/2 = φ(x)·Σ x^(2k+1) / (1·3·…·(2k+1)).
    let term = x, sum = x;
    for (let k = 1; k < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
      term *= (x * x) / (2 * k + 1);
      sum += term;
    }
    return 0.5 - pdf * sum;
  }
  // Laplace's continued fraction: Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))).
  let frac = x;
  for (let k = 60; k >= 1; k--) frac = x + k / frac;
  return pdf / frac;
}

export function wilcoxonSignedRank(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative = "two-sided",
): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError(`wilcoxon: ${x.length} vs ${y.length} values`);
  const d = x.map((v, i) => v - y[i]).filter((v) => v !== 0 && !Number.isNaN(v));
  const n = d.length;
  if (n === 0) return { statistic: 0, pValue: NaN, n, method: "exact" };
  const ranks = averageRanks(d.map(Math.abs));
  const wPlus = ranks.reduce((s, r, i) => s + (d[i] > 0 ? r : 0), 0);
  const total = (n * (n + 1)) / 2;
  const wMinus = total - wPlus;
  const statistic = alternative === "two-sided" ? Math.min(wPlus, wMinus) : wPlus;
  const hasTies = new Set(d.map(Math.abs)).size < n;
  const hasZeros = x.some((v, i) => v - y[i] === 0);

  // As R: the exact null distribution holds only without ties and without dropped zeros.
  if (n < 50 && !hasTies && !hasZeros) {
    const counts = signedRankCounts(n);
    const all = 2 ** n;
    const cdf = (w: number) => counts.slice(0, Math.floor(w) + 1).reduce((s, c) => s + c, 0) / all;
    const sf = (w: number) => counts.slice(Math.ceil(w)).reduce((s, c) => s + c, 0) / all;
    const pValue = alternative === "two-sided"
      ? Math.min(1, 2 * cdf(statistic))
      : alternative === "greater"
      ? sf(wPlus)
      : cdf(wPlus);
    return { statistic, pValue, n, method: "exact" };
  }

  const mean = total / 2;
  const tieTerm = [...tieSizes(ranks)].reduce((s, t) => s + t ** 3 - t, 0);
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const diff = wPlus - mean;
  const correction = alternative === "two-sided"
    ? 0.5 * Math.sign(diff)
    : alternative === "greater"
    ? 0.5
    : -0.5;
  const z = (diff - correction) / sd;
  const pValue = alternative === "two-sided"
    ? Math.min(1, 2 * Math.min(normalSf(z), normalSf(-z)))
    : alternative === "greater"
    ? normalSf(z)
    : normalSf(-z);
  return { statistic, pValue, n, method: "approx", z };
}

function* tieSizes(ranks: readonly number[]): Generator<number> {
  const counts = new Map<number, number>();
  for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const c of counts.values()) if (c > 1) yield c;
}

export interface ConfidenceInterval {
  estimate: number;
  lower: number;
  upper: number;
  level: number;
}

export interface BootstrapOptions {
  rng: Rng;
  resamples?: number;
  level?: number;
  statistic?: (sample: readonly number[]) => number;
}

const meanOf = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Percentile bootstrap CI: resample the values with replacement `resamples` times, take the
 * (1 − level)/2 and (1 + level)/2 quantiles of the statistic. For the MRE, pass the per-image MREs
 * (images, not points, are the independent units).
 */
export function bootstrapCi(values: readonly number[], opts: BootstrapOptions): ConfidenceInterval {
  const statistic = opts.statistic ?? meanOf;
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const n = values.length;
  if (n === 0) return { estimate: NaN, lower: NaN, upper: NaN, level };
  const stats = new Array<number>(resamples);
  const sample = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[opts.rng.int(0, n)];
    stats[b] = statistic(sample);
  }
  stats.sort((a, b) => a - b);
  return {
    estimate: statistic(values),
    lower: quantileSorted(stats, (1 - level) / 2),
    upper: quantileSorted(stats, (1 + level) / 2),
    level,
  };
}
