/**
 * Sub-pixel boundary points of a binary mask, for ellipse fitting.
 *
 * lib/geometry/mask.ts `boundaryPoints` returns the centres of the inner contour pixels, which lie
 * about half a pixel inside the object's edge: an ellipse fitted to them is short by ~0.5 px per
 * semi-axis (on a 256-px model mask of an 800-px image, ~1.5 image px, i.e. ~1.5 mm of HC at
 * 0.15 mm/px). Here every "crack" between an inside pixel and its outside 4-neighbour gives one
 * point on the shared pixel edge: at the edge midpoint, or, when the soft map the mask came from
 * crosses the threshold between the two pixel centres, at the linearly interpolated crossing.
 * Cracks on the image frame (the object continues outside the image) give no point.
 */
import type { Mask, Point } from "../core/types.ts";

/** A soft map on the same grid as the mask and the threshold that produced it. */
export interface SoftSource {
  data: ArrayLike<number>;
  threshold: number;
}

export function edgePoints(mask: Mask, soft?: SoftSource): Point[] {
  const { width: w, height: h, data } = mask;
  const points: Point[] = [];
  // Fraction of the way from the inside centre i to the outside centre j where the edge lies.
  const crossing = (i: number, j: number): number => {
    if (!soft) return 0.5;
    const vi = soft.data[i], vj = soft.data[j], t = soft.threshold;
    // Only trust the soft map where it agrees with the cleaned mask across this crack.
    return vi >= t && vj < t ? (vi - t) / (vi - vj) : 0.5;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      if (x > 0 && !data[i - 1]) points.push({ x: x - crossing(i, i - 1), y });
      if (x < w - 1 && !data[i + 1]) points.push({ x: x + crossing(i, i + 1), y });
      if (y > 0 && !data[i - w]) points.push({ x, y: y - crossing(i, i - w) });
      if (y < h - 1 && !data[i + w]) points.push({ x, y: y + crossing(i, i + w) });
    }
  }
  return points;
}
