/**
 * Resize + letterbox into the model's square input, with exact coordinate maps both ways.
 *
 * Geometry (pixel centres at integer coordinates, so pixel k covers [k − ½, k + ½]):
 *   scale = size / max(W, H),  padX = (size − W·scale) / 2,  padY = (size − H·scale) / 2
 *   toModel(p) = ((p.x + ½)·scale − ½ + padX, (p.y + ½)·scale − ½ + padY)
 * The padding is continuous (possibly fractional), so it is exactly symmetric, and the image's
 * extent [−½, W − ½] maps onto [padX − ½, size − padX − ½].
 *
 * The resampler uses exactly this map: output pixel j reads the source at toImage(j) with a
 * separable triangle (tent) filter whose radius is max(1, 1/scale) source pixels (plain bilinear
 * when enlarging, area-like anti-aliasing when shrinking). Output pixels whose centre maps outside
 * the source get the fill value. Masks use nearest neighbour on the same map. Written in typed
 * arrays rather than with sharp so the geometry is known exactly and it stays fast per sample.
 */
import type { GrayImage, Landmarks, Mask, Point } from "../core/types.ts";

export interface LetterboxTransform {
  srcWidth: number;
  srcHeight: number;
  /** Side of the square model input, px. */
  size: number;
  /** Model px per image px. */
  scale: number;
  padX: number;
  padY: number;
  toModel(p: Point): Point;
  toImage(p: Point): Point;
}

/** The letterbox map for an image of srcWidth × srcHeight into a size × size square. */
export function letterboxTransform(
  srcWidth: number,
  srcHeight: number,
  size: number,
): LetterboxTransform {
  if (!(srcWidth > 0 && srcHeight > 0 && size > 0)) {
    throw new RangeError(`letterbox: bad sizes ${srcWidth}×${srcHeight} → ${size}`);
  }
  // The whole image as the window: centred, its longer side spanning the input.
  return windowTransform(srcWidth, srcHeight, size, {
    cx: (srcWidth - 1) / 2,
    cy: (srcHeight - 1) / 2,
    side: Math.max(srcWidth, srcHeight),
  });
}

/**
 * The same kind of map for a square window of the image: its centre (cx, cy) (image pixel
 * coordinates) lands on the model input's centre and `side` image pixels span the `size` model
 * pixels. Parts of the window outside the image are padding. With the whole image as the window
 * (centre ((W − 1)/2, (H − 1)/2), side max(W, H)) this is `letterboxTransform`.
 */
export function windowTransform(
  srcWidth: number,
  srcHeight: number,
  size: number,
  window: { cx: number; cy: number; side: number },
): LetterboxTransform {
  const { cx, cy, side } = window;
  if (!(srcWidth > 0 && srcHeight > 0 && size > 0 && side > 0) || !isFinite(cx + cy + side)) {
    throw new RangeError(
      `window: bad geometry ${srcWidth}×${srcHeight} → ${size}, centre (${cx}, ${cy}), side ${side}`,
    );
  }
  const scale = size / side;
  const padX = size / 2 - (cx + 0.5) * scale;
  const padY = size / 2 - (cy + 0.5) * scale;
  return {
    srcWidth,
    srcHeight,
    size,
    scale,
    padX,
    padY,
    toModel: (p) => ({ x: (p.x + 0.5) * scale - 0.5 + padX, y: (p.y + 0.5) * scale - 0.5 + padY }),
    toImage: (p) => ({ x: (p.x + 0.5 - padX) / scale - 0.5, y: (p.y + 0.5 - padY) / scale - 0.5 }),
  };
}

/** Apply a point map to all four landmarks (scaling and translation never swap ends). */
export function mapLandmarks(l: Landmarks, f: (p: Point) => Point): Landmarks {
  return [f(l[0]), f(l[1]), f(l[2]), f(l[3])];
}

/**
 * Filter taps for one axis: output index j reads source coordinate c = step·j + offset.
 * `start[j] < 0` marks an output whose centre falls outside the source (gets the fill value).
 */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  /** `maxTaps` weights per output, normalised to sum 1. */
  weights: Float32Array;
  maxTaps: number;
}

function axisTaps(nIn: number, nOut: number, step: number, offset: number): AxisTaps {
  const radius = Math.max(1, step);
  const maxTaps = Math.ceil(2 * radius) + 1;
  const start = new Int32Array(nOut);
  const count = new Int32Array(nOut);
  const weights = new Float32Array(nOut * maxTaps);
  for (let j = 0; j < nOut; j++) {
    const c = step * j + offset;
    if (c < -0.5 || c > nIn - 0.5) {
      start[j] = -1;
      continue;
    }
    const lo = Math.max(0, Math.ceil(c - radius));
    const hi = Math.min(nIn - 1, Math.floor(c + radius));
    let sum = 0;
    let n = 0;
    for (let k = lo; k <= hi && n < maxTaps; k++, n++) {
      const w = Math.max(0, 1 - Math.abs(k - c) / radius);
      weights[j * maxTaps + n] = w;
      sum += w;
    }
    if (sum === 0) {
      // c within half a pixel of an edge, beyond the last tap centre: take the edge pixel.
      const edge = Math.min(nIn - 1, Math.max(0, Math.round(c)));
      start[j] = edge;
      count[j] = 1;
      weights[j * maxTaps] = 1;
      continue;
    }
    for (let t = 0; t < n; t++) weights[j * maxTaps + t] /= sum;
    start[j] = lo;
    count[j] = n;
  }
  return { start, count, weights, maxTaps };
}

