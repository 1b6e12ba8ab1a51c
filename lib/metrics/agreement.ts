/**
 * Bland–Altman agreement between two paired measurement series (Bland & Altman, Lancet 1986):
 * bias = mean(a − b), limits of agreement = bias ± 1.96 · sd(a − b) (sample sd, n − 1).
 */
export interface BlandAltman {
  n: number;
  bias: number;
  sd: number;
  lower: number;
  upper: number;
}

export function blandAltman(a: readonly number[], b: readonly number[]): BlandAltman {
  if (a.length !== b.length) throw new RangeError(`blandAltman: ${a.length} vs ${b.length} values`);
  const n = a.length;
  const diffs = a.map((v, i) => v - b[i]);
  const bias = n ? diffs.reduce((s, d) => s + d, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(diffs.reduce((s, d) => s + (d - bias) ** 2, 0) / (n - 1)) : NaN;
  return { n, bias, sd, lower: bias - 1.96 * sd, upper: bias + 1.96 * sd };
}
