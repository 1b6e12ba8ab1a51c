/**
 * Validation pass: loss, decoded predictions in original pixels, landmark metrics, and the
 * adapter's own metrics. Used by the trainer every epoch and by the CLI for the final report.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/rng.ts";
import type { Point } from "../core/types.ts";
import type { Transform } from "../transforms/types.ts";
import { buildBatch, disposeBatch, type SampleSource } from "./data.ts";
import type { Prediction, SampleMeta, TaskAdapter } from "./tasks/types.ts";

export interface Evaluation {
  /** Mean loss over samples. */
  loss: number;
  /** Mean of each named loss term over samples. */
  terms: Record<string, number>;
  predictions: Prediction[];
  metas: SampleMeta[];
  /** Landmark metrics (original pixels / mm) and the adapter's metrics, flat for logging. */
  metrics: Record<string, number>;
}

export function outputsAsArray(out: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(out) ? out : [out];
}

export interface EvaluateOptions {
  task: TaskAdapter;
  inputSize: number;
  channels: 1 | 3;
  batchSize: number;
  /** Deterministic eval transform (e.g. CLAHE); it gets a fixed Rng per sample. */
  transform?: Transform;
}

export async function evaluate(
  model: tf.LayersModel,
  source: SampleSource,
  opts: EvaluateOptions,
): Promise<Evaluation> {
  const { task } = opts;
  const acc = task.createMetrics?.();
  const predictions: Prediction[] = [];
  const metas: SampleMeta[] = [];
  const termSums: Record<string, number> = {};
  let lossSum = 0;
  for (let start = 0; start < source.size; start += opts.batchSize) {
    const indices = Array.from(
      { length: Math.min(opts.batchSize, source.size - start) },
      (_, k) => start + k,
    );
    // A fixed generator per sample keeps a (normally deterministic) eval transform reproducible.
    const rngs = opts.transform ? indices.map((i) => new Rng(i)) : undefined;
    const batch = await buildBatch(source, indices, opts, rngs);
    const outputs = outputsAsArray(model.predict(batch.inputs) as tf.Tensor | tf.Tensor[]);
    try {
      const n = indices.length;
      const values = tf.tidy(() => {
        const terms = task.lossTerms?.(outputs, batch.targets) ?? {};
        const names = Object.keys(terms);
        const total = task.loss(outputs, batch.targets);
        return { names, packed: tf.stack([total, ...names.map((k) => terms[k])]).dataSync() };
      });
      lossSum += values.packed[0] * n;
      values.names.forEach((k, i) => (termSums[k] = (termSums[k] ?? 0) + values.packed[i + 1] * n));
      predictions.push(...await task.decode(outputs, batch.metas));
      metas.push(...batch.metas);
      await acc?.add(outputs, batch.targets, batch.metas);
    } finally {
      tf.dispose(outputs);
      disposeBatch(batch);
    }
  }
  const n = Math.max(1, source.size);
  const terms = Object.fromEntries(Object.entries(termSums).map(([k, v]) => [k, v / n]));
  return {
    loss: lossSum / n,
    terms,
    predictions,
    metas,
    metrics: { ...landmarkMetrics(predictions, metas), ...(acc?.result() ?? {}) },
  };
}

function std(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
}

/**
 * MRE in original pixels and mm, and the prediction-spread ratio per axis: for each landmark, the
 * standard deviation of the predicted coordinate across cases over that of the true coordinate,
 * averaged over the 4 landmarks. A regressor that collapses to the mean scores near 0; a good one
 * near 1.
 */
export function landmarkMetrics(preds: Prediction[], metas: SampleMeta[]): Record<string, number> {
  if (preds.length === 0) return {};
  let px = 0, mm = 0, mmCount = 0;
  preds.forEach((p, i) => {
    const meta = metas[i];
    for (let k = 0; k < 4; k++) {
      const d = dist(p.landmarks[k], meta.landmarks[k]);
      px += d;
      if (meta.pixelSizeMm !== undefined) {
        mm += d * meta.pixelSizeMm;
        mmCount++;
      }
    }
  });
  const spread = (axis: "x" | "y") => {
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const truth = std(metas.map((m) => m.landmarks[k][axis]));
      sum += truth > 0 ? std(preds.map((p) => p.landmarks[k][axis])) / truth : NaN;
    }
    return sum / 4;
  };
  return {
    mre_px: px / (4 * preds.length),
    mre_mm: mmCount > 0 ? mm / mmCount : NaN,
    spread_x: spread("x"),
    spread_y: spread("y"),
  };
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
