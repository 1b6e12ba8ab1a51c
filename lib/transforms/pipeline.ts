/**
 * The named pipelines the trainer calls per sample. Training and validation share one code path:
 *
 *   preprocess (deterministic: CLAHE at native resolution, letterbox to S×S, or with headCrop a
 *              window around the head)
 *   → augment  (training: random geometric, ultrasound and intensity transforms; eval: none)
 *   → finish   (normalise into a `[S, S, C]` model input)
 *
 * `preprocess` output can be cached (it does not depend on the generator); `run` does all three.
 * Every random draw comes from the `Rng` passed in, so `sampleRng(seed, epoch, index)` makes a
 * sample's augmentation reproducible and independent of batch order and worker count.
 *
 * Configuration: `PipelineConfig` is structurally a subset of the training RunConfig
 * (`inputSize`, `channels`, `augment`), so a run config can be passed as is. `augment` is a flat
 * record of the `AugmentConfig` keys below (any subset; unknown keys and wrong types throw
 * InputError), so command-line overrides like `augment.rotateLimitDeg=10` work.
 */
import { Rng } from "../core/rng.ts";
import type { GrayImage, Landmarks, Mask } from "../core/types.ts";
import { InputError } from "../core/errors.ts";
import { canonicalize } from "../data/landmark_order.ts";
import {
  type LetterboxTransform,
  letterboxTransform,
  mapLandmarks,
  toModelImage,
  toModelMask,
  windowTransform,
} from "../io/letterbox.ts";
import { clahe } from "./clahe.ts";
import { compose, oneOf } from "./compose.ts";
import {
  elastic,
  flipHorizontal,
  flipVertical,
  gridDistortion,
  opticalDistortion,
  shiftScaleRotate,
} from "./geometric.ts";
import { brightnessContrast, gamma, gaussianBlur, gaussianNoise, motionBlur } from "./intensity.ts";
import { type ModelImage, normalise, NORMALISE_MODES, type NormaliseMode } from "./normalise.ts";
import { type AugSample, type PointMap, toAugSample, type Transform, transform } from "./types.ts";
import { acousticShadow, coarseDropout, depthAttenuation, speckle } from "./ultrasound.ts";

/** Every knob of the pipelines, with its default. Probabilities are per sample. */
export interface AugmentConfig {
  /** CLAHE (OpenCV semantics) at native resolution before letterboxing. */
  clahe: boolean;
  claheClipLimit: number;
  /** Tile grid is claheTiles × claheTiles. */
  claheTiles: number;
  normalise: NormaliseMode;
  /** Grey-level statistics for normalise = "dataset". */
  datasetMean: number;
  datasetStd: number;
  /** false: the training pipeline does no augmentation (same as eval). */
  enabled: boolean;
  shiftScaleRotateP: number;
  shiftLimit: number;
  scaleLimit: number;
  rotateLimitDeg: number;
  flipHorizontalP: number;
  flipVerticalP: number;
  /** One of elastic / grid / optical distortion. */
  distortionP: number;
  acousticShadowP: number;
  depthAttenuationP: number;
  brightnessContrastP: number;
  gammaP: number;
  /** One of Gaussian / motion blur, kernel 3–7. */
  blurP: number;
  coarseDropoutP: number;
  /** One of additive Gaussian noise (var 10–50) / multiplicative speckle. */
  noiseP: number;
  /** Redraws before a geometric transform is skipped for pushing a landmark out. */
  maxTries: number;
  /**
   * Coarse-to-fine (lib/inference/coarse_to_fine.ts): > 0 replaces the whole-image letterbox by a
   * square window around the head, side = headCrop × the longer axis the sample's landmarks span,
   * centred on their mean (training: the labels; inference: a first-stage prediction). 0 = off.
   */
  headCrop: number;
  /**
   * Training windows of a head-crop model drawn per sample (every sample, p = 1) in the original
   * image: side × (1 ± windowScaleLimit), centre moved by up to ± windowShiftLimit × side on each
   * axis. 0 and 0 (default) crop the labelled window itself. Why draw them: the windows a second
   * stage sees at inference come from a first stage and are never exactly the labelled one, while a
   * cached labelled window that shiftScaleRotate leaves untouched (1 − shiftScaleRotateP of the
   * samples) is a point mass at "the head spans exactly 1/headCrop of the input", which a model
   * learns to read its size from. Drawn here, the surroundings are real image, not fill.
   */
  windowScaleLimit: number;
  windowShiftLimit: number;
}

