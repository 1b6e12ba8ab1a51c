/**
 * The training data path: samples → preprocessed model space (cached) → augmented → batch tensors.
 *
 * lib/transforms' pipelines split into a deterministic `preprocess` (CLAHE at native resolution,
 * letterbox to S×S), a random `augment` and a `finish` (normalise into the model input). The
 * source caches the preprocessed S×S sample, so every image is decoded, equalised and resampled
 * once per run and augmentation runs on S² pixels instead of 800×540: at S = 256 that is 256 KiB
 * per image (about 200 MiB for HC18) instead of 1.7 MiB for the decoded original. A head-crop
 * second stage with random training windows (`augment.windowScaleLimit`) caches the equalised
 * original instead, since its crop is drawn anew every time. Predictions are
 * decoded through the sample's recorded point maps (letterbox, plus any eval-time geometric
 * transform), so metrics are in original pixels all the same.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng.ts";
import type { Sample } from "../core/types.ts";
import { mapToSource, mapToTarget } from "../transforms/geometric.ts";
import type { Pipeline } from "../transforms/pipeline.ts";
import type { AugSample } from "../transforms/types.ts";
import type { SampleMeta, TaskAdapter } from "./tasks/types.ts";

/** A preprocessed sample (model space, with its maps from the original image) and its ground truth. */
export interface LoadedSample {
  pre: AugSample;
  meta: SampleMeta;
}

/** Indexed access to a split's samples, preprocessed. */
export interface SampleSource {
  readonly size: number;
  readonly ids: readonly string[];
  get(index: number): Promise<LoadedSample>;
}

/** The metadata of a sample whose model-space frame is reached from the original through `maps`. */
export function sampleMeta(s: Sample, maps: AugSample["maps"]): SampleMeta {
  return withMaps({
    id: s.id,
    width: s.image.width,
    height: s.image.height,
    landmarks: s.landmarks,
    pixelSizeMm: s.pixelSizeMm,
  }, maps);
}

function withMaps(
  meta: Omit<SampleMeta, "toImage" | "toModel">,
  maps: AugSample["maps"],
): SampleMeta {
  return {
    ...meta,
    toImage: (p) => mapToSource(maps, [p])[0],
    toModel: (p) => mapToTarget(maps, [p])[0],
  };
}

/**
 * A source that loads sample `i` with `load(i)` (e.g. from disk) and preprocesses it; with
 * `cache` the result is kept (concurrent requests share one load, a failed load is retried).
 */
export function createSource(
  ids: readonly string[],
  load: (index: number) => Promise<Sample> | Sample,
  pipeline: Pipeline,
  cache = true,
): SampleSource {
  const memo = new Map<number, Promise<LoadedSample>>();
  return {
    size: ids.length,
    ids,
    get(index: number): Promise<LoadedSample> {
      if (!(index >= 0 && index < ids.length)) {
        throw new RangeError(`sample index ${index} of ${ids.length}`);
      }
      const hit = memo.get(index);
      if (hit) return hit;
      const p = Promise.resolve(load(index)).then((s) => {
        const pre = pipeline.preprocess(s);
        return { pre, meta: sampleMeta(s, pre.maps) };
      });
      if (cache) {
        memo.set(index, p);
        p.catch(() => memo.delete(index));
      }
      return p;
    },
  };
}

/** A source over samples already in memory (phantoms, tests). */
export function memorySource(samples: readonly Sample[], pipeline: Pipeline): SampleSource {
  return createSource(samples.map((s) => s.id), (i) => samples[i], pipeline, true);
}

/** One batch: the model input, the adapter's targets, and the metadata to decode predictions. */
export interface Batch {
  /** [B, S, S, C], normalised by the pipeline's `finish`. */
  inputs: tf.Tensor4D;
  targets: tf.Tensor[];
  metas: SampleMeta[];
  /** Source indices, in batch order. */
  indices: number[];
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.inputs, ...b.targets]);
}

/**
 * Build a batch from source indices. With `rngs` (one per sample) the pipeline's random
 * `augment` runs; without, samples go straight to `finish` (validation). All pixel work is plain
 * typed-array code; the only tensors created are the inputs and targets (disposeBatch frees them).
 */
export async function buildBatch(
  source: SampleSource,
  indices: readonly number[],
  pipeline: Pipeline,
  task: TaskAdapter,
  rngs?: readonly Rng[],
): Promise<Batch> {
  if (rngs && rngs.length !== indices.length) throw new Error("buildBatch: one Rng per sample");
  const { inputSize: S, channels: C } = pipeline.config;
  const loaded = await Promise.all(indices.map((i) => source.get(i)));
  const B = indices.length;
  const stride = S * S * C;
  const inputs = new Float32Array(B * stride);
  const targetShapes = task.targetShapes(S);
  const targets = targetShapes.map((shape) =>
    new Float32Array(B * shape.reduce((a, b) => a * b, 1))
  );
  const metas = loaded.map(({ pre, meta }, b) => {
    const out = pipeline.finish(rngs ? pipeline.augment(pre, rngs[b]) : pre);
    if (out.input.width !== S || out.input.height !== S || out.input.channels !== C) {
      throw new Error(
        `sample ${meta.id}: pipeline produced ${out.input.width}×${out.input.height}×${out.input.channels}, ` +
          `expected ${S}×${S}×${C}`,
      );
    }
    inputs.set(out.input.data, b * stride);
    task.writeTargets(
      { id: meta.id, image: out.image, landmarks: out.landmarks, mask: out.mask },
      b,
      targets,
    );
    // An eval-time geometric transform adds maps beyond the letterbox; decode through them too.
    return out.maps.length === pre.maps.length ? meta : withMaps(meta, out.maps);
  });
  return {
    inputs: tf.tensor4d(inputs, [B, S, S, C]),
    targets: targets.map((t, k) => tf.tensor(t, [B, ...targetShapes[k]])),
    metas,
    indices: [...indices],
  };
}
