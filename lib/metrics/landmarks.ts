/**
 * Landmark localisation metrics: radial error per point, mean radial error (MRE) with spread,
 * per-landmark statistics and success detection rates (SDR: the fraction of points whose radial
 * error is ≤ the threshold, as in the ISBI 2015 cephalometry challenge), in pixels and, where the
 * pixel size is known, in millimetres. A pair-order-free variant forgives swapped ends within the
 * OFD pair and within the BPD pair, to separate "found the axis" from "named its ends".
 */
import { LANDMARK_NAMES, type LandmarkName, type Landmarks } from "../core/types.ts";
import { summarize, type Summary } from "./summary.ts";

export const SDR_THRESHOLDS_PX = [50, 100, 150, 200] as const;
export const SDR_THRESHOLDS_MM = [1, 2, 2.5, 3, 4] as const;

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.hypot(a.x - b.x, a.y - b.y);

/** Euclidean distance of each predicted landmark to its true one, in storage order. */
export function radialErrors(pred: Landmarks, truth: Landmarks): number[] {
  return pred.map((p, i) => dist(p, truth[i]));
}

/**
 * `l` with the ends of each pair (OFD, BPD) in whichever order puts them nearer to `ref`'s, by
 * summed distance; kept as given on a tie.
 */
export function alignPairs(l: Landmarks, ref: Landmarks): Landmarks {
  const pair = (i: number, j: number) =>
    dist(l[j], ref[i]) + dist(l[i], ref[j]) < dist(l[i], ref[i]) + dist(l[j], ref[j])
      ? [l[j], l[i]]
      : [l[i], l[j]];
  return [...pair(0, 1), ...pair(2, 3)] as Landmarks;
}

/**
 * Radial errors after choosing, independently for the OFD pair and the BPD pair, the assignment
 * of the two predicted ends to the two true ends with the smaller summed error.
 */
export function pairOrderFreeErrors(pred: Landmarks, truth: Landmarks): number[] {
  return radialErrors(alignPairs(pred, truth), truth);
}

export function successDetectionRate(errors: readonly number[], threshold: number): number {
  const finite = errors.filter((e) => !Number.isNaN(e));
  return finite.length ? finite.filter((e) => e <= threshold).length / finite.length : NaN;
}

export interface ErrorReport {
  /** Over every point of every image. */
  radial: Summary;
  perLandmark: Record<LandmarkName, Summary>;
  sdr: { threshold: number; rate: number }[];
}

/** Summaries of a list of per-image error quadruples. */
export function errorReport(
  perImage: readonly number[][],
  thresholds: readonly number[],
): ErrorReport {
  const all = perImage.flat();
  const perLandmark = Object.fromEntries(
    LANDMARK_NAMES.map((name, k) => [name, summarize(perImage.map((e) => e[k]))]),
  ) as Record<LandmarkName, Summary>;
  return {
    radial: summarize(all),
    perLandmark,
    sdr: thresholds.map((threshold) => ({ threshold, rate: successDetectionRate(all, threshold) })),
  };
}

export interface ImageLandmarkErrors {
  id: string;
  errorsPx: number[];
  /** Mean of the four radial errors. */
  mrePx: number;
  errorsMm?: number[];
  mreMm?: number;
  orderFreeErrorsPx: number[];
}

export interface LandmarkMetrics {
  nImages: number;
  px: ErrorReport;
  /** Only images with a pixel size; absent when none has one. */
  mm?: ErrorReport & { nImages: number };
  orderFreePx: ErrorReport;
  images: ImageLandmarkErrors[];
}

/** Collects images one at a time (MONAI-style) and reports dataset-level landmark metrics. */
export class LandmarkMetricAccumulator {
  readonly images: ImageLandmarkErrors[] = [];

  add(id: string, pred: Landmarks, truth: Landmarks, pixelSizeMm?: number): ImageLandmarkErrors {
    const errorsPx = radialErrors(pred, truth);
    const mrePx = errorsPx.reduce((s, e) => s + e, 0) / 4;
    const record: ImageLandmarkErrors = {
      id,
      errorsPx,
      mrePx,
      orderFreeErrorsPx: pairOrderFreeErrors(pred, truth),
    };
    if (pixelSizeMm !== undefined) {
      record.errorsMm = errorsPx.map((e) => e * pixelSizeMm);
      record.mreMm = mrePx * pixelSizeMm;
    }
    this.images.push(record);
    return record;
  }

  result(): LandmarkMetrics {
    const withMm = this.images.filter((r) => r.errorsMm);
    return {
      nImages: this.images.length,
      px: errorReport(this.images.map((r) => r.errorsPx), SDR_THRESHOLDS_PX),
      ...(withMm.length
        ? {
          mm: {
            nImages: withMm.length,
            ...errorReport(withMm.map((r) => r.errorsMm!), SDR_THRESHOLDS_MM),
          },
        }
        : {}),
      orderFreePx: errorReport(this.images.map((r) => r.orderFreeErrorsPx), SDR_THRESHOLDS_PX),
      images: this.images,
    };
  }
}
