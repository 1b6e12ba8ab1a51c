/**
 * Clinical head measures in millimetres. OFD and BPD are the lengths of the long and short axis
 * segments (OFD1–OFD2, BPD1–BPD2); HC is the perimeter of the ellipse with those axes (Ramanujan's
 * second approximation, `ellipsePerimeter`), which is how HC18 defines the reference HC.
 */
import type { Ellipse, Landmarks } from "../core/types.ts";
import { ellipsePerimeter } from "./ellipse.ts";

export interface HeadMeasures {
  ofdMm: number;
  bpdMm: number;
  hcMm: number;
}

function checkPixelSize(pixelSizeMm: number): void {
  if (!(pixelSizeMm > 0) || !Number.isFinite(pixelSizeMm)) {
    throw new RangeError(`pixel size must be a positive number of mm, got ${pixelSizeMm}`);
  }
}

/** From landmarks: the two segment lengths, and the perimeter of the ellipse they span. */
export function measuresFromLandmarks(l: Landmarks, pixelSizeMm: number): HeadMeasures {
  checkPixelSize(pixelSizeMm);
  const ofd = Math.hypot(l[1].x - l[0].x, l[1].y - l[0].y);
  const bpd = Math.hypot(l[3].x - l[2].x, l[3].y - l[2].y);
  return {
    ofdMm: ofd * pixelSizeMm,
    bpdMm: bpd * pixelSizeMm,
    hcMm: ellipsePerimeter({ a: ofd / 2, b: bpd / 2 }) * pixelSizeMm,
  };
}

/** From a fitted ellipse: OFD = 2a, BPD = 2b, HC = perimeter. */
export function measuresFromEllipse(e: Ellipse, pixelSizeMm: number): HeadMeasures {
  checkPixelSize(pixelSizeMm);
  return {
    ofdMm: 2 * e.a * pixelSizeMm,
    bpdMm: 2 * e.b * pixelSizeMm,
    hcMm: ellipsePerimeter(e) * pixelSizeMm,
  };
}
