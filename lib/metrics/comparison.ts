/**
 * Paired comparison of two evaluations of the same images (e.g. two model families): per-image
 * MREs matched by image id, then the Wilcoxon signed-rank test on the differences.
 */
import type { EvalResult } from "./evaluation.ts";
import { type Alternative, type WilcoxonResult, wilcoxonSignedRank } from "./statistics.ts";
import { summarize } from "./summary.ts";

export interface PairedComparison {
  /** Images evaluated by both. */
  n: number;
  meanA: number;
  meanB: number;
  /** Median of the per-image differences a − b. */
  medianDiff: number;
  wilcoxon: WilcoxonResult;
  unit: "px" | "mm";
}

/**
 * Compares per-image MRE of `a` and `b` (in mm when every shared image has a pixel size, else px).
 * `alternative: "less"` tests whether `a` has the smaller errors.
 */
export function compareMre(
  a: EvalResult,
  b: EvalResult,
  alternative: Alternative = "two-sided",
): PairedComparison {
  const byId = new Map(b.landmarks.images.map((r) => [r.id, r]));
  const pairs = a.landmarks.images.filter((r) => byId.has(r.id)).map((r) =>
    [r, byId.get(r.id)!] as const
  );
  const mm = pairs.length > 0 &&
    pairs.every(([x, y]) => x.mreMm !== undefined && y.mreMm !== undefined);
  const value = (r: (typeof pairs)[number][0]) => (mm ? r.mreMm! : r.mrePx);
  const xs = pairs.map(([x]) => value(x)), ys = pairs.map(([, y]) => value(y));
  return {
    n: pairs.length,
    meanA: summarize(xs).mean,
    meanB: summarize(ys).mean,
    medianDiff: summarize(xs.map((x, i) => x - ys[i])).median,
    wilcoxon: wilcoxonSignedRank(xs, ys, alternative),
    unit: mm ? "mm" : "px",
  };
}
