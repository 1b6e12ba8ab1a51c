/**
 * Gaussian heatmap targets after Payer et al. (MICCAI 2016; MedIA 2019), one channel per landmark.
 *
 * Geometry: the heatmap has side S/stride for a model square of side S. Heatmap pixel i covers the
 * model pixels [i·s, (i+1)·s), so its centre sits at model coordinate i·s + (s−1)/2 (model pixel
 * centres are integers, see lib/core/types.ts). Hence
 *   heatmap = (model − (s−1)/2) / s,    model = heatmap·s + (s−1)/2.
 * With stride 1 both maps are the identity.
 *
 * Scaling (σ always in heatmap pixels, per landmark so that learned σ can be used):
 * - "unit":  g(x) = exp(−|x − μ|² / (2σ²)), peak 1. Suits sigmoid-free MSE and the adaptive Wing
 *   loss (which assumes targets in [0, 1]).
 * - "payer": g(x) = γ / (2πσ²) · exp(−|x − μ|² / (2σ²)), the 2-D normal density scaled by γ
 *   (default 1000, as in Payer's MedicalDataAugmentationTool with normalize=True). The peak,
 *   γ/(2πσ²) ≈ 9.95 for σ = 4, falls as σ grows, and with it the target's energy (γ²/(4πσ²)):
 *   a learnable σ would grow to make the L2 loss small, which is why Payer adds α·Σσ² to the
 *   loss (see learnable_sigma.ts).
 */
import type { Point } from "../core/types.ts";
import { InputError } from "../core/errors.ts";

export type HeatmapStride = 1 | 2 | 4;
export type HeatmapScaling = "unit" | "payer";

export interface HeatmapTargetOptions {
  /** Side of the model square S, in model pixels; must be divisible by `stride`. */
  size: number;
  stride: HeatmapStride;
  /** Gaussian σ in heatmap pixels: one value for all landmarks, or one per landmark. */
  sigma: number | readonly number[];
  /** Default "unit". */
  scaling?: HeatmapScaling;
  /** γ of the "payer" scaling. Default 1000. */
  gamma?: number;
}

/** Side of the heatmap for model side `size`; throws unless `stride` divides it. */
export function heatmapSide(size: number, stride: HeatmapStride): number {
  if (![1, 2, 4].includes(stride)) {
    throw new InputError("heatmap stride must be 1, 2 or 4", undefined, undefined, stride);
  }
  if (!Number.isInteger(size) || size <= 0 || size % stride !== 0) {
    throw new InputError(
      `model size must be a positive multiple of stride ${stride}`,
      undefined,
      undefined,
      size,
    );
  }
  return size / stride;
}

/** Model pixel coordinates → heatmap pixel coordinates. */
export function modelToHeatmap(p: Point, stride: HeatmapStride): Point {
  const o = (stride - 1) / 2;
  return { x: (p.x - o) / stride, y: (p.y - o) / stride };
}

/** Heatmap pixel coordinates → model pixel coordinates. */
export function heatmapToModel(p: Point, stride: HeatmapStride): Point {
  const o = (stride - 1) / 2;
  return { x: p.x * stride + o, y: p.y * stride + o };
}

/** Peak value of a target Gaussian of width `sigma` under `scaling`. */
export function targetPeak(sigma: number, scaling: HeatmapScaling = "unit", gamma = 1000): number {
  return scaling === "unit" ? 1 : gamma / (2 * Math.PI * sigma * sigma);
}

/** σ for landmark k, validated. */
function sigmaFor(sigma: number | readonly number[], k: number, count: number): number {
  if (typeof sigma !== "number" && sigma.length !== count) {
    throw new InputError(`need one sigma per landmark (${count})`, undefined, undefined, sigma);
  }
  const s = typeof sigma === "number" ? sigma : sigma[k];
  if (!Number.isFinite(s) || s <= 0) {
    throw new InputError(`sigma of landmark ${k} must be > 0`, undefined, undefined, s);
  }
  return s;
}

/**
 * Heatmaps for `points` (model pixels), laid out [H, W, K] row-major (channel last, one sample of
 * the [B, H, W, K] heatmap head). Written into `out` at `offset` when given (e.g. a batch buffer),
 * otherwise into a new array. Separable: each channel is the outer product of a row and a column
 * profile, so a sample costs K·(H + W) exponentials plus H·W·K multiplications.
 */
export function gaussianHeatmaps(
  points: readonly Point[],
  options: HeatmapTargetOptions,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const { size, stride, sigma, scaling = "unit", gamma = 1000 } = options;
  const side = heatmapSide(size, stride);
  const k = points.length;
  const length = side * side * k;
  const target = out ?? new Float32Array(length);
  if (offset < 0 || offset + length > target.length) {
    throw new InputError("heatmap output buffer too small", undefined, undefined, {
      offset,
      length,
      available: target.length,
    });
  }
  const gx = new Float64Array(side);
  const gy = new Float64Array(side);
  for (let c = 0; c < k; c++) {
    const p = points[c];
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new InputError(`landmark ${c} is not a finite point`, undefined, undefined, p);
    }
    const s = sigmaFor(sigma, c, k);
    const mu = modelToHeatmap(p, stride);
    const inv = 1 / (2 * s * s);
    const peak = targetPeak(s, scaling, gamma);
    for (let i = 0; i < side; i++) {
      gx[i] = Math.exp(-((i - mu.x) ** 2) * inv);
      gy[i] = peak * Math.exp(-((i - mu.y) ** 2) * inv);
    }
    for (let y = 0; y < side; y++) {
      const row = offset + y * side * k + c;
      const fy = gy[y];
      for (let x = 0; x < side; x++) target[row + x * k] = fy * gx[x];
    }
  }
  return target;
}
