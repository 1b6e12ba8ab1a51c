/**
 * CLAHE (contrast-limited adaptive histogram equalisation) with the exact semantics of OpenCV 4.x
 * `cv::createCLAHE(clipLimit, tileGridSize)->apply()` on 8-bit images (imgproc/src/clahe.cpp):
 *
 * 1. If the image size is not a multiple of the tile grid, the image is padded at the bottom and
 *    right with BORDER_REFLECT_101, by `tiles - size % tiles` on BOTH axes (OpenCV's quirk: an axis
 *    that already divides evenly still gets a full `tiles` rows/columns of padding).
 * 2. One 256-bin histogram per tile; the clip limit is `max(1, trunc(clipLimit * tileArea / 256))`.
 * 3. The clipped excess is spread evenly over all bins; the remainder ("residual") adds one count
 *    to every `max(256 / residual, 1)`-th bin from bin 0 until it is used up.
 * 4. Each tile's lookup table is the rounded cumulative histogram times `255 / tileArea`.
 * 5. Every pixel of the unpadded image bilinearly blends the lookup tables of the four nearest tile
 *    centres (edge tiles extend to the border).
 *
 * OpenCV computes 4 and 5 in single precision and rounds half to even; `Math.fround` and stores
 * into Uint8ClampedArray (ties to even, clamped) reproduce that, so the output matches OpenCV 4.6
 * bit for bit (tests/fixtures/clahe, and all 799 local HC18 training images when measured).
 */
import type { GrayImage } from "../core/types.ts";
import { InputError } from "../core/errors.ts";

export interface ClaheOptions {
  /** OpenCV's clipLimit (relative to a flat histogram); 0 disables clipping. Default 2. */
  clipLimit?: number;
  /** Tiles across. Default 8. */
  tilesX?: number;
  /** Tiles down. Default 8. */
  tilesY?: number;
}

const HIST_SIZE = 256;
const f32 = Math.fround;

/** OpenCV's borderInterpolate for BORDER_REFLECT_101 (…cb|abcd|cb…). */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

function padReflect101(
  src: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  const out = new Uint8Array(outWidth * outHeight);
  const colOf = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) colOf[x] = reflect101(x, width);
  for (let y = 0; y < outHeight; y++) {
    const srcRow = reflect101(y, height) * width;
    const dstRow = y * outWidth;
    for (let x = 0; x < outWidth; x++) out[dstRow + x] = src[srcRow + colOf[x]];
  }
  return out;
}

/** One lookup table per tile, tile-major (`luts[(ty * tilesX + tx) * 256 + value]`). */
function tileLuts(
  src: Uint8Array,
  stride: number,
  tileW: number,
  tileH: number,
  tilesX: number,
  tilesY: number,
  clipLimit: number,
): Uint8ClampedArray {
  const tileArea = tileW * tileH;
  const lutScale = f32((HIST_SIZE - 1) / tileArea);
  let clip = 0;
  if (clipLimit > 0) clip = Math.max(1, Math.trunc((clipLimit * tileArea) / HIST_SIZE));
  // Uint8ClampedArray stores round half to even and clamp, as OpenCV's saturate_cast<uchar>.
  const luts = new Uint8ClampedArray(tilesX * tilesY * HIST_SIZE);
  const hist = new Int32Array(HIST_SIZE);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      hist.fill(0);
      for (let y = ty * tileH; y < (ty + 1) * tileH; y++) {
        const row = y * stride + tx * tileW;
        for (let x = 0; x < tileW; x++) hist[src[row + x]]++;
      }
      if (clip > 0) {
        let clipped = 0;
        for (let i = 0; i < HIST_SIZE; i++) {
          if (hist[i] > clip) {
            clipped += hist[i] - clip;
            hist[i] = clip;
          }
        }
        const batch = Math.trunc(clipped / HIST_SIZE);
        let residual = clipped - batch * HIST_SIZE;
        for (let i = 0; i < HIST_SIZE; i++) hist[i] += batch;
        if (residual !== 0) {
          const step = Math.max(Math.trunc(HIST_SIZE / residual), 1);
          for (let i = 0; i < HIST_SIZE && residual > 0; i += step, residual--) hist[i]++;
        }
      }
      const lut = (ty * tilesX + tx) * HIST_SIZE;
      let sum = 0;
      for (let i = 0; i < HIST_SIZE; i++) {
        sum += hist[i];
        luts[lut + i] = f32(sum * lutScale);
      }
    }
  }
  return luts;
}