export const DEFAULT_AUGMENT: Readonly<AugmentConfig> = {
  clahe: true,
  claheClipLimit: 2,
  claheTiles: 8,
  normalise: "imagenet",
  datasetMean: 0,
  datasetStd: 1,
  enabled: true,
  shiftScaleRotateP: 0.8,
  shiftLimit: 0.1,
  scaleLimit: 0.15,
  rotateLimitDeg: 20,
  flipHorizontalP: 0.5,
  flipVerticalP: 0.1,
  distortionP: 0.25,
  acousticShadowP: 0.3,
  depthAttenuationP: 0.3,
  brightnessContrastP: 0.5,
  gammaP: 0.3,
  blurP: 0.2,
  coarseDropoutP: 0.2,
  noiseP: 0.4,
  maxTries: 10,
  headCrop: 0,
  windowScaleLimit: 0,
  windowShiftLimit: 0,
};

export interface PipelineConfig {
  /** Side S of the square model input. */
  inputSize: number;
  channels: 1 | 3;
  /** Any subset of AugmentConfig. */
  augment?: Record<string, unknown>;
}

export interface ResolvedPipelineConfig {
  inputSize: number;
  channels: 1 | 3;
  augment: AugmentConfig;
}

const kindOf = (v: unknown): string => typeof v;

/** Fill in defaults and check every key and type; throws InputError naming the bad key. */
export function resolvePipelineConfig(cfg: PipelineConfig): ResolvedPipelineConfig {
  if (!(Number.isInteger(cfg.inputSize) && cfg.inputSize > 0)) {
    throw new InputError(
      "pipeline: inputSize must be a positive integer",
      undefined,
      undefined,
      cfg.inputSize,
    );
  }
  if (cfg.channels !== 1 && cfg.channels !== 3) {
    throw new InputError("pipeline: channels must be 1 or 3", undefined, undefined, cfg.channels);
  }
  const augment: AugmentConfig = { ...DEFAULT_AUGMENT };
  const target = augment as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(cfg.augment ?? {})) {
    if (!(key in DEFAULT_AUGMENT)) {
      throw new InputError(
        `augment: unknown key "${key}" (known: ${Object.keys(DEFAULT_AUGMENT).join(", ")})`,
      );
    }
    const expected = kindOf(target[key]);
    if (kindOf(value) !== expected) {
      throw new InputError(`augment.${key}: expected a ${expected}`, undefined, undefined, value);
    }
    if (key.endsWith("P") && !((value as number) >= 0 && (value as number) <= 1)) {
      throw new InputError(
        `augment.${key}: probability must be in [0, 1]`,
        undefined,
        undefined,
        value,
      );
    }
    if (key.startsWith("window") && !((value as number) >= 0 && (value as number) < 1)) {
      throw new InputError(`augment.${key}: must be in [0, 1)`, undefined, undefined, value);
    }
    target[key] = value;
  }
  if (!NORMALISE_MODES.includes(augment.normalise)) {
    throw new InputError(
      `augment.normalise: one of ${NORMALISE_MODES.join(", ")}`,
      undefined,
      undefined,
      augment.normalise,
    );
  }
  return { inputSize: cfg.inputSize, channels: cfg.channels, augment };
}

/** What the model sees, plus everything needed to draw it and to map predictions back. */
export interface ModelSample {
  input: ModelImage;
  /** The augmented grey image (0..255) the input was normalised from. */
  image: GrayImage;
  landmarks: Landmarks;
  mask?: Mask;
  /** Original image → model input, oldest first (letterbox, then any augmentation). */
  maps: readonly PointMap[];
  skipped: readonly string[];
}

