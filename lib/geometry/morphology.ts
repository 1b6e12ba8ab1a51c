/**
 * Binary morphology with disk or square structuring elements, in O(W·H) whatever the radius:
 * a disk dilation thresholds the exact Euclidean distance transform (d² ≤ r²), a square dilation
 * is separable into a row pass and a column pass, each answered from prefix sums.
 *
 * Borders follow scikit-image: dilation sees background beyond the image, erosion sees
 * foreground, so erosion is exactly the dual of dilation and closing does not eat objects touching
 * the image edge.
 */
import type { Mask } from "../core/types.ts";
import { squaredDistanceTransform } from "./distance.ts";

export interface StructuringElement {
  shape: "disk" | "square";
  /** Disk: pixels with dx² + dy² ≤ r². Square: side 2r + 1. */
  radius: number;
}

export const disk = (radius: number): StructuringElement => ({ shape: "disk", radius });
export const square = (radius: number): StructuringElement => ({ shape: "square", radius });

function checkRadius(se: StructuringElement): void {
  if (!(se.radius >= 0)) {
    throw new RangeError(`structuring element radius must be ≥ 0, got ${se.radius}`);
  }
}

/** Any set pixel within `half` along rows (`step` 1) or columns (`step` w), from prefix sums. */
function dilate1d(
  data: Uint8Array,
  w: number,
  h: number,
  half: number,
  alongRows: boolean,
): Uint8Array {
  const out = new Uint8Array(w * h);
  const [lines, len, lineStride, step] = alongRows ? [h, w, w, 1] : [w, h, 1, w];
  const prefix = new Int32Array(len + 1);
  for (let l = 0; l < lines; l++) {
    const start = l * lineStride;
    for (let i = 0; i < len; i++) prefix[i + 1] = prefix[i] + data[start + i * step];
    for (let i = 0; i < len; i++) {
      const lo = i - half < 0 ? 0 : i - half;
      const hi = i + half + 1 > len ? len : i + half + 1;
      out[start + i * step] = prefix[hi] > prefix[lo] ? 1 : 0;
    }
  }
  return out;
}

function dilateData(data: Uint8Array, w: number, h: number, se: StructuringElement): Uint8Array {
  checkRadius(se);
  if (se.shape === "square") {
    const r = Math.floor(se.radius);
    return dilate1d(dilate1d(data, w, h, r, true), w, h, r, false);
  }
  // A pixel is in the disk dilation iff its nearest set pixel is within the radius.
  const d2 = squaredDistanceTransform({ width: w, height: h, data });
  const r2 = se.radius * se.radius;
  const out = new Uint8Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = d2[i] <= r2 ? 1 : 0;
  return out;
}

function invert(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ? 0 : 1;
  return out;
}

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
