/**
 * Geometric augmentations: shift / scale / rotate (alone or combined), flips, elastic transform,
 * grid distortion and optical distortion.
 *
 * Every transform is a `Warp`: an exact target → source map that drives resampling (bilinear for
 * the image, nearest-neighbour for the mask, zero outside the source) and its source → target
 * inverse that moves the landmarks. Affine warps and grid distortion invert in closed form; the
 * elastic and optical warps invert numerically (fixed-point / Newton iteration to 1e-6 px), so
 * landmarks follow the pixels to far below 0.5 px. After every warp the landmarks are
 * re-canonicalised, since flips and rotations can swap the ends of an axis.
 *
 * Out-of-image policy (reject and redraw): a drawn warp that would put any landmark outside the
 * target image (`0 ≤ x ≤ W-1`, `0 ≤ y ≤ H-1`) is rejected and the parameters are drawn again, up
 * to `maxTries` (default 10) times. If every try fails the sample is returned unchanged and the
 * transform's label is appended to `sample.skipped`, so callers can count it; nothing is clamped.
 */
import type { Rng } from "../core/rng.ts";
import type { GrayImage, Landmarks, Mask, Point } from "../core/types.ts";
import { InputError } from "../core/errors.ts";
import { canonicalize } from "../data/landmark_order.ts";
import { maybe } from "./compose.ts";
import { type AugSample, type PointMap, type Transform, transform } from "./types.ts";

/** A point map that can also fill the source coordinates of a whole target row at once. */
export interface Warp extends PointMap {
  /** Target size. */
  readonly width: number;
  readonly height: number;
  /** Source coordinates of target pixels (0..width-1, y). */
  sourceRow(y: number, sx: Float32Array, sy: Float32Array): void;
  /** Every target pixel's source is a whole pixel (flips, integer shifts): resampling just copies. */
  readonly integral?: boolean;
}

// ---------------------------------------------------------------- resampling

/** Bilinear resampling through `warp`; source pixels outside the image count as 0. */
export function warpImage(image: GrayImage, warp: Warp): GrayImage {
  if (warp.integral) return warpNearest(image, warp, Float32Array);
  const { width: W, height: H } = warp;
  const sw = image.width;
  const sh = image.height;
  const src = image.data;
  const out = new Float32Array(W * H);
  const sx = new Float32Array(W);
  const sy = new Float32Array(W);
  for (let y = 0; y < H; y++) {
    warp.sourceRow(y, sx, sy);
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const fx = sx[x];
      const fy = sy[x];
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      const i = y0 * sw + x0;
      let v00, v10, v01, v11;
      if (x0 >= 0 && y0 >= 0 && x0 < sw - 1 && y0 < sh - 1) {
        v00 = src[i];
        v10 = src[i + 1];
        v01 = src[i + sw];
        v11 = src[i + sw + 1];
      } else {
        // Border: neighbours outside the source read as 0.
        if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) continue;
        const inX0 = x0 >= 0, inX1 = x0 + 1 < sw, inY0 = y0 >= 0, inY1 = y0 + 1 < sh;
        v00 = inX0 && inY0 ? src[i] : 0;
        v10 = inX1 && inY0 ? src[i + 1] : 0;
        v01 = inX0 && inY1 ? src[i + sw] : 0;
        v11 = inX1 && inY1 ? src[i + sw + 1] : 0;
      }
      const top = v00 + (v10 - v00) * ax;
      const bottom = v01 + (v11 - v01) * ax;
      out[row + x] = top + (bottom - top) * ay;
    }
  }
  return { width: W, height: H, data: out };
}

/** Nearest-neighbour resampling of any pixel array; outside the source is 0. */
function warpNearest<T extends Float32Array | Uint8Array>(
  src: { width: number; height: number; data: T },
  warp: Warp,
  make: new (n: number) => T,
): { width: number; height: number; data: T } {
  const { width: W, height: H } = warp;
  const out = new make(W * H);
  const sx = new Float32Array(W);
  const sy = new Float32Array(W);
  for (let y = 0; y < H; y++) {
    warp.sourceRow(y, sx, sy);
    for (let x = 0; x < W; x++) {
      const ix = Math.round(sx[x]);
      const iy = Math.round(sy[x]);
      if (ix >= 0 && iy >= 0 && ix < src.width && iy < src.height) {
        out[y * W + x] = src.data[iy * src.width + ix];
      }
    }
  }
  return { width: W, height: H, data: out };
}

