/**
 * Landmarks, ellipse and clinical measures for images of any size from a trained checkpoint.
 *
 *   image (original pixels) → the run's eval pipeline (CLAHE, letterbox to S×S, normalise)
 *   [→ TTA variants, uncertainty.ts] → model, in batches → task adapter decode (exact inverse
 *   letterbox) → landmarks in ORIGINAL pixels → ellipse → OFD/BPD/HC mm and GA (Hadlock) when the
 *   pixel size is known.
 *
 * The ellipse: segmentation families report the robust ellipse fitted to the predicted mask (the
 * adapter's landmarks are its axis ends); the landmark families, and any family under TTA (where
 * the variants are combined as ellipses, uncertainty.ts), the ellipse the landmarks span
 * (landmarksToEllipse). The mask itself comes back on the original image grid for overlays.
 *
 * Confidence per image: with TTA, from the variants' dispersion (uncertainty.ts); without, the
 * adapter's own per-landmark confidence averaged (heatmap peak heights), else null.
 *
 * A model folder with a `calibration.json` (direction_calibration.ts, `deno task calibrate`) turns
 * the points and the ellipse by its fitted direction correction, last; the mask stays as drawn.
 */
import * as tf from "@tensorflow/tfjs";
import type { Ellipse, GrayImage, Landmarks, Mask } from "../core/types.ts";
import { canonicalize } from "../data/landmark_order.ts";
import { landmarksToEllipse } from "../geometry/ellipse.ts";
import { type HeadMeasures, measuresFromLandmarks } from "../geometry/measures.ts";
import { unletterboxMask } from "../io/letterbox.ts";
import { InputError } from "../core/errors.ts";
import { hadlockGaFromHc } from "../metrics/clinical.ts";
import "../models/mod.ts";
import { loadModel } from "../training/checkpoint.ts";
import type { RunConfig } from "../training/config.ts";
import { outputsAsArray } from "../training/evaluate.ts";
import { createTaskAdapter } from "../training/tasks/mod.ts";
import type { Prediction, SampleMeta, TaskAdapter } from "../training/tasks/types.ts";
import { applyWarp, mapToSource, mapToTarget } from "../transforms/geometric.ts";
import { evalPipeline, type Pipeline } from "../transforms/pipeline.ts";
import { blankImageIssue } from "../postprocess/validate.ts";
import { combineTta, type TtaOptions, type TtaVariant, ttaVariants } from "./uncertainty.ts";
import { familyOfConfig, locateModel, readRunConfig } from "./model_dir.ts";
import {
  applyDirectionCalibration,
  type DirectionCalibration,
  readDirectionCalibration,
} from "./direction_calibration.ts";

export interface InputImage {
  id: string;
  image: GrayImage;
  pixelSizeMm?: number;
  /**
   * A first-stage prediction (original pixels) for a head-crop model (`augment.headCrop`), which
   * looks only at the window around it; coarse_to_fine.ts fills it in. Ignored otherwise.
   */
  prior?: Landmarks;
}

export interface ClinicalMeasures extends HeadMeasures {
  /** Menstrual age from the HC (Hadlock 1984), weeks. */
  gaWeeks: number;
}

export interface ImagePrediction {
  id: string;
  width: number;
  height: number;
  /** Canonical order, original pixels. */
  landmarks: Landmarks;
  ellipse: Ellipse;
  pixelSizeMm?: number;
  /** Present when the pixel size is known. */
  measures?: ClinicalMeasures;
  /** In [0, 1], higher = more trustworthy; null when the model offers none (no TTA, no adapter confidence). */
  confidence: number | null;
  /** TTA only: mean landmark distance from the TTA mean, original px (and mm with a pixel size). */
  dispersionPx?: number;
  dispersionMm?: number;
  /** TTA only: each variant's landmarks in original pixels, in ttaVariants order. */
  variants?: Landmarks[];
  /** The direction calibration's turn applied to the points and ellipse, degrees (clockwise). */
  directionTurnDeg?: number;
  /** Segmentation families: the predicted mask on the original image grid (unaugmented input). */
  mask?: Mask;
  /** Segmentation families: the post-processing validator's verdict and its reasons. */
  plausible?: boolean;
  issues?: string[];
  /** Any family: what is wrong with the input itself (a blank frame), whatever the model drew. */
  inputIssues?: string[];
}

