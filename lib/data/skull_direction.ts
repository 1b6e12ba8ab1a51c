/**
 * Does a head ellipse lie on the skull's echo, and which turn of it would lie better?
 *
 * The skull shows as a bright band along the head's outline. Turning the ellipse about its centre
 * (centre and axes kept) and averaging the image over a thin band just inside the outline scores
 * each turn; the best one is the direction the image itself supports. On an elongated head that
 * direction is well defined, so a large turn says the annotated ellipse runs off the bone there; on
 * a near-round head every turn scores about alike and the best one is noise (its `gain` is small).
 *
 * It reads only the image and the ellipse, no model, so it separates what the annotation and the
 * image disagree on from what a model gets wrong (notebook 07, `skullDirectionStudy`). One image's
 * turn is a hint, not a verdict: another bright echo along the skull (the uterine wall, a strong
 * midline) can pull it by 10–20°, as on HC18's `022_HC`. So it serves correlations over many
 * images, not a per-row check in the label audit (lib/data/audit.ts).
 */
import type { Ellipse, GrayImage } from "../core/types.ts";

export interface SkullDirectionOptions {
  /** Turns searched: ± this many degrees (default 20). */
  maxTurnDeg?: number;
  /** Search step in degrees (default 0.25). */
  stepDeg?: number;
  /**
   * The band: the outline scaled about the centre by each factor (default 0.94, 0.96, 0.98, 1).
   * HC18's ellipses follow the skull's outer edge, so the bone lies just inside them; on HC18
   * validation this band tracked the models' direction errors better than wider or outer ones.
   */
  bandScales?: readonly number[];
  /** Points along each scaled outline (default 720). */
  samples?: number;
}

export interface SkullDirection {
  /**
   * The best turn in degrees, in the sign convention of `signedAngleErrorDeg` (positive is
   * clockwise on screen, image y pointing down); ties go to the smaller |turn|, so a band that is
   * the same at every turn (a flat image) gives 0, while a circle scores about alike at every turn
   * and its turn is noise. NaN when the band never meets the image.
   */
  turnDeg: number;
  /** Mean band intensity at the best turn over that at no turn, minus 1 (≥ 0; NaN as above). */
  gain: number;
}

function bilinear(img: GrayImage, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  if (x0 < 0 || y0 < 0 || x0 + 1 >= img.width || y0 + 1 >= img.height) return NaN;
  const fx = x - x0, fy = y - y0, w = img.width, d = img.data;
  const i = y0 * w + x0;
  const top = d[i] * (1 - fx) + d[i + 1] * fx;
  const bottom = d[i + w] * (1 - fx) + d[i + w + 1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Mean image value over the band of `e` turned to `angle`, skipping points outside the image. */
function bandMean(
  img: GrayImage,
  e: Ellipse,
  angle: number,
  scales: readonly number[],
  samples: number,
): number {
  const c = Math.cos(angle), s = Math.sin(angle);
  let sum = 0, n = 0;
  for (let k = 0; k < samples; k++) {
    const t = (2 * Math.PI * k) / samples;
    const u0 = e.a * Math.cos(t), v0 = e.b * Math.sin(t);
    for (const f of scales) {
      const v = bilinear(img, e.cx + f * (u0 * c - v0 * s), e.cy + f * (u0 * s + v0 * c));
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
  }
  return n ? sum / n : NaN;
}

export function skullDirection(
  image: GrayImage,
  ellipse: Ellipse,
  opts: SkullDirectionOptions = {},
): SkullDirection {
  const {
    maxTurnDeg = 20,
    stepDeg = 0.25,
    bandScales = [0.94, 0.96, 0.98, 1],
    samples = 720,
  } = opts;
  if (!(stepDeg > 0 && maxTurnDeg >= 0)) {
    throw new RangeError(`skullDirection: bad search (step ${stepDeg}°, ±${maxTurnDeg}°)`);
  }
  const steps = Math.floor(maxTurnDeg / stepDeg + 1e-9);
  const atTurn = (deg: number) =>
    bandMean(image, ellipse, ellipse.angle + (deg * Math.PI) / 180, bandScales, samples);
  const base = atTurn(0);
  let best = { turnDeg: NaN, score: -Infinity };
  // 0, +1, −1, +2, −2, … steps: the first of equal scores is the smallest turn.
  for (let k = 0; k <= 2 * steps; k++) {
    const deg = (k % 2 ? 1 : -1) * Math.ceil(k / 2) * stepDeg;
    const score = k === 0 ? base : atTurn(deg);
    if (score > best.score) best = { turnDeg: k === 0 ? 0 : deg, score };
  }
  return Number.isFinite(best.score) && base > 0
    ? { turnDeg: best.turnDeg, gain: best.score / base - 1 }
    : { turnDeg: best.turnDeg, gain: NaN };
}