/** Nearest-neighbour resampling (keeps a mask binary); outside the source is 0. */
export function warpMask(mask: Mask, warp: Warp): Mask {
  return warpNearest(mask, warp, Uint8Array);
}

function forwardLandmarks(l: Landmarks, warp: PointMap): Landmarks {
  return [warp.forward(l[0]), warp.forward(l[1]), warp.forward(l[2]), warp.forward(l[3])];
}

function inside(l: Landmarks, width: number, height: number): boolean {
  // Written so that NaN (a point the warp cannot reach) counts as outside.
  return l.every((p) => p.x >= 0 && p.x <= width - 1 && p.y >= 0 && p.y <= height - 1);
}

/** Apply a warp to a whole sample: image, mask, landmarks (canonicalised) and the map record. */
export function applyWarp(s: AugSample, warp: Warp): AugSample {
  return {
    image: warpImage(s.image, warp),
    mask: s.mask ? warpMask(s.mask, warp) : undefined,
    landmarks: canonicalize(forwardLandmarks(s.landmarks, warp)),
    maps: [...s.maps, warp],
    skipped: s.skipped,
  };
}

/** Carry points from the frame after `maps` (e.g. model space) back to the original image. */
export function mapToSource(maps: readonly PointMap[], points: readonly Point[]): Point[] {
  return points.map((p) => {
    let q = p;
    for (let i = maps.length - 1; i >= 0; i--) q = maps[i].inverse(q);
    return q;
  });
}

/** Carry points from the original image through `maps` (e.g. labels into model space). */
export function mapToTarget(maps: readonly PointMap[], points: readonly Point[]): Point[] {
  return points.map((p) => maps.reduce((q, m) => m.forward(q), p));
}

export interface GeometricOptions {
  /** Probability of applying the transform. Default 1. */
  p?: number;
  /** Draws before giving up when landmarks leave the image (see the policy above). Default 10. */
  maxTries?: number;
}

/** A random geometric transform under the reject-and-redraw policy. */
export function randomWarp(
  label: string,
  draw: (width: number, height: number, rng: Rng) => Warp,
  options: GeometricOptions = {},
): Transform {
  const { p = 1, maxTries = 10 } = options;
  if (!(Number.isInteger(maxTries) && maxTries >= 1)) {
    throw new InputError(
      `${label}: maxTries must be a positive integer`,
      undefined,
      undefined,
      maxTries,
    );
  }
  const t = transform(label, (s, rng) => {
    for (let i = 0; i < maxTries; i++) {
      const warp = draw(s.image.width, s.image.height, rng);
      if (inside(forwardLandmarks(s.landmarks, warp), warp.width, warp.height)) {
        return applyWarp(s, warp);
      }
    }
    return { ...s, skipped: [...s.skipped, label] };
  });
  return maybe(p, t);
}

// ---------------------------------------------------------------- affine

/** Row-major 2×3 matrix [a, b, c, d, e, f]: x' = a x + b y + c, y' = d x + e y + f. */
export type Affine = [number, number, number, number, number, number];

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) {
    throw new InputError("affine matrix is singular", undefined, undefined, m);
  }
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/** A warp whose target = `m` · source, keeping or changing the image size. */
export function affineWarp(
  label: string,
  m: Affine,
  width: number,
  height: number,
): Warp {
  const inv = invertAffine(m);
  const apply = (t: Affine, p: Point): Point => ({
    x: t[0] * p.x + t[1] * p.y + t[2],
    y: t[3] * p.x + t[4] * p.y + t[5],
  });
  return {
    label,
    width,
    height,
    integral: inv.every(Number.isInteger),
    forward: (p) => apply(m, p),
    inverse: (p) => apply(inv, p),
    sourceRow(y, sx, sy) {
      const [a, b, c, d, e, f] = inv;
      const bx = b * y + c;
      const by = e * y + f;
      for (let x = 0; x < sx.length; x++) {
        sx[x] = a * x + bx;
        sy[x] = d * x + by;
      }
    },
  };
}

