/**
 * Normalisation of a grey image (0..255) into a model input `[H, W, C]` (row-major, channels
 * last, float32), C = 1 or 3 (grey replicated, for encoders pretrained on RGB).
 *
 * Modes:
 * - `imagenet`: (v/255 − mean_c) / std_c with ImageNet's RGB statistics; with one channel, the
 *   means of those (mean 0.449, std 0.226), the usual choice for grey input to such encoders.
 * - `perImage`: (v − mean) / std of this image (std floored at 1 grey level).
 * - `dataset`: (v − mean) / std with fixed statistics in grey levels, e.g. from `datasetStats`.
 * - `unit`: v / 255.
 */
import type { GrayImage } from "../core/types.ts";
import { InputError } from "../core/errors.ts";

export type NormaliseMode = "imagenet" | "perImage" | "dataset" | "unit";
export const NORMALISE_MODES: readonly NormaliseMode[] = [
  "imagenet",
  "perImage",
  "dataset",
  "unit",
];

export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

export interface NormaliseConfig {
  mode: NormaliseMode;
  /** Grey-level statistics for `dataset` mode. */
  mean?: number;
  std?: number;
}

/** A model input: `data[(y * width + x) * channels + c]`. */
export interface ModelImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

/** Per-channel (offset, factor) so that out = v·factor + offset. */
function channelAffines(
  image: GrayImage,
  channels: 1 | 3,
  cfg: NormaliseConfig,
): [number, number][] {
  switch (cfg.mode) {
    case "imagenet": {
      if (channels === 3) {
        return IMAGENET_MEAN.map((m, c) => [-m / IMAGENET_STD[c], 1 / (255 * IMAGENET_STD[c])]);
      }
      const m = IMAGENET_MEAN.reduce((a, b) => a + b) / 3;
      const s = IMAGENET_STD.reduce((a, b) => a + b) / 3;
      return [[-m / s, 1 / (255 * s)]];
    }
    case "unit":
      return Array.from({ length: channels }, () => [0, 1 / 255]);
    case "perImage": {
      const { mean, std } = imageStats(image);
      const s = Math.max(std, 1);
      return Array.from({ length: channels }, () => [-mean / s, 1 / s]);
    }
    case "dataset": {
      const { mean, std } = cfg;
      if (!(Number.isFinite(mean) && std !== undefined && std > 0)) {
        throw new InputError(
          "normalise: dataset mode needs a finite mean and std > 0",
          undefined,
          undefined,
          {
            mean,
            std,
          },
        );
      }
      return Array.from({ length: channels }, () => [-mean! / std, 1 / std]);
    }
    default:
      throw new InputError(
        `normalise: unknown mode (one of ${NORMALISE_MODES.join(", ")})`,
        undefined,
        undefined,
        cfg.mode,
      );
  }
}

export function normalise(image: GrayImage, channels: 1 | 3, cfg: NormaliseConfig): ModelImage {
  const affine = channelAffines(image, channels, cfg);
  const n = image.width * image.height;
  const out = new Float32Array(n * channels);
  const src = image.data;
  if (channels === 1) {
    const [o, f] = affine[0];
    for (let i = 0; i < n; i++) out[i] = src[i] * f + o;
  } else {
    const [[o0, f0], [o1, f1], [o2, f2]] = affine;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const v = src[i];
      out[j] = v * f0 + o0;
      out[j + 1] = v * f1 + o1;
      out[j + 2] = v * f2 + o2;
    }
  }
  return { width: image.width, height: image.height, channels, data: out };
}

/** Mean and (population) standard deviation of one image, grey levels. */
export function imageStats(image: GrayImage): { mean: number; std: number } {
  return datasetStats([image]);
}

/** Pooled mean and standard deviation over all pixels of all images, grey levels. */
export function datasetStats(images: Iterable<GrayImage>): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const img of images) {
    for (let i = 0; i < img.data.length; i++) {
      const v = img.data[i];
      sum += v;
      sumSq += v * v;
    }
    n += img.data.length;
  }
  if (n === 0) throw new InputError("datasetStats: no pixels");
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) };
}
