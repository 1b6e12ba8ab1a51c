/**
 * One call that turns paired predictions and ground truth into every metric family: landmark
 * errors (px, mm, order-free), spread ratios, clinical errors (where the pixel size is known),
 * segmentation scores (where both masks are given) and a bootstrap CI for the MRE.
 */
import type { Landmarks, Mask } from "../core/types.ts";
import { Rng } from "../core/rng.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import { LandmarkMetricAccumulator, type LandmarkMetrics } from "./landmarks.ts";
import { spreadRatios, type SpreadReport } from "./spread.ts";
import { ClinicalAccumulator, type ClinicalMetrics } from "./clinical.ts";
import { SegmentationAccumulator, type SegmentationMetrics } from "./segmentation.ts";
import { bootstrapCi, type ConfidenceInterval } from "./statistics.ts";

export interface EvalCase {
  id: string;
  truth: Landmarks;
  pred: Landmarks;
  pixelSizeMm?: number;
  /** Source image, for galleries. */
  imagePath?: string;
  truthMask?: Mask;
  predMask?: Mask;
}

export interface EvalResult {
  nImages: number;
  landmarks: LandmarkMetrics;
  spread: SpreadReport;
  /** Images with a pixel size only; absent when none has one. */
  clinical?: ClinicalMetrics;
  /** Images with both masks only; absent when none has them. */
  segmentation?: SegmentationMetrics;
  /** Percentile bootstrap over per-image MREs. */
  mreCiPx: ConfidenceInterval;
  mreCiMm?: ConfidenceInterval;
  /** The same over per-image |ΔHC| (images with a pixel size; absent when none has one). */
  hcAbsCiMm?: ConfidenceInterval;
  cases: EvalCase[];
}

export interface EvaluateOptions {
  /** Seed of the bootstrap (default 0). */
  seed?: number;
  bootstrapResamples?: number;
}

export function evaluate(cases: readonly EvalCase[], opts: EvaluateOptions = {}): EvalResult {
  const landmarks = new LandmarkMetricAccumulator();
  const clinical = new ClinicalAccumulator();
  const segmentation = new SegmentationAccumulator();
  for (const c of cases) {
    landmarks.add(c.id, c.pred, c.truth, c.pixelSizeMm);
    if (c.pixelSizeMm !== undefined) {
      clinical.add(
        c.id,
        measuresFromLandmarks(c.pred, c.pixelSizeMm),
        measuresFromLandmarks(c.truth, c.pixelSizeMm),
      );
    }
    if (c.truthMask && c.predMask) segmentation.add(c.id, c.predMask, c.truthMask, c.pixelSizeMm);
  }
  const lm = landmarks.result();
  const rng = new Rng(opts.seed ?? 0);
  const resamples = opts.bootstrapResamples ?? 2000;
  const mmImages = lm.images.filter((r) => r.mreMm !== undefined);
  return {
    nImages: cases.length,
    landmarks: lm,
    spread: spreadRatios(cases.map((c) => c.pred), cases.map((c) => c.truth)),
    ...(clinical.images.length ? { clinical: clinical.result() } : {}),
    ...(segmentation.images.length ? { segmentation: segmentation.result() } : {}),
    mreCiPx: bootstrapCi(lm.images.map((r) => r.mrePx), { rng: rng.fork(0), resamples }),
    ...(mmImages.length
      ? { mreCiMm: bootstrapCi(mmImages.map((r) => r.mreMm!), { rng: rng.fork(1), resamples }) }
      : {}),
    ...(clinical.images.length
      ? {
        hcAbsCiMm: bootstrapCi(clinical.images.map((r) => r.errors.hcMm), {
          rng: rng.fork(2),
          resamples,
        }),
      }
      : {}),
    cases: [...cases],
  };
}