export interface Pipeline {
  readonly config: ResolvedPipelineConfig;
  /**
   * Original image → model square: the letterbox, or with `headCrop` the window around
   * `landmarks` (the labels in training, a first-stage prediction at inference).
   */
  inputTransform(width: number, height: number, landmarks: Landmarks): LetterboxTransform;
  /**
   * Deterministic CLAHE + letterbox (or head window) to S×S; the result can be cached across
   * epochs. A training pipeline with random head windows stops after CLAHE (native size).
   */
  preprocess(sample: { image: GrayImage; landmarks: Landmarks; mask?: Mask }): AugSample;
  /** The random part (identity in eval). Takes a preprocessed sample. */
  readonly augment: Transform;
  /** Normalise into the model input. */
  finish(sample: AugSample): ModelSample;
  /** preprocess → augment → finish. */
  run(sample: { image: GrayImage; landmarks: Landmarks; mask?: Mask }, rng: Rng): ModelSample;
}

/** The generator for one sample in one epoch: the same triple always gives the same draws. */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(seed).fork(epoch).fork(index);
}

/** Resample a sample into the model square of `t`, recording the exact point map. */
function intoModel(s: AugSample, t: LetterboxTransform, label: string): AugSample {
  const map: PointMap = { label, forward: t.toModel, inverse: t.toImage };
  return {
    image: toModelImage(s.image, t),
    mask: s.mask ? toModelMask(s.mask, t) : undefined,
    landmarks: canonicalize(mapLandmarks(s.landmarks, t.toModel)),
    maps: [...s.maps, map],
    skipped: s.skipped,
  };
}

/** Letterbox into size × size (A's resampler: tent filter, exact maps); a no-op if already that size. */
export function letterbox(size: number): Transform {
  return transform(`letterbox(${size})`, (s) => {
    if (s.image.width === size && s.image.height === size) return s;
    return intoModel(
      s,
      letterboxTransform(s.image.width, s.image.height, size),
      `letterbox(${size})`,
    );
  });
}

/** The longer of the two axes the landmarks span, px. */
function longerAxis([o1, o2, b1, b2]: Landmarks): number {
  return Math.max(Math.hypot(o1.x - o2.x, o1.y - o2.y), Math.hypot(b1.x - b2.x, b1.y - b2.y));
}

/** Whether the landmarks span a head a window can be built around (an axis of ≥ 1 px). */
export function spansHead(landmarks: Landmarks): boolean {
  return longerAxis(landmarks) >= 1;
}

/**
 * The head window of `headCrop`: centred on the landmarks' mean (the ellipse centre, for axis
 * ends), side = margin × the longer of the two axes. Throws when the points span no head, e.g. a
 * crop model called without a first-stage prediction.
 */
export function headWindow(
  landmarks: Landmarks,
  margin: number,
): { cx: number; cy: number; side: number } {
  const [o1, o2, b1, b2] = landmarks;
  const axis = longerAxis(landmarks);
  if (!(axis >= 1 && margin > 0)) {
    throw new InputError(
      "head crop: the landmarks span no head (a crop model needs first-stage landmarks)",
      undefined,
      undefined,
      { axis, margin },
    );
  }
  const cx = (o1.x + o2.x + b1.x + b2.x) / 4, cy = (o1.y + o2.y + b1.y + b2.y) / 4;
  return { cx, cy, side: margin * axis };
}

/** The map of an image of width × height into the size × size head window around `landmarks`. */
function headWindowTransform(
  width: number,
  height: number,
  size: number,
  landmarks: Landmarks,
  margin: number,
): LetterboxTransform {
  return windowTransform(width, height, size, headWindow(landmarks, margin));
}

/** Crop the head window of `headWindow(landmarks, margin)` into size × size. */
export function headCrop(size: number, margin: number): Transform {
  const label = `headCrop(${size}, ×${margin})`;
  return transform(label, (s) =>
    intoModel(
      s,
      headWindowTransform(s.image.width, s.image.height, size, s.landmarks, margin),
      label,
    ));
}

/**
 * A random head window per sample (training): `headWindow(landmarks, margin)` with its side scaled
 * by 1 ± scaleLimit and its centre moved by up to ± shiftLimit × side on each axis, all uniform,
 * cropped from the original-resolution image into size × size.
 */
export function jitteredHeadCrop(
  size: number,
  margin: number,
  scaleLimit: number,
  shiftLimit: number,
): Transform {
  const label = `jitteredHeadCrop(${size}, ×${margin}, ±${scaleLimit * 100}%, ±${
    shiftLimit * 100
  }%)`;
  return transform(label, (s, rng) => {
    const w = headWindow(s.landmarks, margin);
    const side = w.side * (1 + rng.uniform(-scaleLimit, scaleLimit));
    const cx = w.cx + rng.uniform(-shiftLimit, shiftLimit) * w.side;
    const cy = w.cy + rng.uniform(-shiftLimit, shiftLimit) * w.side;
    return intoModel(
      s,
      windowTransform(s.image.width, s.image.height, size, { cx, cy, side }),
      label,
    );
  });
}

