/**
 * The training data path: samples → model space → (augmented) → batch tensors.
 *
 * Images are letterboxed to the model square once and cached there, and augmentation runs in
 * model space. Caching the S×S square instead of the decoded original costs 256 KiB per image at
 * S = 256 (about 200 MiB for HC18) instead of 1.7 MiB (1.4 GiB), and augmenting S² pixels instead
 * of 800×540 is several times cheaper on a 2-core CPU. Validation decodes through the exact
 * inverse letterbox (and the inverse of any geometric eval transform), so metrics are in
 * original pixels all the same.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng.ts";
import type { Sample } from "../core/types.ts";
import { letterboxImage, letterboxMask, mapLandmarks } from "../io/letterbox.ts";
import { mapToSource, mapToTarget } from "../transforms/geometric.ts";
import { toAugSample, type Transform } from "../transforms/types.ts";
import type { ModelSample, SampleMeta, TaskAdapter } from "./tasks/types.ts";

/** A sample in model space together with what maps it back to its original image. */
export interface LoadedSample {
  model: ModelSample;
  meta: SampleMeta;
}

/** Indexed access to a split's samples in model space. */
export interface SampleSource {
  readonly size: number;
  readonly ids: readonly string[];
  get(index: number): Promise<LoadedSample>;
}

/** Letterbox one original-resolution sample into the S×S model square. */
export function toModelSpace(s: Sample, size: number): LoadedSample {
  const { image, transform: lb } = letterboxImage(s.image, size);
  return {
    model: {
      id: s.id,
      image,
      landmarks: mapLandmarks(s.landmarks, lb.toModel),
      mask: s.mask ? letterboxMask(s.mask, size).mask : undefined,
    },
    meta: {
      id: s.id,
      width: s.image.width,
      height: s.image.height,
      toImage: lb.toImage,
      toModel: lb.toModel,
      landmarks: s.landmarks,
      pixelSizeMm: s.pixelSizeMm,
    },
  };
}

/**
 * A source that loads sample `i` with `load(i)` (e.g. from disk), letterboxes it and, when
 * `cache` is set, keeps the model-space result (concurrent requests share one load).
 */
export function createSource(
  ids: readonly string[],
  load: (index: number) => Promise<Sample> | Sample,
  size: number,
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
      const p = Promise.resolve(load(index)).then((s) => toModelSpace(s, size));
      if (cache) {
        memo.set(index, p);
        p.catch(() => memo.delete(index));
      }
      return p;
    },
  };
}

/** A source over samples already in memory (phantoms, tests). */
export function memorySource(samples: readonly Sample[], size: number): SampleSource {
  return createSource(samples.map((s) => s.id), (i) => samples[i], size, true);
}

/** One batch: the model input, the adapter's targets, and the metadata to decode predictions. */
export interface Batch {
  /** [B, S, S, C], pixel values scaled to [0, 1]. */
  inputs: tf.Tensor4D;
  targets: tf.Tensor[];
  metas: SampleMeta[];
  /** Source indices, in batch order. */
  indices: number[];
}

export function disposeBatch(b: Batch): void {
  tf.dispose([b.inputs, ...b.targets]);
}

/** Divides 0..255 pixel values into the model's input range [0, 1]. */
export const INPUT_SCALE = 1 / 255;

export interface BatchOptions {
  task: TaskAdapter;
  inputSize: number;
  channels: 1 | 3;
  /** Per-sample transform (lib/transforms pipeline); `rngs[k]` drives sample k. */
  transform?: Transform;
}

/**
 * Build a batch from source indices. All pixel work is plain typed-array code; the only tensors
 * created are the input and the target tensors, which the caller disposes (disposeBatch).
 */
export async function buildBatch(
  source: SampleSource,
  indices: readonly number[],
  opts: BatchOptions,
  rngs?: readonly Rng[],
): Promise<Batch> {
  const { task, inputSize: S, channels: C, transform } = opts;
  if (transform && (!rngs || rngs.length !== indices.length)) {
    throw new Error("buildBatch: a transform needs one Rng per sample");
  }
  const loaded = await Promise.all(indices.map((i) => source.get(i)));
  const B = indices.length;
  const plane = S * S;
  const inputs = new Float32Array(B * plane * C);
  const targetShapes = task.targetShapes(S);
  const targets = targetShapes.map((shape) =>
    new Float32Array(B * shape.reduce((a, b) => a * b, 1))
  );
  const metas: SampleMeta[] = [];
  loaded.forEach(({ model, meta }, b) => {
    let sample = model;
    let m = meta;
    if (transform) {
      const out = transform(toAugSample(model), rngs![b]);
      sample = { id: model.id, image: out.image, landmarks: out.landmarks, mask: out.mask };
      if (out.maps.length > 0) {
        // Only matters for validation with a geometric eval transform: decode through its inverse too.
        const maps = out.maps;
        m = {
          ...meta,
          toImage: (p) => meta.toImage(mapToSource(maps, [p])[0]),
          toModel: (p) => mapToTarget(maps, [meta.toModel(p)])[0],
        };
      }
    }
    const img = sample.image;
    if (img.width !== S || img.height !== S) {
      throw new Error(
        `sample ${model.id}: transform returned ${img.width}×${img.height}, expected ${S}×${S}`,
      );
    }
    const base = b * plane * C;
    if (C === 1) {
      for (let i = 0; i < plane; i++) inputs[base + i] = img.data[i] * INPUT_SCALE;
    } else {
      for (let i = 0, o = base; i < plane; i++, o += C) {
        const v = img.data[i] * INPUT_SCALE;
        for (let c = 0; c < C; c++) inputs[o + c] = v;
      }
    }
    task.writeTargets(sample, b, targets);
    metas.push(m);
  });
  return {
    inputs: tf.tensor4d(inputs, [B, S, S, C]),
    targets: targets.map((t, k) => tf.tensor(t, [B, ...targetShapes[k]])),
    metas,
    indices: [...indices],
  };
}