/**
 * Target = centre + scale · R(angle) · (source − centre) + shift, about the image centre.
 * A positive angle turns the content counter-clockwise on screen (as OpenCV's
 * getRotationMatrix2D); `shift` is in pixels.
 */
export function shiftScaleRotateMatrix(
  width: number,
  height: number,
  angleDeg: number,
  scale: number,
  shiftX: number,
  shiftY: number,
): Affine {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const t = (angleDeg * Math.PI) / 180;
  const a = scale * Math.cos(t);
  const b = scale * Math.sin(t);
  // [x'; y'] = [a b; -b a] [x - cx; y - cy] + [cx + sx; cy + sy]
  return [a, b, cx + shiftX - a * cx - b * cy, -b, a, cy + shiftY + b * cx - a * cy];
}

export interface ShiftScaleRotateOptions extends GeometricOptions {
  /** Shift up to ± this fraction of the width / height. Default 0.1. */
  shiftLimit?: number;
  /** Scale factor in 1 ± scaleLimit. Default 0.15. */
  scaleLimit?: number;
  /** Rotation in ± this many degrees. Default 20. */
  rotateLimitDeg?: number;
}

/** Combined shift, scale and rotation (one resampling), each drawn uniformly. */
export function shiftScaleRotate(options: ShiftScaleRotateOptions = {}): Transform {
  const { shiftLimit = 0.1, scaleLimit = 0.15, rotateLimitDeg = 20 } = options;
  const label = `shiftScaleRotate(±${shiftLimit * 100}%, ±${
    scaleLimit * 100
  }%, ±${rotateLimitDeg}°)`;
  return randomWarp(label, (w, h, rng) => {
    const angle = rng.uniform(-rotateLimitDeg, rotateLimitDeg);
    const scale = 1 + rng.uniform(-scaleLimit, scaleLimit);
    const dx = rng.uniform(-shiftLimit, shiftLimit) * w;
    const dy = rng.uniform(-shiftLimit, shiftLimit) * h;
    return affineWarp(label, shiftScaleRotateMatrix(w, h, angle, scale, dx, dy), w, h);
  }, options);
}

export function rotate(options: GeometricOptions & { limitDeg?: number } = {}): Transform {
  const { limitDeg = 20 } = options;
  const label = `rotate(±${limitDeg}°)`;
  return randomWarp(label, (w, h, rng) => {
    const m = shiftScaleRotateMatrix(w, h, rng.uniform(-limitDeg, limitDeg), 1, 0, 0);
    return affineWarp(label, m, w, h);
  }, options);
}

export function scale(options: GeometricOptions & { limit?: number } = {}): Transform {
  const { limit = 0.15 } = options;
  const label = `scale(±${limit * 100}%)`;
  return randomWarp(label, (w, h, rng) => {
    const m = shiftScaleRotateMatrix(w, h, 0, 1 + rng.uniform(-limit, limit), 0, 0);
    return affineWarp(label, m, w, h);
  }, options);
}

export function shift(options: GeometricOptions & { limit?: number } = {}): Transform {
  const { limit = 0.1 } = options;
  const label = `shift(±${limit * 100}%)`;
  return randomWarp(label, (w, h, rng) => {
    const dx = rng.uniform(-limit, limit) * w;
    const dy = rng.uniform(-limit, limit) * h;
    return affineWarp(label, shiftScaleRotateMatrix(w, h, 0, 1, dx, dy), w, h);
  }, options);
}

/** Mirror left-right (x → W-1-x; exact, no interpolation). Default p 0.5. */
export function flipHorizontal(options: { p?: number } = {}): Transform {
  const { p = 0.5 } = options;
  return randomWarp(
    "flipHorizontal",
    (w, h) => affineWarp("flipHorizontal", [-1, 0, w - 1, 0, 1, 0], w, h),
    {
      p,
    },
  );
}

/** Mirror top-bottom (y → H-1-y; exact). Default p 0.1. */
export function flipVertical(options: { p?: number } = {}): Transform {
  const { p = 0.1 } = options;
  return randomWarp(
    "flipVertical",
    (w, h) => affineWarp("flipVertical", [1, 0, 0, 0, -1, h - 1], w, h),
    {
      p,
    },
  );
}

