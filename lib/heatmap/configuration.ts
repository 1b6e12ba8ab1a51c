/**
 * Choosing the four heatmap peaks together: local appearance × spatial configuration.
 *
 * Per-channel argmax trusts each heatmap alone, so one spurious peak (a bright echo at the image
 * edge, the wrong end of a near-round head) moves a landmark by hundreds of pixels while the other
 * three are right. Payer et al. (MedIA 2019) combine a local-appearance and a spatial-configuration
 * component inside the network; this is the same idea at decoding time, with the configuration
 * known in closed form: OFD and BPD are the axes of one ellipse, so they are perpendicular, share
 * their midpoint, and the BPD is not longer than the OFD.
 *
 * Each channel offers its strongest local maxima (at least `minDistance` apart, at least
 * `minRelativePeak` of its top); every combination is scored
 *   Σ_c log(v_c / v_c,top)  −  weight · G(points)
 * and the best wins, so the plain argmax is kept unless a slightly weaker peak makes a much more
 * plausible skull. G (scale-free, 0 for a perfect ellipse-axis configuration), with u = OFD2 − OFD1,
 * v = BPD2 − BPD1, m = the offset between the two axes' midpoints, r = |v| / |u|:
 *   cos²∠(u, v)  +  |m|² / ((|u|² + |v|²) / 2)  +  max(0, r − 1)²  +  max(0, 1/r − 4)²
 * The last two terms stop a collapsed pair (both channels on one end) from looking perpendicular.
 */
import type { Point } from "../core/types.ts";
import { InputError } from "../core/errors.ts";

export interface Candidate extends Point {
  /** Heatmap value at this integer position. */
  value: number;
}

export interface ConfigurationOptions {
  /** Local maxima offered per channel. Default 3. */
  candidates?: number;
  /** Smallest distance between two candidates of one channel, heatmap px. Default 4. */
  minDistance?: number;
  /** A candidate needs at least this fraction of its channel's top value. Default 0.1. */
  minRelativePeak?: number;
  /** Weight of the configuration penalty against log peak ratios. Default 10. */
  weight?: number;
}

/** Strongest local maxima of one channel (integer positions), strongest first, top one always. */
export function channelCandidates(
  value: (x: number, y: number) => number,
  width: number,
  height: number,
  options: ConfigurationOptions = {},
): Candidate[] {
  const { candidates = 3, minDistance = 4, minRelativePeak = 0.1 } = options;
  if (!(candidates >= 1 && Number.isInteger(candidates))) {
    throw new InputError("candidates must be an integer ≥ 1", undefined, undefined, candidates);
  }
  const maxima: Candidate[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = value(x, y);
      if (!Number.isFinite(v)) continue;
      let isMax = true;
      for (let dy = -1; dy <= 1 && isMax; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy;
          if ((dx || dy) && xx >= 0 && xx < width && yy >= 0 && yy < height) {
            const w = value(xx, yy);
            // Strictly greater before, ≥ after in scan order: one maximum per plateau.
            if (w > v || (w === v && (dy < 0 || (dy === 0 && dx < 0)))) {
              isMax = false;
              break;
            }
          }
        }
      }
      if (isMax) maxima.push({ x, y, value: v });
    }
  }
  maxima.sort((a, b) => b.value - a.value);
  const out: Candidate[] = [];
  for (const m of maxima) {
    if (out.length === candidates) break;
    if (out.length > 0 && !(m.value >= minRelativePeak * out[0].value)) break;
    if (out.every((o) => Math.hypot(o.x - m.x, o.y - m.y) >= minDistance)) out.push(m);
  }
  return out;
}

/** G of the module comment for OFD1, OFD2, BPD1, BPD2 (any units; scale-free). */
export function configurationPenalty(p: readonly Point[]): number {
  const ux = p[1].x - p[0].x, uy = p[1].y - p[0].y;
  const vx = p[3].x - p[2].x, vy = p[3].y - p[2].y;
  const uu = ux * ux + uy * uy, vv = vx * vx + vy * vy;
  const eps = 1e-9;
  const dot = ux * vx + uy * vy;
  const mx = (p[0].x + p[1].x - p[2].x - p[3].x) / 2;
  const my = (p[0].y + p[1].y - p[2].y - p[3].y) / 2;
  const r = Math.sqrt((vv + eps) / (uu + eps));
  return (dot * dot) / (uu * vv + eps) +
    (mx * mx + my * my) / ((uu + vv) / 2 + eps) +
    Math.max(0, r - 1) ** 2 +
    Math.max(0, 1 / r - 4) ** 2;
}

/**
 * Index of the chosen candidate in each of the four channels (see the module comment). Channels
 * with an empty candidate list are not allowed.
 */
export function selectConfiguration(
  candidates: readonly (readonly Candidate[])[],
  options: ConfigurationOptions = {},
): [number, number, number, number] {
  const { weight = 10 } = options;
  if (candidates.length !== 4 || candidates.some((c) => c.length === 0)) {
    throw new InputError("selectConfiguration needs candidates for 4 channels");
  }
  if (!(weight >= 0)) throw new InputError("weight must be ≥ 0", undefined, undefined, weight);
  const appearance = candidates.map((list) =>
    list.map((c) => Math.log(Math.max(c.value, 1e-12) / Math.max(list[0].value, 1e-12)))
  );
  let best: [number, number, number, number] = [0, 0, 0, 0], bestScore = -Infinity;
  const [a, b, c, d] = candidates;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      for (let k = 0; k < c.length; k++) {
        for (let l = 0; l < d.length; l++) {
          const score = appearance[0][i] + appearance[1][j] + appearance[2][k] + appearance[3][l] -
            weight * configurationPenalty([a[i], b[j], c[k], d[l]]);
          if (score > bestScore) [bestScore, best] = [score, [i, j, k, l]];
        }
      }
    }
  }
  return best;
}
