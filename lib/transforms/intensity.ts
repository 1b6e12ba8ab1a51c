/**
 * Intensity augmentations: brightness/contrast, gamma, Gaussian noise, Gaussian blur, motion
 * blur. They change pixel values only (landmarks and mask are passed through untouched) and clamp
 * to 0..255. Written on typed arrays: per sample at 256² they cost well under a millisecond each,
 * less than the dispatch overhead of the equivalent tfjs ops (see bench/sections/augment.ts).
 */
import type { Rng } from "../core/rng.ts";
import type { GrayImage } from "../core/types.ts";
import { InputError } from "../core/errors.ts";
import { maybe } from "./compose.ts";
import { fillGaussian } from "./random_fill.ts";
import { type AugSample, type Transform, transform } from "./types.ts";

export type Range = [number, number];

/** Throws InputError unless `r` is [min, max] with lo ≤ min ≤ max ≤ hi. */
export function checkRange(label: string, r: Range, lo = -Infinity, hi = Infinity): void {
  if (!(r.length === 2 && r[0] <= r[1] && r[0] >= lo && r[1] <= hi)) {
    throw new InputError(
      `${label}: range must be [min, max] within [${lo}, ${hi}]`,
      undefined,
      undefined,
      r,
    );
  }
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** A transform that replaces the image by `f(image, rng)`, keeping everything else. */
export function pixelTransform(
  label: string,
  p: number,
  f: (image: GrayImage, rng: Rng) => GrayImage,
): Transform {
  return maybe(p, transform(label, (s: AugSample, rng: Rng) => ({ ...s, image: f(s.image, rng) })));
}

function mapPixels(image: GrayImage, f: (v: number) => number): GrayImage {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp255(f(image.data[i]));
  return { width: image.width, height: image.height, data: out };
}

/** v·α + β·255 with α = 1 ± contrastLimit and β = ± brightnessLimit (albumentations' formula). */
export function brightnessContrast(
  options: { brightnessLimit?: number; contrastLimit?: number; p?: number } = {},
): Transform {
  const { brightnessLimit = 0.2, contrastLimit = 0.2, p = 1 } = options;
  const label = `brightnessContrast(±${brightnessLimit * 100}%, ±${contrastLimit * 100}%)`;
  return pixelTransform(label, p, (img, rng) => {
    const alpha = 1 + rng.uniform(-contrastLimit, contrastLimit);
    const beta = 255 * rng.uniform(-brightnessLimit, brightnessLimit);
    return mapPixels(img, (v) => v * alpha + beta);
  });
}

/** Lookup-table resolution for gamma: 16 entries per grey level, linearly interpolated. */
const GAMMA_STEPS = 16;

/**
 * 255·(v/255)^(g/100), g drawn from `limit` (default 80–120, albumentations' convention). Through
 * a lookup table (16 entries per grey level, linear in between: error < 0.01 grey level above
 * v = 0.1), since a pow per pixel costs several times more.
 */
export function gamma(options: { limit?: Range; p?: number } = {}): Transform {
  const { limit = [80, 120], p = 1 } = options;
  checkRange("gamma", limit, 1);
  return pixelTransform(`gamma(${limit[0]}–${limit[1]})`, p, (img, rng) => {
    const g = rng.uniform(limit[0], limit[1]) / 100;
    const n = 255 * GAMMA_STEPS;
    const lut = new Float32Array(n + 2);
    for (let i = 0; i <= n; i++) lut[i] = 255 * Math.pow(i / n, g);
    lut[n + 1] = lut[n];
    return mapPixels(img, (v) => {
      const u = (v < 0 ? 0 : v > 255 ? 255 : v) * GAMMA_STEPS;
      const i = Math.floor(u);
      return lut[i] + (lut[i + 1] - lut[i]) * (u - i);
    });
  });
}

/** Additive Gaussian noise with variance drawn from `varLimit` (grey levels², default 10–50). */
export function gaussianNoise(options: { varLimit?: Range; p?: number } = {}): Transform {
  const { varLimit = [10, 50], p = 1 } = options;
  checkRange("gaussianNoise", varLimit, 0);
  return pixelTransform(`gaussianNoise(var ${varLimit[0]}–${varLimit[1]})`, p, (img, rng) => {
    const noise = new Float32Array(img.data.length);
    fillGaussian(rng, noise, Math.sqrt(rng.uniform(varLimit[0], varLimit[1])));
    const out = new Float32Array(noise.length);
    for (let i = 0; i < out.length; i++) out[i] = clamp255(img.data[i] + noise[i]);
    return { width: img.width, height: img.height, data: out };
  });
}

/** An odd kernel size drawn uniformly from the odd numbers in `limit`. */
function oddKernel(rng: Rng, limit: Range): number {
  const lo = Math.ceil(limit[0]) | 1;
  const choices = Math.floor((limit[1] - lo) / 2) + 1;
  return lo + 2 * rng.int(0, choices);
}

function checkKernelRange(label: string, limit: Range): void {
  checkRange(label, limit, 1);
  if ((Math.ceil(limit[0]) | 1) > limit[1]) {
    throw new InputError(`${label}: no odd kernel size in range`, undefined, undefined, limit);
  }
}

/** Index table for BORDER_REFLECT_101 reads at offsets -r..n-1+r. */
function reflectIndex(n: number, r: number): Int32Array {
  const idx = new Int32Array(n + 2 * r);
  for (let i = -r; i < n + r; i++) {
    let j = i;
    while (j < 0 || j >= n) j = n === 1 ? 0 : j < 0 ? -j : 2 * n - 2 - j;
    idx[i + r] = j;
  }
  return idx;
}

/** OpenCV's fixed kernels for sizes 1–7 when no sigma is given (getGaussianKernel's table). */
const SMALL_GAUSSIAN: Record<number, number[]> = {
  1: [1],
  3: [0.25, 0.5, 0.25],
  5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
  7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
};

/**
 * OpenCV's `getGaussianKernel(size, sigma)`: without a sigma, its fixed table for sizes ≤ 7, else
 * σ = 0.3·((size − 1)/2 − 1) + 0.8; normalised to sum 1.
 */
export function gaussianKernel(size: number, sigma?: number): Float32Array {
  if (sigma === undefined && SMALL_GAUSSIAN[size]) return Float32Array.from(SMALL_GAUSSIAN[size]);
  const s = sigma ?? 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  const k = new Float32Array(size);
  const r = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) sum += k[i] = Math.exp(-((i - r) ** 2) / (2 * s * s));
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/** Separable convolution with a symmetric-size 1-D kernel on both axes, reflect-101 borders. */
export function separableConvolve(img: GrayImage, kernel: Float32Array): GrayImage {
  const { width: w, height: h } = img;
  const r = (kernel.length - 1) / 2;
  const xi = reflectIndex(w, r);
  const yi = reflectIndex(h, r);
  const n = kernel.length;
  const src = img.data;
  const tmp = new Float32Array(w * h);
  // Columns within r of an edge read through the reflect-101 table; the interior reads directly.
  const lo = Math.min(r, w);
  const hi = Math.max(lo, w - r);
  const borderCols = Int32Array.from(
    { length: w - (hi - lo) },
    (_, i) => (i < lo ? i : hi + i - lo),
  );
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (const x of borderCols) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += kernel[t] * src[row + xi[x + t]];
      tmp[row + x] = acc;
    }
    for (let x = lo; x < hi; x++) {
      const base = row + x - r;
      let acc = 0;
      for (let t = 0; t < n; t++) acc += kernel[t] * src[base + t];
      tmp[row + x] = acc;
    }
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < n; t++) {
      const k = kernel[t];
      const from = yi[y + t] * w;
      const dst = y * w;
      for (let x = 0; x < w; x++) out[dst + x] += k * tmp[from + x];
    }
  }
  return { width: w, height: h, data: out };
}

