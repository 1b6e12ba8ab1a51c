/**
 * Binary morphology with disk or square structuring elements. A structuring element is stored as
 * the half-width of its horizontal run at each row offset dy ∈ [-r, r], so dilation is, per pixel,
 * an OR over 2r+1 row windows, each answered in O(1) from per-row prefix sums: O(W·H·r) total.
 *
 * Borders follow scikit-image: dilation sees background beyond the image, erosion sees
 * foreground, so erosion is exactly the dual of dilation and closing does not eat objects touching
 * the image edge.
 */
import type { Mask } from "../core/types.ts";

export interface StructuringElement {
  shape: "disk" | "square";
  /** Disk: pixels with dx² + dy² ≤ r². Square: side 2r + 1. */
  radius: number;
}

export const disk = (radius: number): StructuringElement => ({ shape: "disk", radius });
export const square = (radius: number): StructuringElement => ({ shape: "square", radius });

/** Half-width of the element's run at each dy = -r..r. */
export function rowHalfWidths(se: StructuringElement): Int32Array {
  const r = Math.floor(se.radius);
  if (r < 0) throw new RangeError(`structuring element radius must be ≥ 0, got ${se.radius}`);
  return Int32Array.from({ length: 2 * r + 1 }, (_, k) => {
    const dy = k - r;
    return se.shape === "square" ? r : Math.floor(Math.sqrt(r * r - dy * dy) + 1e-9);
  });
}

function dilateData(data: Uint8Array, w: number, h: number, se: StructuringElement): Uint8Array {
  const half = rowHalfWidths(se);
  const r = (half.length - 1) / 2;
  // prefix[y*(w+1) + x] = number of set pixels in row y before column x.
  const prefix = new Int32Array((w + 1) * h);
  for (let y = 0; y < h; y++) {
    const base = y * (w + 1);
    for (let x = 0; x < w; x++) prefix[base + x + 1] = prefix[base + x] + (data[y * w + x] ? 1 : 0);
  }
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < half.length; k++) {
        const yy = y + k - r;
        if (yy < 0 || yy >= h) continue;
        const lo = Math.max(0, x - half[k]);
        const hi = Math.min(w, x + half[k] + 1);
        const base = yy * (w + 1);
        if (prefix[base + hi] > prefix[base + lo]) {
          out[y * w + x] = 1;
          break;
        }
      }
    }
  }
  return out;
}

const invert = (data: Uint8Array) => data.map((v) => (v ? 0 : 1));

export function dilate(mask: Mask, se: StructuringElement): Mask {
  return { ...mask, data: dilateData(mask.data, mask.width, mask.height, se) };
}

export function erode(mask: Mask, se: StructuringElement): Mask {
  return { ...mask, data: invert(dilateData(invert(mask.data), mask.width, mask.height, se)) };
}

/** Erode then dilate: removes specks and thin spurs smaller than the element. */
export function open(mask: Mask, se: StructuringElement): Mask {
  return dilate(erode(mask, se), se);
}

/** Dilate then erode: bridges gaps and fills notches smaller than the element. */
export function close(mask: Mask, se: StructuringElement): Mask {
  return erode(dilate(mask, se), se);
}