/** Per-axis interpolation weights and lookup-table offsets, as OpenCV precomputes them. */
function axisWeights(n: number, tileSize: number, tiles: number, lutStride: number) {
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const wHi = new Float32Array(n);
  const wLo = new Float32Array(n);
  const inv = f32(1 / tileSize);
  for (let i = 0; i < n; i++) {
    const t = f32(f32(i * inv) - 0.5);
    const t1 = Math.floor(t);
    const a = f32(t - t1);
    wHi[i] = a;
    wLo[i] = f32(1 - a);
    lo[i] = Math.max(t1, 0) * lutStride;
    hi[i] = Math.min(t1 + 1, tiles - 1) * lutStride;
  }
  return { lo, hi, wLo, wHi };
}

/** CLAHE on 8-bit pixels (row-major, `width × height`). Returns a new array. */
export function claheU8(
  src: Uint8Array,
  width: number,
  height: number,
  options: ClaheOptions = {},
): Uint8Array {
  const { clipLimit = 2, tilesX = 8, tilesY = 8 } = options;
  if (!Number.isInteger(tilesX) || !Number.isInteger(tilesY) || tilesX < 1 || tilesY < 1) {
    throw new InputError("CLAHE tile grid must be positive integers", undefined, undefined, {
      tilesX,
      tilesY,
    });
  }
  if (!(clipLimit >= 0)) {
    throw new InputError("CLAHE clipLimit must be ≥ 0", undefined, undefined, clipLimit);
  }
  if (src.length !== width * height || width < 1 || height < 1) {
    throw new InputError("CLAHE image size does not match its pixel count", undefined, undefined, {
      width,
      height,
      pixels: src.length,
    });
  }
  let lutSrc = src;
  let stride = width;
  let tileW = width / tilesX;
  let tileH = height / tilesY;
  if (width % tilesX !== 0 || height % tilesY !== 0) {
    const padW = width + tilesX - (width % tilesX);
    const padH = height + tilesY - (height % tilesY);
    lutSrc = padReflect101(src, width, height, padW, padH);
    stride = padW;
    tileW = padW / tilesX;
    tileH = padH / tilesY;
  }
  const luts = tileLuts(lutSrc, stride, tileW, tileH, tilesX, tilesY, clipLimit);

  const { lo: xLo, hi: xHi, wLo: xa1s, wHi: xas } = axisWeights(width, tileW, tilesX, HIST_SIZE);
  const ys = axisWeights(height, tileH, tilesY, HIST_SIZE * tilesX);
  // Storing into a Uint8ClampedArray rounds half to even and clamps: saturate_cast<uchar> exactly.
  const out = new Uint8ClampedArray(width * height);
  for (let y = 0; y < height; y++) {
    const plane1 = ys.lo[y];
    const plane2 = ys.hi[y];
    const ya = ys.wHi[y];
    const ya1 = ys.wLo[y];
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = src[row + x];
      const i1 = xLo[x] + v;
      const i2 = xHi[x] + v;
      const xa = xas[x];
      const xa1 = xa1s[x];
      const top = f32(f32(luts[plane1 + i1] * xa1) + f32(luts[plane1 + i2] * xa));
      const bottom = f32(f32(luts[plane2 + i1] * xa1) + f32(luts[plane2 + i2] * xa));
      out[row + x] = f32(f32(top * ya1) + f32(bottom * ya));
    }
  }
  return new Uint8Array(out.buffer);
}

/** Round (half to even) and clamp a float grey image (nominal 0..255) to 8 bits, as CLAHE needs. */
export function toU8(image: GrayImage): Uint8Array {
  const clamped = new Uint8ClampedArray(image.data.length);
  clamped.set(image.data); // ToUint8Clamp: ties to even, clamped, NaN → 0
  return new Uint8Array(clamped.buffer);
}

/**
 * CLAHE on a grey image. Pixels are first rounded (half to even) and clamped to 0..255, as an
 * 8-bit image loaded by OpenCV would be; the result holds whole grey levels.
 */
export function clahe(image: GrayImage, options: ClaheOptions = {}): GrayImage {
  const out = claheU8(toU8(image), image.width, image.height, options);
  return { width: image.width, height: image.height, data: new Float32Array(out) };
}
