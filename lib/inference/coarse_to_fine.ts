/**
 * Coarse-to-fine prediction (issue #7's "multi-stage" option): a whole-image model finds the head,
 * then a head-crop model (`<family>-fine/cpu`, `augment.headCrop`) looks again at a square window
 * of `headCrop` × the head's longer axis (1.35 for heatmaps, 1.5 for the segmentation nets) around
 * that first answer, at the same input size. A head that spans 300 of 800 pixels then fills most of
 * the second model's input instead of a letterboxed strip of it.
 *
 *   image → coarse Predictor (letterbox, one pass) → landmarks → fine Predictor with them as
 *   `InputImage.prior` (window, optional TTA) → landmarks, ellipse, measures in original pixels
 *
 * Both stages decode through their own exact inverse maps, so the result is in original pixels like
 * any Predictor's. The first stage runs without TTA: its job is the window, which a few pixels of
 * error do not change. A first-stage failure sends the second stage to the wrong place; the
 * fine model cannot recover a head outside its window. No head at all from the first stage
 * leaves nothing to refine (see `predict`).
 */
import type { Landmarks } from "../core/types.ts";
import type { ImagePrediction, InputImage, PredictOptions, Predictor } from "./predictor.ts";
import { InputError } from "../core/errors.ts";
import { spansHead } from "../transforms/pipeline.ts";

/** What scoring needs from a predictor: one model or a chain of two. */
export interface ImagePredictor {
  readonly batchSize: number;
  predict(images: readonly InputImage[], opts?: PredictOptions): Promise<ImagePrediction[]>;
  countParams(): number;
  dispose(): void;
}

/**
 * A head-crop model's predictions in windows around `priors` (one per image, e.g. a first stage's
 * landmarks); undefined where the priors span no head (an empty mask's landmarks collapse onto the
 * image centre), which leaves no window to look at.
 */
export async function refineAround(
  fine: ImagePredictor,
  images: readonly InputImage[],
  priors: readonly Landmarks[],
  opts: PredictOptions = {},
): Promise<(ImagePrediction | undefined)[]> {
  const found = images.flatMap((_, i) => (spansHead(priors[i]) ? [i] : []));
  const second = await fine.predict(found.map((i) => ({ ...images[i], prior: priors[i] })), opts);
  const out: (ImagePrediction | undefined)[] = images.map(() => undefined);
  found.forEach((i, k) => (out[i] = second[k]));
  return out;
}

export class CoarseToFine implements ImagePredictor {
  constructor(readonly coarse: Predictor, readonly fine: Predictor) {
    if (coarse.needsPrior) {
      throw new InputError(
        `coarse-to-fine: the first stage (${coarse.dir}) is itself a head-crop model`,
      );
    }
    if (!fine.needsPrior) {
      throw new InputError(
        `coarse-to-fine: the second stage (${fine.dir}) is not a head-crop model ` +
          "(train it with a <family>-fine config)",
      );
    }
  }

  get batchSize(): number {
    return this.fine.batchSize;
  }

  countParams(): number {
    return this.coarse.countParams() + this.fine.countParams();
  }

  /**
   * The second stage's predictions; `opts` (TTA) applies to it alone. Where the first stage found
   * no head (e.g. an empty mask, whose landmarks collapse onto the image centre) there is no
   * window to look at: that image keeps the first stage's prediction, with an issue saying so.
   */
  async predict(
    images: readonly InputImage[],
    opts: PredictOptions = {},
  ): Promise<ImagePrediction[]> {
    const first = await this.coarse.predict(images);
    const second = await refineAround(this.fine, images, first.map((p) => p.landmarks), opts);
    return first.map((p, i): ImagePrediction =>
      second[i] ?? {
        ...p,
        issues: [
          ...(p.issues ?? []),
          "coarse-to-fine: no head from the first stage, kept its answer",
        ],
      }
    );
  }

  dispose(): void {
    this.coarse.dispose();
    this.fine.dispose();
  }
}