// ---------------------------------------------------------------- elastic

/** Uniform cubic B-spline basis weights at fraction t of a knot interval. */
function bsplineWeights(t: number, out: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  const u = 1 - t;
  out[0] = (u * u * u) / 6;
  out[1] = (3 * t3 - 6 * t2 + 4) / 6;
  out[2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  out[3] = t3 / 6;
}

/**
 * A smooth displacement field: a cubic B-spline through random control displacements on a
 * coarse grid. Resampling reads `source = target + d(target)`; the landmark map solves
 * `p + d(p) = q` by fixed-point iteration, which converges because |∇d| < 1 (checked).
 */
export function displacementWarp(
  label: string,
  width: number,
  height: number,
  spacing: number,
  controlX: Float64Array,
  controlY: Float64Array,
): Warp {
  const nx = Math.ceil(width / spacing) + 4;
  const ny = Math.ceil(height / spacing) + 4;
  if (controlX.length !== nx * ny || controlY.length !== nx * ny) {
    throw new InputError(
      `${label}: expected ${nx}×${ny} control displacements`,
      undefined,
      undefined,
      controlX.length,
    );
  }
  // Knot k sits at -0.5 + (k - 1) * spacing, so every pixel has knots k-1..k+2 on both sides.
  const cell = (v: number, n: number) => {
    const u = Math.min(Math.max((v + 0.5) / spacing + 1, 1), n - 3 - 1e-9);
    const k = Math.floor(u);
    return { k, t: u - k };
  };
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const displacement = (p: Point): Point => {
    const cx = cell(p.x, nx);
    const cy = cell(p.y, ny);
    bsplineWeights(cx.t, wx);
    bsplineWeights(cy.t, wy);
    let dx = 0;
    let dy = 0;
    for (let j = 0; j < 4; j++) {
      const row = (cy.k - 1 + j) * nx + cx.k - 1;
      for (let i = 0; i < 4; i++) {
        const w = wy[j] * wx[i];
        dx += w * controlX[row + i];
        dy += w * controlY[row + i];
      }
    }
    return { x: dx, y: dy };
  };
  // Per-column knot index and weights, computed once for all rows.
  const colK = new Int32Array(width);
  const colW = new Float64Array(width * 4);
  for (let x = 0; x < width; x++) {
    const { k, t } = cell(x, nx);
    colK[x] = k;
    bsplineWeights(t, wx);
    colW.set(wx, x * 4);
  }
  const rowX = new Float64Array(nx);
  const rowY = new Float64Array(nx);
  return {
    label,
    width,
    height,
    inverse: (p) => {
      const d = displacement(p);
      return { x: p.x + d.x, y: p.y + d.y };
    },
    forward: (q) => {
      let p = { x: q.x, y: q.y };
      for (let it = 0; it < 100; it++) {
        const d = displacement(p);
        const next = { x: q.x - d.x, y: q.y - d.y };
        const moved = Math.hypot(next.x - p.x, next.y - p.y);
        p = next;
        if (moved < 1e-7) break;
      }
      return p;
    },
    sourceRow(y, sx, sy) {
      const { k, t } = cell(y, ny);
      bsplineWeights(t, wy);
      for (let i = 0; i < nx; i++) {
        let ax = 0;
        let ay = 0;
        for (let j = 0; j < 4; j++) {
          ax += wy[j] * controlX[(k - 1 + j) * nx + i];
          ay += wy[j] * controlY[(k - 1 + j) * nx + i];
        }
        rowX[i] = ax;
        rowY[i] = ay;
      }
      for (let x = 0; x < sx.length; x++) {
        const k0 = colK[x] - 1;
        const w = x * 4;
        sx[x] = x + colW[w] * rowX[k0] + colW[w + 1] * rowX[k0 + 1] + colW[w + 2] * rowX[k0 + 2] +
          colW[w + 3] * rowX[k0 + 3];
        sy[x] = y + colW[w] * rowY[k0] + colW[w + 1] * rowY[k0 + 1] + colW[w + 2] * rowY[k0 + 2] +
          colW[w + 3] * rowY[k0 + 3];
      }
    },
  };
}

export interface ElasticOptions extends GeometricOptions {
  /** Largest control displacement, as a fraction of the image's longer side. Default 0.03. */
  alpha?: number;
  /** Control-point spacing, as a fraction of the longer side (sets the smoothness). Default 0.25. */
  spacing?: number;
}

/**
 * Elastic deformation (smooth random displacement field, cf. Simard et al. 2003), built from a
 * coarse B-spline grid rather than a Gaussian-blurred dense field: the same smoothness at a
 * fraction of the cost, and the field can be evaluated anywhere, which the landmark map needs.
 */
export function elastic(options: ElasticOptions = {}): Transform {
  const { alpha = 0.03, spacing = 0.25 } = options;
  // Each partial derivative of a B-spline field is at most the largest control difference (2·alpha)
  // over the spacing, so the Jacobian's norm is below 4·alpha/spacing. Keeping that < 0.9 makes
  // the fixed-point inversion a contraction (and the warp fold-free).
  if (!(alpha >= 0 && spacing > 0 && (4 * alpha) / spacing < 0.9)) {
    throw new InputError("elastic: need 4·alpha/spacing < 0.9", undefined, undefined, {
      alpha,
      spacing,
    });
  }
  const label = `elastic(α=${alpha}, spacing=${spacing})`;
  return randomWarp(label, (w, h, rng) => {
    const side = Math.max(w, h);
    const step = spacing * side;
    const n = (Math.ceil(w / step) + 4) * (Math.ceil(h / step) + 4);
    const amp = alpha * side;
    const cx = new Float64Array(n);
    const cy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      cx[i] = rng.uniform(-amp, amp);
      cy[i] = rng.uniform(-amp, amp);
    }
    return displacementWarp(label, w, h, step, cx, cy);
  }, options);
}

