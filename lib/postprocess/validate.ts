/**
 * Plausibility checks for a skull ellipse found by segmentation post-processing. Each failed check
 * yields an issue code and a human-readable reason; a result is valid when there are none.
 */
import type { Ellipse, GrayImage } from "../core/types.ts";
import { ellipsePerimeter } from "../geometry/ellipse.ts";
import { imageStats } from "../transforms/normalise.ts";

export type BiometryIssue =
  | "empty"
  | "too-few-points"
  | "fit-failed"
  | "poor-fit"
  | "axis-ratio"
  | "size"
  | "border";

export interface ValidationLimits {
  /** Fewest boundary points to trust a fit. Default 20. */
  minBoundaryPoints?: number;
  /** Smallest plausible b/a (cephalic index is ~0.7–0.9; 0.5 leaves room). Default 0.5. */
  minAxisRatio?: number;
  /** Plausible HC range in mm (fetal HC spans ~40–400 mm over gestation). Default [40, 400]. */
  hcRangeMm?: [number, number];
  /** Smallest fraction of boundary points within the robust fit's inlier band. Default 0.6. */
  minInlierFraction?: number;
  /** Largest fraction of the mask's pixels allowed on (or beyond) the image frame. Default 0. */
  maxBorderFraction?: number;
}

/** What the checks look at, gathered by maskToBiometry (or any other producer of an ellipse). */
export interface ValidationInput {
  ellipse: Ellipse | null;
  boundaryPoints: number;
  /** Foreground pixels of the cleaned mask; 0 means the mask was empty. */
  maskPixels: number;
  /** Fraction of boundary points that are inliers of the fit (1 when unknown). */
  inlierFraction?: number;
  /** Foreground pixels whose centre lies within one mask pixel of the image frame, or beyond it. */
  borderPixels?: number;
  /** mm per image pixel; the size check is skipped without it. */
  pixelSizeMm?: number;
}

export interface Validation {
  valid: boolean;
  issues: BiometryIssue[];
  /** One sentence per issue, same order, starting with the issue code. */
  reasons: string[];
}

export function validateBiometry(
  input: ValidationInput,
  limits: ValidationLimits = {},
): Validation {
  const { minBoundaryPoints = 20, minInlierFraction = 0.6, maxBorderFraction = 0 } = limits;
  const issues: BiometryIssue[] = [];
  const reasons: string[] = [];
  const flag = (issue: BiometryIssue, why: string) => {
    issues.push(issue);
    reasons.push(`${issue}: ${why}`);
  };
  const fmt = (v: number) => Number(v.toPrecision(3));
  if (input.maskPixels === 0) flag("empty", "no foreground left after thresholding and cleaning");
  else if (input.boundaryPoints < minBoundaryPoints) {
    flag("too-few-points", `${input.boundaryPoints} boundary points, need ≥ ${minBoundaryPoints}`);
  }
  const borderFraction = input.maskPixels > 0 ? (input.borderPixels ?? 0) / input.maskPixels : 0;
  if (borderFraction > maxBorderFraction) {
    flag(
      "border",
      `${input.borderPixels} mask pixels (${fmt(100 * borderFraction)} %) touch the image border`,
    );
  }
  const e = input.ellipse;
  if (!e) {
    if (input.maskPixels > 0) flag("fit-failed", "no ellipse fits the boundary points");
    return { valid: false, issues, reasons };
  }
  const inliers = input.inlierFraction ?? 1;
  if (inliers < minInlierFraction) {
    flag(
      "poor-fit",
      `only ${fmt(100 * inliers)} % of boundary points lie on the ellipse, need ≥ ${
        100 * minInlierFraction
      } %`,
    );
  }
  const shape = ellipseShapeIssues(e, input.pixelSizeMm, limits);
  issues.push(...shape.issues);
  reasons.push(...shape.reasons);
  return { valid: issues.length === 0, issues, reasons };
}

/**
 * The checks on the ellipse alone (axis ratio; HC range with a pixel size), for any model's
 * ellipse, also one drawn through landmarks that no mask backs.
 */
export function ellipseShapeIssues(
  e: Ellipse,
  pixelSizeMm: number | undefined,
  limits: Pick<ValidationLimits, "minAxisRatio" | "hcRangeMm"> = {},
): Validation {
  const { minAxisRatio = 0.5, hcRangeMm = [40, 400] } = limits;
  const issues: BiometryIssue[] = [], reasons: string[] = [];
  const fmt = (v: number) => Number(v.toPrecision(3));
  const ratio = e.b / e.a;
  if (!(ratio >= minAxisRatio)) {
    issues.push("axis-ratio");
    reasons.push(`axis-ratio: axis ratio b/a = ${fmt(ratio)} < ${minAxisRatio}`);
  }
  if (pixelSizeMm !== undefined) {
    const hc = ellipsePerimeter(e) * pixelSizeMm;
    if (!(hc >= hcRangeMm[0] && hc <= hcRangeMm[1])) {
      issues.push("size");
      reasons.push(
        `size: HC ${fmt(hc)} mm outside the plausible ${hcRangeMm[0]}–${hcRangeMm[1]} mm`,
      );
    }
  }
  return { valid: issues.length === 0, issues, reasons };
}

/**
 * A check on the input rather than the answer: a frame with (almost) no contrast, such as a blank
 * or frozen screen, shows no skull, yet the networks still draw a head on it (on a uniform grey
 * frame the U-Net's mask missed the fit check's 60 % by half a percentage point). Real ultrasound
 * has a grey-level standard deviation of tens; `minStd` (default 2, on the 0–255 scale) only
 * catches frames that are flat.
 */
export function blankImageIssue(image: GrayImage, minStd = 2): string | undefined {
  const { std } = imageStats(image);
  return std < minStd
    ? `blank: the image has almost no contrast (grey-level std ${std.toFixed(2)} < ${minStd})`
    : undefined;
}