interface SegmentationBiometry {
  ellipse: Ellipse | null;
  valid: boolean;
  reasons: string[];
}

/**
 * The mask's ellipse fit behind a prediction's landmarks: a segmentation adapter's, or a multitask
 * one's decoding from its mask. Undefined when the landmarks come from elsewhere (a multitask
 * landmark head): the mask's fit and its validator's verdict are not about those points.
 */
function maskBiometry(p: Prediction): SegmentationBiometry | undefined {
  const { biometry, landmarksFrom } = p as {
    biometry?: SegmentationBiometry;
    landmarksFrom?: string;
  };
  return landmarksFrom === undefined || landmarksFrom === "mask" ? biometry : undefined;
}

export interface PredictOptions {
  /** Test-time augmentation: true for the defaults, or its options. */
  tta?: boolean | TtaOptions;
}

export interface LoadOptions {
  /** Images per model call (default: the run's batch size, at most 16). */
  batchSize?: number;
  /** Use this config instead of the one found next to the checkpoint. */
  config?: RunConfig;
  /** Apply the folder's calibration.json when it has one (default true). */
  calibrate?: boolean;
}

/** A loaded model with its run config and task adapter; dispose() frees the weights. */
export class Predictor {
  readonly pipeline: Pipeline;
  readonly family: string;

  private constructor(
    readonly model: tf.LayersModel,
    readonly config: RunConfig,
    readonly adapter: TaskAdapter,
    readonly dir: string,
    readonly batchSize: number,
    /** The direction correction applied last (calibration.json beside the weights), or null. */
    readonly calibration: DirectionCalibration | null = null,
  ) {
    this.pipeline = evalPipeline(config);
    this.family = familyOfConfig(config);
  }

  /** Load `--model` (a shipped family name or a checkpoint path; see model_dir.ts). */
  static async load(spec: string, opts: LoadOptions = {}): Promise<Predictor> {
    const where = await locateModel(spec);
    const config = opts.config ?? await readRunConfig(where.configPath);
    return Predictor.fromDir(where.weightsDir, config, opts);
  }

  /** Load the weights in `dir` (model.json + weights) for a known run config. */
  static async fromDir(dir: string, config: RunConfig, opts: LoadOptions = {}): Promise<Predictor> {
    const adapter = await createTaskAdapter(config);
    const model = await loadModel(dir);
    const batch = opts.batchSize ?? Math.min(16, config.batchSize);
    const calibration = opts.calibrate === false ? null : await readDirectionCalibration(dir);
    return new Predictor(model, config, adapter, dir, Math.max(1, batch), calibration);
  }

  /**
   * Wrap an in-memory model (e.g. one just trained in a notebook, or untrained for speed tests).
   * The predictor owns it afterwards: dispose() frees it.
   */
  static async fromModel(
    model: tf.LayersModel,
    config: RunConfig,
    opts: LoadOptions = {},
  ): Promise<Predictor> {
    const adapter = await createTaskAdapter(config);
    const batch = opts.batchSize ?? Math.min(16, config.batchSize);
    return new Predictor(model, config, adapter, "(in memory)", Math.max(1, batch));
  }

  get inputSize(): number {
    return this.config.inputSize;
  }

  countParams(): number {
    return this.model.countParams();
  }

  dispose(): void {
    this.model.dispose();
  }