// ---------------------------------------------------------------- grid distortion

/**
 * A monotone piecewise-linear map of one axis: target knots evenly spaced over [-0.5, n-0.5],
 * source knots at `sourceKnots` (same ends). Returns both directions.
 */
function piecewiseAxis(n: number, sourceKnots: Float64Array) {
  const cells = sourceKnots.length - 1;
  const step = n / cells;
  const toSource = (v: number) => {
    const c = Math.min(Math.max(Math.floor((v + 0.5) / step), 0), cells - 1);
    const t = (v + 0.5 - c * step) / step;
    return sourceKnots[c] + t * (sourceKnots[c + 1] - sourceKnots[c]);
  };
  const toTarget = (v: number) => {
    let c = 0;
    while (c < cells - 1 && v > sourceKnots[c + 1]) c++;
    const t = (v - sourceKnots[c]) / (sourceKnots[c + 1] - sourceKnots[c]);
    return -0.5 + (c + t) * step;
  };
  return { toSource, toTarget };
}

/** Separable grid distortion with the given source knots per axis. */
export function gridWarp(
  label: string,
  width: number,
  height: number,
  knotsX: Float64Array,
  knotsY: Float64Array,
): Warp {
  const ax = piecewiseAxis(width, knotsX);
  const ay = piecewiseAxis(height, knotsY);
  const colSource = Float32Array.from({ length: width }, (_, x) => ax.toSource(x));
  return {
    label,
    width,
    height,
    forward: (p) => ({ x: ax.toTarget(p.x), y: ay.toTarget(p.y) }),
    inverse: (p) => ({ x: ax.toSource(p.x), y: ay.toSource(p.y) }),
    sourceRow(y, sx, sy) {
      sx.set(colSource);
      sy.fill(ay.toSource(y));
    },
  };
}

export interface GridDistortionOptions extends GeometricOptions {
  /** Cells per axis. Default 5. */
  steps?: number;
  /** Each cell is stretched by a factor in 1 ± limit (then all are rescaled to fill the image). Default 0.3. */
  limit?: number;
}