/** Gaussian blur with an odd kernel size drawn from `kernel` (default 3–7). */
export function gaussianBlur(options: { kernel?: Range; p?: number } = {}): Transform {
  const { kernel = [3, 7], p = 1 } = options;
  checkKernelRange("gaussianBlur", kernel);
  return pixelTransform(
    `gaussianBlur(${kernel[0]}–${kernel[1]})`,
    p,
    (img, rng) => separableConvolve(img, gaussianKernel(oddKernel(rng, kernel))),
  );
}

/**
 * A k×k line kernel through the centre at `angle` (radians), normalised to sum 1: the streak a
 * probe moving during the sweep leaves. The line is sampled densely and splatted bilinearly.
 */
export function motionKernel(size: number, angle: number): Float32Array {
  const k = new Float32Array(size * size);
  const r = (size - 1) / 2;
  const n = 8 * size;
  for (let i = 0; i <= n; i++) {
    const t = -r + (2 * r * i) / n;
    const x = r + t * Math.cos(angle);
    const y = r + t * Math.sin(angle);
    const x0 = Math.min(Math.floor(x), size - 2);
    const y0 = Math.min(Math.floor(y), size - 2);
    const ax = x - x0;
    const ay = y - y0;
    k[y0 * size + x0] += (1 - ax) * (1 - ay);
    k[y0 * size + x0 + 1] += ax * (1 - ay);
    k[(y0 + 1) * size + x0] += (1 - ax) * ay;
    k[(y0 + 1) * size + x0 + 1] += ax * ay;
  }
  const sum = k.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Dense 2-D convolution (correlation) with a k×k kernel, reflect-101 borders. */
export function convolve2d(img: GrayImage, kernel: Float32Array, size: number): GrayImage {
  const { width: w, height: h } = img;
  const r = (size - 1) / 2;
  const xi = reflectIndex(w, r);
  const yi = reflectIndex(h, r);
  const out = new Float32Array(w * h);
  for (let ky = 0; ky < size; ky++) {
    for (let kx = 0; kx < size; kx++) {
      const k = kernel[ky * size + kx];
      if (k === 0) continue;
      for (let y = 0; y < h; y++) {
        const src = yi[y + ky] * w;
        const dst = y * w;
        for (let x = 0; x < w; x++) out[dst + x] += k * img.data[src + xi[x + kx]];
      }
    }
  }
  return { width: w, height: h, data: out };
}

/** Motion blur: a line kernel of odd size from `kernel` (default 3–7) at a uniform angle. */
export function motionBlur(options: { kernel?: Range; p?: number } = {}): Transform {
  const { kernel = [3, 7], p = 1 } = options;
  checkKernelRange("motionBlur", kernel);
  return pixelTransform(`motionBlur(${kernel[0]}–${kernel[1]})`, p, (img, rng) => {
    const size = oddKernel(rng, kernel);
    return convolve2d(img, motionKernel(size, rng.uniform(0, Math.PI)), size);
  });
}
