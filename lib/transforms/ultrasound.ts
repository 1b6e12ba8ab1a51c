/**
 * Ultrasound-specific augmentations: acoustic shadow, signal dropout, speckle and depth
 * attenuation. Like the intensity transforms they change pixels only; the mask and landmarks
 * describe the anatomy, which is still there under a shadow or a dropout.
 */
import type { GrayImage } from "../core/types.ts";
import { checkRange, pixelTransform, type Range } from "./intensity.ts";
import { fillUniform } from "./random_fill.ts";
import type { Transform } from "./types.ts";

const smoothstep = (e0: number, e1: number, v: number) => {
  const t = Math.min(Math.max((v - e0) / (e1 - e0), 0), 1);
  return t * t * (3 - 2 * t);
};

export interface AcousticShadowOptions {
  /** Darkening at the shadow's core, as a fraction of the signal. Default 0.5–0.9. */
  strength?: Range;
  /** Angular width of the shadow seen from the probe, degrees. Default 4–15. */
  widthDeg?: Range;
  p?: number;
}

/**
 * An acoustic shadow: everything behind a strong reflector, inside a narrow angular band seen
 * from the probe, loses most of its signal. The probe apex is placed above the image (sector
 * scan), the reflector at a random point of the image; the band's edges and start are soft.
 */
export function acousticShadow(options: AcousticShadowOptions = {}): Transform {
  const { strength = [0.5, 0.9], widthDeg = [4, 15], p = 1 } = options;
  checkRange("acousticShadow strength", strength, 0, 1);
  checkRange("acousticShadow widthDeg", widthDeg, 0, 90);
  return pixelTransform(`acousticShadow(${widthDeg[0]}–${widthDeg[1]}°)`, p, (img, rng) => {
    const { width: w, height: h } = img;
    const apex = { x: w * rng.uniform(0.3, 0.7), y: -h * rng.uniform(0.1, 0.6) };
    const start = { x: w * rng.uniform(0.15, 0.85), y: h * rng.uniform(0.15, 0.75) };
    const depth = Math.hypot(start.x - apex.x, start.y - apex.y);
    const centre = Math.atan2(start.x - apex.x, start.y - apex.y);
    const half = (rng.uniform(widthDeg[0], widthDeg[1]) * Math.PI) / 360;
    const k = rng.uniform(strength[0], strength[1]);
    const ramp = 0.02 * Math.max(w, h);
    const out = new Float32Array(img.data);
    // The apex is above the image, so each row meets the band in one x interval: visit only that.
    const tanLo = Math.tan(centre - half);
    const tanHi = Math.tan(centre + half);
    for (let y = 0; y < h; y++) {
      const dy = y - apex.y;
      const x0 = Math.max(0, Math.floor(apex.x + dy * tanLo));
      const x1 = Math.min(w - 1, Math.ceil(apex.x + dy * tanHi));
      for (let x = x0; x <= x1; x++) {
        const off = Math.abs(Math.atan2(x - apex.x, dy) - centre);
        if (off >= half) continue;
        const r = Math.hypot(x - apex.x, dy);
        if (r <= depth) continue;
        const shade = k * (1 - smoothstep(0.6 * half, half, off)) *
          smoothstep(depth, depth + ramp, r);
        out[y * w + x] *= 1 - shade;
      }
    }
    return { width: w, height: h, data: out };
  });
}

export interface CoarseDropoutOptions {
  /** Number of holes. Default 1–4. */
  holes?: Range;
  /** Hole side as a fraction of the image side. Default 0.05–0.15. */
  size?: Range;
  /** Grey level inside the holes. Default 0 (no echo). */
  fill?: number;
  p?: number;
}

/** Signal dropout: rectangles with no echo (poor probe contact, gas). */
export function coarseDropout(options: CoarseDropoutOptions = {}): Transform {
  const { holes = [1, 4], size = [0.05, 0.15], fill = 0, p = 1 } = options;
  checkRange("coarseDropout holes", holes, 0, 1000);
  checkRange("coarseDropout size", size, 0, 1);
  return pixelTransform(`coarseDropout(${holes[0]}–${holes[1]} holes)`, p, (img, rng) => {
    const { width: w, height: h } = img;
    const out = new Float32Array(img.data);
    const n = rng.int(Math.ceil(holes[0]), Math.floor(holes[1]) + 1);
    for (let i = 0; i < n; i++) {
      const hw = Math.max(1, Math.round(rng.uniform(size[0], size[1]) * w));
      const hh = Math.max(1, Math.round(rng.uniform(size[0], size[1]) * h));
      const x0 = rng.int(0, w - hw + 1);
      const y0 = rng.int(0, h - hh + 1);
      for (let y = y0; y < y0 + hh; y++) out.fill(fill, y * w + x0, y * w + x0 + hw);
    }
    return { width: w, height: h, data: out };
  });
}

/** Mean of a Rayleigh(1) variable, √(π/2): dividing by it makes the speckle field mean 1. */
const RAYLEIGH_MEAN = Math.sqrt(Math.PI / 2);

/**
 * Multiplicative speckle: v·(1 + s·(R − 1)) with R Rayleigh distributed with mean 1 (the
 * envelope of fully developed speckle) and s drawn from `strength` (default 0.1–0.3).
 */
export function speckle(options: { strength?: Range; p?: number } = {}): Transform {
  const { strength = [0.1, 0.3], p = 1 } = options;
  checkRange("speckle strength", strength, 0, 1);
  return pixelTransform(`speckle(${strength[0]}–${strength[1]})`, p, (img, rng) => {
    const s = rng.uniform(strength[0], strength[1]);
    const u = new Float64Array(img.data.length);
    fillUniform(rng, u);
    const out = new Float32Array(img.data.length);
    for (let i = 0; i < out.length; i++) {
      const r = Math.sqrt(-2 * Math.log(1 - u[i])) / RAYLEIGH_MEAN;
      const v = img.data[i] * (1 + s * (r - 1));
      out[i] = v > 255 ? 255 : v;
    }
    return { width: img.width, height: img.height, data: out };
  });
}

/**
 * Depth attenuation: signal falls as exp(−α·depth) with depth running 0 → 1 from the top row to
 * the bottom one (the probe is at the top), α drawn from `coefficient` (default 0.2–1.2), i.e. a
 * time-gain compensation that does not quite make up for the tissue's absorption.
 */
export function depthAttenuation(options: { coefficient?: Range; p?: number } = {}): Transform {
  const { coefficient = [0.2, 1.2], p = 1 } = options;
  checkRange("depthAttenuation coefficient", coefficient, 0, 20);
  return pixelTransform(`depthAttenuation(${coefficient[0]}–${coefficient[1]})`, p, (img, rng) => {
    const alpha = rng.uniform(coefficient[0], coefficient[1]);
    const { width: w, height: h } = img;
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      const g = Math.exp((-alpha * y) / Math.max(h - 1, 1));
      for (let x = y * w; x < (y + 1) * w; x++) out[x] = img.data[x] * g;
    }
    return { width: w, height: h, data: out } satisfies GrayImage;
  });
}
