/**
 * Segmentation output → skull ellipse → landmarks and clinical measures:
 *   threshold → open → close → largest component → fill holes → sub-pixel edge points (logit
 *   crossings, edge_points.ts)
 *   → map to image pixels, dropping those on the image's frame → robust ellipse fit
 *   → 4 canonical landmarks, OFD/BPD/HC in mm
 *   → plausibility checks (validate.ts).
 * Opening before closing removes specks and thin spurs first, so closing cannot weld them onto the
 * skull; the largest component then drops any second blob, and hole filling turns a ring-shaped
 * prediction (skull bone only) into the filled head the ellipse is fitted around.
 */
import type { Ellipse, Landmarks, Mask, Point } from "../core/types.ts";
import { InputError } from "../core/errors.ts";
import { fitEllipseRobust, type RobustFitOptions } from "../geometry/ellipse_fit.ts";
import { ellipseToLandmarks } from "../geometry/ellipse.ts";
import { fillHoles, largestComponent, maskArea } from "../geometry/mask.ts";
import { close, disk, open } from "../geometry/morphology.ts";
import { measuresFromEllipse } from "../geometry/measures.ts";
import { edgePoints } from "./edge_points.ts";
import { type BiometryIssue, validateBiometry, type ValidationLimits } from "./validate.ts";

/** A per-pixel map (probabilities or logits), row-major; e.g. one sample of the [B, S, S, 1] head. */
export interface ScoreMap {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** Mask pixels → image pixels. A `LetterboxTransform` (lib/io/letterbox.ts) fits as is. */
export interface ToImageTransform {
  toImage(p: Point): Point;
  /** Image size in pixels, for the border check; without it the mask's own frame is used. */
  srcWidth?: number;
  srcHeight?: number;
}

export interface MaskToBiometryOptions {
  /** Foreground where the probability is ≥ threshold. Default 0.5. */
  threshold?: number;
  /** "probability" (default; a 0/1 mask also works) or "logits" (thresholded at logit(threshold)). */
  input?: "probability" | "logits";
  /** mm per image pixel; measures are null without it. */
  pixelSizeMm?: number;
  /** Mask → image pixels; identity when omitted. */
  transform?: ToImageTransform;
  /** Disk radii in mask pixels; 0 skips the step. Defaults 2 and 2. */
  openRadius?: number;
  closeRadius?: number;
  /** Half-width of the robust fit's inlier band in mask pixels. Default 3. */
  inlierBand?: number;
  /** Robust fit settings (image pixels); `fit.inlierThreshold` overrides `inlierBand`. */
  fit?: RobustFitOptions;
  limits?: ValidationLimits;
}

export interface BiometryResult {
  /** In image pixels; null when nothing could be fitted. */
  ellipse: Ellipse | null;
  /** Axis ends of the ellipse, canonical order, image pixels. */
  landmarks: Landmarks | null;
  hcMm: number | null;
  ofdMm: number | null;
  bpdMm: number | null;
  valid: boolean;
  issues: BiometryIssue[];
  reasons: string[];
  /** The cleaned mask (mask grid), e.g. for overlays and segmentation metrics. */
  mask: Mask;
  boundaryPoints: number;
  inlierFraction: number;
  /** RMS distance of the inliers to the ellipse, image px (NaN without a fit). */
  rmsResidual: number;
}

function checkInput(map: ScoreMap, threshold: number): void {
  const { width, height, data } = map;
  if (
    !(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) ||
    data.length !== width * height
  ) {
    throw new InputError("score map size does not match its data", undefined, undefined, {
      width,
      height,
      length: data.length,
    });
  }
  if (!(threshold > 0 && threshold < 1)) {
    throw new InputError("threshold must be in (0, 1)", undefined, undefined, threshold);
  }
}

/** Distance of an image point inside the frame to its nearest edge (pixel centres at integers). */
function frameDistance(p: Point, imageW: number, imageH: number): number {
  return Math.min(p.x + 0.5, imageW - 0.5 - p.x, p.y + 0.5, imageH - 0.5 - p.y);
}

/** Foreground pixels whose centre maps within one mask pixel (≥ 1 image px) of the image frame. */
function countBorderPixels(
  mask: Mask,
  toImage: (p: Point) => Point,
  imageW: number,
  imageH: number,
  margin: number,
): number {
  const { width: w, height: h, data } = mask;
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!data[y * w + x]) continue;
      if (x === 0 || y === 0 || x === w - 1 || y === h - 1) {
        n++;
        continue;
      }
      if (frameDistance(toImage({ x, y }), imageW, imageH) <= margin) n++;
    }
  }
  return n;
}

