/**
 * Shared vocabulary of the workspace. Every module speaks in these types, so a sample can flow
 * from a loader through transforms, models and metrics without adapters.
 *
 * Coordinates are in pixels of the image they belong to, x to the right, y down, with pixel
 * centres at integer coordinates (pixel (col, row) covers [col-0.5, col+0.5] × [row-0.5, row+0.5]).
 */

export interface Point {
  x: number;
  y: number;
}

/** Landmark names in storage order. The order convention is defined in lib/data/landmark_order.ts. */
export const LANDMARK_NAMES = ["OFD1", "OFD2", "BPD1", "BPD2"] as const;
export type LandmarkName = typeof LANDMARK_NAMES[number];

/** OFD1, OFD2, BPD1, BPD2. */
export type Landmarks = [Point, Point, Point, Point];

/** Row-major grey image, one float per pixel, nominal range 0..255. */
export interface GrayImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Row-major binary mask, 1 inside the cranium, 0 outside. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * An ellipse in pixel coordinates. `a` ≥ `b` are the semi-axes; `angle` (radians, in [0, π)) is the
 * direction of the `a` axis measured from +x towards +y (clockwise on screen, since y points down).
 */
export interface Ellipse {
  cx: number;
  cy: number;
  a: number;
  b: number;
  angle: number;
}

/** One labelled case as listed on disk: paths, not pixels. */
export interface SampleRecord {
  /** File name of the image, unique within a dataset (e.g. `014_2HC.png`). */
  id: string;
  imagePath: string;
  landmarks: Landmarks;
  maskPath?: string;
  pixelSizeMm?: number;
  hcMm?: number;
  /** Cases sharing a group (HC18: the number prefix, i.e. the pregnancy) never straddle a split. */
  group: string;
}

/** One labelled case in memory. */
export interface Sample {
  id: string;
  image: GrayImage;
  landmarks: Landmarks;
  mask?: Mask;
  pixelSizeMm?: number;
  group: string;
}
