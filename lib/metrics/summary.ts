/** Descriptive statistics shared by the metric families. NaN values are skipped, not propagated. */

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN for n < 2. */
  std: number;
  median: number;
  min: number;
  max: number;
}

/** Quantile with linear interpolation between order statistics (numpy's default, R type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b), q);
}

export function mean(values: readonly number[]): number {
  const v = values.filter((x) => !Number.isNaN(x));
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

export function summarize(values: readonly number[]): Summary {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return { n, mean: NaN, std: NaN, median: NaN, min: NaN, max: NaN };
  const m = v.reduce((s, x) => s + x, 0) / n;
  const std = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (n - 1)) : NaN;
  return { n, mean: m, std, median: quantileSorted(v, 0.5), min: v[0], max: v[n - 1] };
}
