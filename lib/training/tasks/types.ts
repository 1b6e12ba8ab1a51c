/**
 * The task-adapter interface: everything that differs between model families (coordinate
 * regression, heatmaps, segmentation, multi-task) sits behind it, and the one trainer in
 * lib/training/trainer.ts stays family-agnostic.
 *
 * Data flow for one batch, and who does what:
 *
 *   SampleRecord ──load──▶ Sample (original pixels)
 *                ──letterbox to S×S──▶ ModelSample (model pixels; the map back is kept in SampleMeta)
 *                ──train/eval pipeline (lib/transforms, per-sample forked Rng)──▶ ModelSample
 *                ──adapter.writeTargets──▶ rows of the target buffers          [data path, plain JS]
 *   inputs [B,S,S,C] ──model──▶ outputs (one tensor per model output)
 *                ──adapter.loss(outputs, targets)──▶ scalar                   [inside variableGrads]
 *                ──adapter.decode(outputs, metas)──▶ landmarks in ORIGINAL image pixels [validation]
 *
 * Rules for implementers:
 * - `writeTargets` runs once per sample on the CPU data path: write straight into the
 *   preallocated Float32Array rows, no tensors, no allocation per pixel.
 * - `loss` must be differentiable and create no tensors that outlive it (the trainer calls it
 *   inside tf.variableGrads / tf.tidy). Return the mean over the batch so the loss scale does not
 *   depend on the batch size. Use lib/losses.
 * - `decode` must invert the letterbox exactly through `meta.toImage`, never by rescaling with
 *   width/S: the validation MRE is measured against the ORIGINAL ground truth.
 * - Options come from `config.taskOptions`; validate them in the factory and throw InputError
 *   naming the key and value.
 * - Register the factory in lib/training/tasks/mod.ts under its TaskName, and family configs
 *   (`<task>/cpu`, …) with registerConfig from lib/training/configs.ts.
 */
import type * as tf from "@tensorflow/tfjs";
import type { GrayImage, Landmarks, Mask, Point } from "../../core/types.ts";
import type { RunConfig, TaskName } from "../config.ts";

/** One sample in model space: the letterboxed (and possibly augmented) S×S square. */
export interface ModelSample {
  id: string;
  image: GrayImage;
  /** Model-space pixels (same conventions as lib/core/types.ts: pixel centres at integers). */
  landmarks: Landmarks;
  /** S×S mask when the dataset has masks (the trainer letterboxes it with the image). */
  mask?: Mask;
}

/** What a decoder needs to report a prediction in the original image and to score it. */
export interface SampleMeta {
  id: string;
  /** Original image size in pixels. */
  width: number;
  height: number;
  /** Exact inverse of the letterbox: model-space point → original-image point. */
  toImage(p: Point): Point;
  /** Exact forward letterbox: original-image point → model-space point. */
  toModel(p: Point): Point;
  /** Ground truth in original pixels (before augmentation). */
  landmarks: Landmarks;
  pixelSizeMm?: number;
}

/** A decoded prediction for one sample, in original-image pixels. */
export interface Prediction {
  landmarks: Landmarks;
  /** Segmentation families: the predicted mask in model space (S×S), for overlays and Dice. */
  modelMask?: Mask;
  /** Heatmap families: a per-landmark confidence in [0, 1] (e.g. peak height). */
  confidence?: [number, number, number, number];
}

/**
 * Task-specific validation metrics (e.g. Dice). The trainer creates one per validation pass,
 * feeds it every batch, and logs `result()` as `val_<name>` columns.
 */
export interface TaskMetricAccumulator {
  add(outputs: tf.Tensor[], targets: tf.Tensor[], metas: SampleMeta[]): Promise<void>;
  result(): Record<string, number>;
}

export interface TaskAdapter {
  readonly task: TaskName;
  /** Per-sample target shapes, one per model output in output order (no batch dimension). */
  targetShapes(inputSize: number): number[][];
  /**
   * Write the targets of `sample` as row `index` of each buffer: `out[k]` has room for the whole
   * batch, row `index` starts at `index · prod(targetShapes(S)[k])`.
   */
  writeTargets(sample: ModelSample, index: number, out: Float32Array[]): void;
  /** Mean training loss over the batch; differentiable; outputs/targets in output order. */
  loss(outputs: tf.Tensor[], targets: tf.Tensor[]): tf.Scalar;
  /** Named loss components for validation logs (each a batch mean); optional. */
  lossTerms?(outputs: tf.Tensor[], targets: tf.Tensor[]): Record<string, tf.Scalar>;
  /** Decode raw outputs of a batch to predictions in original-image pixels. Must not dispose `outputs`. */
  decode(outputs: tf.Tensor[], metas: SampleMeta[]): Promise<Prediction[]>;
  createMetrics?(): TaskMetricAccumulator;
  /**
   * Optional: options the adapter derives from the training set before training (e.g. the target
   * mean/std of standardised coordinates). runTraining calls it once with the model-space
   * landmarks of the preprocessed (not augmented) training samples, merges the result into
   * `config.taskOptions` (so config.json holds it and a saved run decodes identically) and rebuilds
   * the adapter. Return undefined when there is nothing to fit (e.g. already fitted on resume).
   */
  fitOptions?(landmarks: readonly Landmarks[]): Record<string, unknown> | undefined;
}

/** Builds an adapter from a run config (reads `inputSize` and `taskOptions`). */
export type TaskAdapterFactory = (config: RunConfig) => TaskAdapter;