/** Separable tent resampling of `src` onto outW × outH with per-axis affine source maps. */
function resampleTent(
  src: GrayImage,
  outW: number,
  outH: number,
  xs: [number, number],
  ys: [number, number],
  fill: number,
): GrayImage {
  const tx = axisTaps(src.width, outW, xs[0], xs[1]);
  const ty = axisTaps(src.height, outH, ys[0], ys[1]);
  const sw = src.width;
  // Horizontal pass over only the source rows some output row needs.
  const tmp = new Float32Array(src.height * outW);
  const rowNeeded = new Uint8Array(src.height);
  for (let j = 0; j < outH; j++) {
    if (ty.start[j] < 0) continue;
    for (let t = 0; t < ty.count[j]; t++) rowNeeded[ty.start[j] + t] = 1;
  }
  for (let y = 0; y < src.height; y++) {
    if (!rowNeeded[y]) continue;
    const row = y * sw;
    for (let j = 0; j < outW; j++) {
      const s = tx.start[j];
      if (s < 0) continue;
      const wBase = j * tx.maxTaps;
      let acc = 0;
      for (let t = 0; t < tx.count[j]; t++) acc += tx.weights[wBase + t] * src.data[row + s + t];
      tmp[y * outW + j] = acc;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let i = 0; i < outH; i++) {
    const s = ty.start[i];
    const orow = i * outW;
    if (s < 0) {
      out.fill(fill, orow, orow + outW);
      continue;
    }
    const wBase = i * ty.maxTaps;
    for (let j = 0; j < outW; j++) {
      if (tx.start[j] < 0) {
        out[orow + j] = fill;
        continue;
      }
      let acc = 0;
      for (let t = 0; t < ty.count[i]; t++) acc += ty.weights[wBase + t] * tmp[(s + t) * outW + j];
      out[orow + j] = acc;
    }
  }
  return { width: outW, height: outH, data: out };
}

function resampleNearest(
  src: Mask,
  outW: number,
  outH: number,
  xs: [number, number],
  ys: [number, number],
): Mask {
  const index = (n: number, nIn: number, [step, offset]: [number, number]) =>
    Int32Array.from({ length: n }, (_, j) => {
      const c = step * j + offset;
      if (c < -0.5 || c > nIn - 0.5) return -1;
      return Math.min(nIn - 1, Math.max(0, Math.round(c)));
    });
  const ix = index(outW, src.width, xs);
  const iy = index(outH, src.height, ys);
  const out = new Uint8Array(outW * outH);
  for (let i = 0; i < outH; i++) {
    if (iy[i] < 0) continue;
    const srow = iy[i] * src.width;
    for (let j = 0; j < outW; j++) if (ix[j] >= 0) out[i * outW + j] = src.data[srow + ix[j]];
  }
  return { width: outW, height: outH, data: out };
}

/** Source maps of the forward (image → model) resampling: c = j / scale + (½ − pad) / scale − ½. */
function forwardMaps(t: LetterboxTransform): [[number, number], [number, number]] {
  return [
    [1 / t.scale, (0.5 - t.padX) / t.scale - 0.5],
    [1 / t.scale, (0.5 - t.padY) / t.scale - 0.5],
  ];
}

/** Source maps of the inverse (model → image) resampling: c = toModel(j). */
function inverseMaps(t: LetterboxTransform): [[number, number], [number, number]] {
  return [
    [t.scale, 0.5 * t.scale - 0.5 + t.padX],
    [t.scale, 0.5 * t.scale - 0.5 + t.padY],
  ];
}

/** Resample a grey image into the model square of `t` (a letterbox or a window); padding gets `fill`. */
export function toModelImage(img: GrayImage, t: LetterboxTransform, fill = 0): GrayImage {
  const [xs, ys] = forwardMaps(t);
  return resampleTent(img, t.size, t.size, xs, ys, fill);
}

/** Resample a mask into the model square of `t` (nearest neighbour); padding is 0. */
export function toModelMask(mask: Mask, t: LetterboxTransform): Mask {
  const [xs, ys] = forwardMaps(t);
  return resampleNearest(mask, t.size, t.size, xs, ys);
}

/** Letterbox a grey image into size × size; padding gets `fill`. */
export function letterboxImage(
  img: GrayImage,
  size: number,
  fill = 0,
): { image: GrayImage; transform: LetterboxTransform } {
  const transform = letterboxTransform(img.width, img.height, size);
  return { image: toModelImage(img, transform, fill), transform };
}

/** Letterbox a mask (nearest neighbour); padding is 0. */
export function letterboxMask(
  mask: Mask,
  size: number,
): { mask: Mask; transform: LetterboxTransform } {
  const transform = letterboxTransform(mask.width, mask.height, size);
  return { mask: toModelMask(mask, transform), transform };
}

/** A model-space grey map (e.g. a probability map) back to the original image grid. */
export function unletterboxImage(img: GrayImage, t: LetterboxTransform): GrayImage {
  const [xs, ys] = inverseMaps(t);
  return resampleTent(img, t.srcWidth, t.srcHeight, xs, ys, 0);
}

/** A model-space mask back to the original image grid (nearest neighbour). */
export function unletterboxMask(mask: Mask, t: LetterboxTransform): Mask {
  const [xs, ys] = inverseMaps(t);
  return resampleNearest(mask, t.srcWidth, t.srcHeight, xs, ys);
}