/** CLAHE as a transform (whole grey levels out). */
export function claheStep(clipLimit = 2, tiles = 8): Transform {
  return transform(`clahe(${clipLimit}, ${tiles}×${tiles})`, (s) => ({
    ...s,
    image: clahe(s.image, { clipLimit, tilesX: tiles, tilesY: tiles }),
  }));
}

/** The training augmentation chain alone (no CLAHE, letterbox or normalisation). */
export function augmentChain(a: AugmentConfig): Transform {
  const maxTries = a.maxTries;
  return compose([
    shiftScaleRotate({
      p: a.shiftScaleRotateP,
      shiftLimit: a.shiftLimit,
      scaleLimit: a.scaleLimit,
      rotateLimitDeg: a.rotateLimitDeg,
      maxTries,
    }),
    flipHorizontal({ p: a.flipHorizontalP }),
    flipVertical({ p: a.flipVerticalP }),
    oneOf([elastic({ maxTries }), gridDistortion({ maxTries }), opticalDistortion({ maxTries })], {
      p: a.distortionP,
    }),
    acousticShadow({ p: a.acousticShadowP }),
    depthAttenuation({ p: a.depthAttenuationP }),
    brightnessContrast({ p: a.brightnessContrastP }),
    gamma({ p: a.gammaP }),
    oneOf([gaussianBlur(), motionBlur()], { p: a.blurP }),
    coarseDropout({ p: a.coarseDropoutP }),
    oneOf([gaussianNoise(), speckle()], { p: a.noiseP }),
  ]);
}

function buildPipeline(cfg: PipelineConfig, train: boolean): Pipeline {
  const config = resolvePipelineConfig(cfg);
  const a = config.augment;
  // Random training windows are cut in `augment`, so `preprocess` (cached) stops at native CLAHE.
  const randomWindow = train && a.enabled && a.headCrop > 0 &&
    (a.windowScaleLimit > 0 || a.windowShiftLimit > 0);
  const pre = compose([
    ...(a.clahe ? [claheStep(a.claheClipLimit, a.claheTiles)] : []),
    ...(randomWindow ? [] : [
      a.headCrop > 0 ? headCrop(config.inputSize, a.headCrop) : letterbox(config.inputSize),
    ]),
  ]);
  const inputTransform = (width: number, height: number, landmarks: Landmarks) =>
    a.headCrop > 0
      ? headWindowTransform(width, height, config.inputSize, landmarks, a.headCrop)
      : letterboxTransform(width, height, config.inputSize);
  const augment = !(train && a.enabled) ? transform("identity", (s) => s) : randomWindow
    ? compose([
      jitteredHeadCrop(config.inputSize, a.headCrop, a.windowScaleLimit, a.windowShiftLimit),
      augmentChain(a),
    ])
    : augmentChain(a);
  const normaliseCfg = { mode: a.normalise, mean: a.datasetMean, std: a.datasetStd };
  // preprocess draws nothing; a fixed generator satisfies the Transform signature.
  const preprocess = (s: { image: GrayImage; landmarks: Landmarks; mask?: Mask }) =>
    pre(toAugSample(s), new Rng(0));
  const finish = (s: AugSample): ModelSample => ({
    input: normalise(s.image, config.channels, normaliseCfg),
    image: s.image,
    landmarks: s.landmarks,
    mask: s.mask,
    maps: s.maps,
    skipped: s.skipped,
  });
  return {
    config,
    inputTransform,
    preprocess,
    augment,
    finish,
    run: (s, rng) => finish(augment(preprocess(s), rng)),
  };
}

/** Training: preprocess → random augmentation → normalise. */
export function trainPipeline(cfg: PipelineConfig): Pipeline {
  return buildPipeline(cfg, true);
}

/** Validation / inference: preprocess → normalise; deterministic (the generator is not used). */
export function evalPipeline(cfg: PipelineConfig): Pipeline {
  return buildPipeline(cfg, false);
}