/** Grid distortion (as albumentations' GridDistortion), keeping the image borders in place. */
export function gridDistortion(options: GridDistortionOptions = {}): Transform {
  const { steps = 5, limit = 0.3 } = options;
  if (!(Number.isInteger(steps) && steps >= 1 && limit >= 0 && limit < 1)) {
    throw new InputError(
      "gridDistortion: need integer steps ≥ 1 and 0 ≤ limit < 1",
      undefined,
      undefined,
      {
        steps,
        limit,
      },
    );
  }
  const label = `gridDistortion(${steps} steps, ±${limit * 100}%)`;
  const knots = (n: number, rng: Rng) => {
    const widths = Array.from({ length: steps }, () => 1 + rng.uniform(-limit, limit));
    const total = widths.reduce((a, b) => a + b, 0);
    const k = new Float64Array(steps + 1);
    k[0] = -0.5;
    for (let i = 0; i < steps; i++) k[i + 1] = k[i] + (widths[i] / total) * n;
    k[steps] = n - 0.5;
    return k;
  };
  return randomWarp(
    label,
    (w, h, rng) => gridWarp(label, w, h, knots(w, rng), knots(h, rng)),
    options,
  );
}

// ---------------------------------------------------------------- optical distortion

/**
 * Radial lens distortion about `centre`: source = c + (target − c)(1 + k r²), r = |target − c| / f
 * with f the half-diagonal. The landmark map solves r + k r³ = s by Newton's method; where no
 * fold-free solution exists (strong pincushion far out) it returns NaN, which the out-of-image
 * policy treats as outside.
 */
export function opticalWarp(
  label: string,
  width: number,
  height: number,
  k: number,
  centre: Point,
): Warp {
  const f = Math.hypot(width, height) / 2;
  const factor = (dx: number, dy: number) => 1 + k * ((dx * dx + dy * dy) / (f * f));
  return {
    label,
    width,
    height,
    inverse: (p) => {
      const g = factor(p.x - centre.x, p.y - centre.y);
      return { x: centre.x + (p.x - centre.x) * g, y: centre.y + (p.y - centre.y) * g };
    },
    forward: (q) => {
      const dx = q.x - centre.x;
      const dy = q.y - centre.y;
      const s = Math.hypot(dx, dy) / f;
      if (s === 0) return { x: q.x, y: q.y };
      let r = s;
      for (let it = 0; it < 50; it++) {
        const slope = 1 + 3 * k * r * r;
        if (!(slope > 0)) return { x: NaN, y: NaN };
        const step = (r + k * r * r * r - s) / slope;
        r -= step;
        if (Math.abs(step) < 1e-12) break;
      }
      if (!(r >= 0 && 1 + 3 * k * r * r > 0)) return { x: NaN, y: NaN };
      return { x: centre.x + (dx * r) / s, y: centre.y + (dy * r) / s };
    },
    sourceRow(y, sx, sy) {
      const dy = y - centre.y;
      for (let x = 0; x < sx.length; x++) {
        const dx = x - centre.x;
        const g = factor(dx, dy);
        sx[x] = centre.x + dx * g;
        sy[x] = centre.y + dy * g;
      }
    },
  };
}

export interface OpticalDistortionOptions extends GeometricOptions {
  /** k drawn in ± limit (barrel for k > 0, pincushion for k < 0); |k| < 0.25. Default 0.1. */
  limit?: number;
  /** Distortion centre shifted by up to ± this fraction of width / height. Default 0.05. */
  shiftLimit?: number;
}

/** Optical (radial lens) distortion, as albumentations' OpticalDistortion. */
export function opticalDistortion(options: OpticalDistortionOptions = {}): Transform {
  const { limit = 0.1, shiftLimit = 0.05 } = options;
  // With the centre shifted, target radii reach about 1.1 f; 1 + 3k r² > 0 there keeps it fold-free.
  if (!(limit >= 0 && limit < 0.25)) {
    throw new InputError("opticalDistortion: need 0 ≤ limit < 0.25", undefined, undefined, limit);
  }
  const label = `opticalDistortion(±${limit})`;
  return randomWarp(label, (w, h, rng) => {
    const k = rng.uniform(-limit, limit);
    const centre = {
      x: (w - 1) / 2 + rng.uniform(-shiftLimit, shiftLimit) * w,
      y: (h - 1) / 2 + rng.uniform(-shiftLimit, shiftLimit) * h,
    };
    return opticalWarp(label, w, h, k, centre);
  }, options);
}