/**
 * The map as logits. Edge crossings are interpolated on logits because a sigmoid output is close to
 * linear in the signed distance to the edge there; probabilities are clamped to [1e-6, 1 − 1e-6]
 * first so a hard 0/1 mask gives symmetric ±13.8 and its cracks stay at the midpoints.
 */
function logitsOf(map: ScoreMap, input: "probability" | "logits"): ArrayLike<number> {
  if (input === "logits") return map.data;
  return Float32Array.from(map.data as ArrayLike<number>, (p) => {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
    return Math.log(q / (1 - q));
  });
}

/** The post-processing defaults (also the segmentation task's, lib/training/tasks/segmentation.ts). */
export const MASK_DEFAULTS = {
  threshold: 0.5,
  openRadius: 2,
  closeRadius: 2,
  inlierBand: 3,
} as const;

export function maskToBiometry(map: ScoreMap, options: MaskToBiometryOptions = {}): BiometryResult {
  const {
    threshold = MASK_DEFAULTS.threshold,
    input = "probability",
    pixelSizeMm,
    transform,
    openRadius = MASK_DEFAULTS.openRadius,
    closeRadius = MASK_DEFAULTS.closeRadius,
    inlierBand = MASK_DEFAULTS.inlierBand,
  } = options;
  checkInput(map, threshold);
  if (pixelSizeMm !== undefined && !(pixelSizeMm > 0 && Number.isFinite(pixelSizeMm))) {
    throw new InputError(
      "pixelSizeMm must be a positive number",
      undefined,
      undefined,
      pixelSizeMm,
    );
  }
  const { width, height } = map;
  const cut = input === "logits" ? Math.log(threshold / (1 - threshold)) : threshold;

  let mask: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = map.data[i] >= cut ? 1 : 0;
  if (openRadius > 0) mask = open(mask, disk(openRadius));
  if (closeRadius > 0) mask = close(mask, disk(closeRadius));
  mask = fillHoles(largestComponent(mask));

  const toImage = transform ? (p: Point) => transform.toImage(p) : (p: Point) => p;
  // Image px per mask px, from the transform itself (uniform for a letterbox).
  const o = toImage({ x: 0, y: 0 }), ex = toImage({ x: 1, y: 0 });
  const pxScale = Math.hypot(ex.x - o.x, ex.y - o.y);
  const imageW = transform?.srcWidth ?? width, imageH = transform?.srcHeight ?? height;
  // Where the image ends inside the mask (letterbox padding, a head window past the image edge),
  // a head running off the image is cut by a straight crack along the frame; points there are
  // the frame's, not the skull's, and would pull the fit inwards (HC −0.3 to −0.6 mm).
  const points = edgePoints(mask, {
    data: logitsOf(map, input),
    threshold: Math.log(threshold / (1 - threshold)),
  })
    .map(toImage)
    .filter((p) => frameDistance(p, imageW, imageH) > pxScale);
  const maskPixels = maskArea(mask);
  const borderPixels = countBorderPixels(mask, toImage, imageW, imageH, Math.max(1, pxScale));

  const fit = points.length >= 5
    ? fitEllipseRobust(points, { inlierThreshold: inlierBand * pxScale, ...options.fit })
    : null;
  const ellipse = fit?.ellipse ?? null;
  const inlierFraction = fit ? fit.inlierCount / points.length : 0;
  const check = validateBiometry(
    {
      ellipse,
      boundaryPoints: points.length,
      maskPixels,
      inlierFraction,
      borderPixels,
      pixelSizeMm,
    },
    options.limits,
  );
  const measures = ellipse && pixelSizeMm !== undefined
    ? measuresFromEllipse(ellipse, pixelSizeMm)
    : null;
  return {
    ellipse,
    landmarks: ellipse ? ellipseToLandmarks(ellipse) : null,
    hcMm: measures?.hcMm ?? null,
    ofdMm: measures?.ofdMm ?? null,
    bpdMm: measures?.bpdMm ?? null,
    valid: check.valid,
    issues: check.issues,
    reasons: check.reasons,
    mask,
    boundaryPoints: points.length,
    inlierFraction,
    rmsResidual: fit?.rmsResidual ?? Number.NaN,
  };
}
