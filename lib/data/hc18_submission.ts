/**
 * The HC18 challenge result file (hc18.grand-challenge.org): one row per test image,
 *
 *   filename,center_x_mm,center_y_mm,semi_axes_a_mm,semi_axes_b_mm,angle_rad
 *
 * The challenge computes the HC from the two semi-axes (Ramanujan's perimeter) and draws the
 * ellipse to score Dice and Hausdorff distance against its hidden annotations, so every column
 * matters. Conventions written here (the challenge page names the columns and units only; they are
 * the conventions of the reference implementations that fit OpenCV ellipses to a mask and are
 * scored on the leaderboard, and those of this project):
 * - centre: x to the right (image column), y down (image row), in mm = pixel coordinate × pixel
 *   size, where pixel coordinates put pixel CENTRES at integers (lib/core/types.ts; OpenCV and
 *   scikit-image do the same). The origin is thus the centre of the top-left pixel; measuring from
 *   its outer corner would add half a pixel (≤ 0.2 mm) to both, which moves no HC.
 * - semi-axes: a ≥ b, in mm (pixel size is the same in x and y in HC18).
 * - angle_rad: direction of the `a` axis in [0, π), measured from +x towards +y (clockwise on the
 *   screen, since y points down); the project's Ellipse convention unchanged.
 */
import type { Ellipse } from "../core/types.ts";
import { formatCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { ellipsePerimeter } from "../geometry/ellipse.ts";

export const SUBMISSION_HEADER = [
  "filename",
  "center_x_mm",
  "center_y_mm",
  "semi_axes_a_mm",
  "semi_axes_b_mm",
  "angle_rad",
] as const;

export interface SubmissionRow {
  filename: string;
  centerXMm: number;
  centerYMm: number;
  semiAxisAMm: number;
  semiAxisBMm: number;
  angleRad: number;
}

/** An ellipse in image pixels → a submission row (see the module comment for the conventions). */
export function submissionRow(filename: string, e: Ellipse, pixelSizeMm: number): SubmissionRow {
  if (!(pixelSizeMm > 0 && Number.isFinite(pixelSizeMm))) {
    throw new InputError("pixel size must be a positive number of mm", undefined, undefined, {
      filename,
      pixelSizeMm,
    });
  }
  for (const [k, v] of Object.entries(e)) {
    if (!Number.isFinite(v)) {
      throw new InputError(`ellipse ${k} is not finite`, undefined, undefined, {
        filename,
        [k]: v,
      });
    }
  }
  const [a, b] = e.a >= e.b ? [e.a, e.b] : [e.b, e.a];
  // Swapping the axes turns the a axis by a right angle.
  const angle = e.a >= e.b ? e.angle : e.angle + Math.PI / 2;
  return {
    filename,
    centerXMm: e.cx * pixelSizeMm,
    centerYMm: e.cy * pixelSizeMm,
    semiAxisAMm: a * pixelSizeMm,
    semiAxisBMm: b * pixelSizeMm,
    angleRad: ((angle % Math.PI) + Math.PI) % Math.PI,
  };
}

/** HC in mm of a submission row, as the challenge computes it (Ramanujan II on the semi-axes). */
export function rowHcMm(r: SubmissionRow): number {
  return ellipsePerimeter({ a: r.semiAxisAMm, b: r.semiAxisBMm });
}

/** The result CSV (header first, full precision, LF, final newline). */
export function formatSubmission(rows: readonly SubmissionRow[]): string {
  return formatCsv(
    SUBMISSION_HEADER,
    rows.map((r) => [
      r.filename,
      r.centerXMm,
      r.centerYMm,
      r.semiAxisAMm,
      r.semiAxisBMm,
      r.angleRad,
    ]),
  );
}