  /** Predict every image; order is kept. Images of different sizes can share a call. */
  async predict(
    images: readonly InputImage[],
    opts: PredictOptions = {},
  ): Promise<ImagePrediction[]> {
    const S = this.inputSize;
    const variants: TtaVariant[] = opts.tta
      ? ttaVariants(S, opts.tta === true ? {} : opts.tta)
      : [{ label: "identity", warp: null }];
    // One job per (image, variant); jobs are batched regardless of which image they belong to.
    const jobs = images.flatMap((_, i) => variants.map((v) => ({ i, v })));
    const raw: Prediction[] = new Array(jobs.length);
    const prepared = images.map((img) => this.preprocess(img));
    for (let start = 0; start < jobs.length; start += this.batchSize) {
      const chunk = jobs.slice(start, start + this.batchSize);
      const inputs = new Float32Array(chunk.length * S * S * this.config.channels);
      const metas: SampleMeta[] = chunk.map(({ i, v }, b) => {
        const pre = prepared[i];
        const warped = v.warp ? applyWarp(pre, v.warp) : pre;
        const out = this.pipeline.finish(warped);
        inputs.set(out.input.data, b * out.input.data.length);
        return {
          id: images[i].id,
          width: images[i].image.width,
          height: images[i].image.height,
          landmarks: pre.landmarks,
          pixelSizeMm: images[i].pixelSizeMm,
          toImage: (p) => mapToSource(out.maps, [p])[0],
          toModel: (p) => mapToTarget(out.maps, [p])[0],
        };
      });
      const x = tf.tensor4d(inputs, [chunk.length, S, S, this.config.channels]);
      const outputs = outputsAsArray(this.model.predict(x) as tf.Tensor | tf.Tensor[]);
      try {
        const preds = await this.adapter.decode(outputs, metas);
        preds.forEach((p, b) => (raw[start + b] = p));
      } finally {
        tf.dispose([x, ...outputs]);
      }
    }
    return images.map((img, i) => {
      const mine = raw.slice(i * variants.length, (i + 1) * variants.length);
      return this.finishImage(img, mine, variants.length > 1);
    });
  }

  /** Whether the model looks at a window around a first-stage prediction (InputImage.prior). */
  get needsPrior(): boolean {
    return this.pipeline.config.augment.headCrop > 0;
  }

  /**
   * The landmarks the eval pipeline is given: the prior for a head-crop model (its window is built
   * around them), else the image centre (a letterbox ignores them).
   */
  private anchor(img: InputImage): Landmarks {
    if (this.needsPrior) {
      if (!img.prior) {
        throw new InputError(
          `${img.id}: this model crops around a first-stage prediction; load it with ` +
            "CoarseToFine (lib/inference/coarse_to_fine.ts) or pass InputImage.prior",
        );
      }
      return img.prior;
    }
    const c = { x: (img.image.width - 1) / 2, y: (img.image.height - 1) / 2 };
    return [c, c, c, c];
  }

  /** CLAHE + letterbox or head window (deterministic). */
  private preprocess(img: InputImage) {
    return this.pipeline.preprocess({ image: img.image, landmarks: this.anchor(img) });
  }

  private finishImage(img: InputImage, preds: Prediction[], tta: boolean): ImagePrediction {
    const { width, height } = img.image;
    let landmarks: Landmarks;
    let confidence: number | null = null;
    const extra: Partial<ImagePrediction> = {};
    if (tta) {
      const fitted = preds.map((p) => maskBiometry(p)?.ellipse !== null);
      const agg = combineTta(preds.map((p) => p.landmarks), fitted, width, height);
      landmarks = agg.landmarks;
      confidence = agg.confidence;
      extra.dispersionPx = agg.dispersion;
      if (img.pixelSizeMm !== undefined) extra.dispersionMm = agg.dispersion * img.pixelSizeMm;
      extra.variants = preds.map((p) => p.landmarks);
    } else {
      landmarks = canonicalize(preds[0].landmarks);
      const c = preds[0].confidence;
      if (c) confidence = c.reduce((a, b) => a + b, 0) / c.length;
    }
    const biometry = maskBiometry(preds[0]);
    if (biometry) {
      extra.plausible = biometry.valid;
      if (biometry.reasons.length) extra.issues = biometry.reasons;
    }
    const blank = blankImageIssue(img.image);
    if (blank) extra.inputIssues = [blank];
    const modelMask = preds[0].modelMask;
    if (modelMask) {
      extra.mask = unletterboxMask(
        modelMask,
        this.pipeline.inputTransform(width, height, this.anchor(img)),
      );
    }
    let ellipse = (!tta && biometry?.ellipse) || landmarksToEllipse(landmarks);
    if (this.calibration) {
      const turned = applyDirectionCalibration(this.calibration, landmarks, ellipse);
      ({ landmarks, ellipse } = turned);
      extra.directionTurnDeg = turned.turnDeg;
    }
    const out: ImagePrediction = {
      id: img.id,
      width,
      height,
      landmarks,
      ellipse,
      confidence,
      ...extra,
    };
    if (img.pixelSizeMm !== undefined) {
      const m = measuresFromLandmarks(landmarks, img.pixelSizeMm);
      out.pixelSizeMm = img.pixelSizeMm;
      out.measures = { ...m, gaWeeks: hadlockGaFromHc(m.hcMm) };
    }
    return out;
  }
}
