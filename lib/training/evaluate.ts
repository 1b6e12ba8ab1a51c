/**
 * Validation pass: loss, decoded predictions in original pixels, landmark metrics, and the
 * adapter's own metrics. Used by the trainer every epoch and by the CLI for the final report.
 */
import * as tf from "@tensorflow/tfjs";
import { LandmarkMetricAccumulator } from "../metrics/landmarks.ts";
import { spreadRatios } from "../metrics/spread.ts";
import type { Pipeline } from "../transforms/pipeline.ts";
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
  /** Its `finish` (normalisation) is applied; no augmentation. */
  pipeline: Pipeline;
  batchSize: number;
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
    const n = Math.min(opts.batchSize, source.size - start);
    const indices = Array.from({ length: n }, (_, k) => start + k);
    const batch = await buildBatch(source, indices, opts.pipeline, task);
    const outputs = outputsAsArray(model.predict(batch.inputs) as tf.Tensor | tf.Tensor[]);
    try {
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
  const count = Math.max(1, source.size);
  const terms = Object.fromEntries(Object.entries(termSums).map(([k, v]) => [k, v / count]));
  return {
    loss: lossSum / count,
    terms,
    predictions,
    metas,
    metrics: { ...landmarkMetrics(predictions, metas), ...(acc?.result() ?? {}) },
  };
}

/**
 * The landmark numbers logged every epoch (lib/metrics): MRE in original pixels, MRE in mm over
 * cases with a pixel size, the pair-order-free MRE (ends of an axis may be swapped), and the
 * prediction-spread ratio per axis (near 0 = collapsed to the mean shape, near 1 = healthy).
 */
export function landmarkMetrics(preds: Prediction[], metas: SampleMeta[]): Record<string, number> {
  if (preds.length === 0) return {};
  const acc = new LandmarkMetricAccumulator();
  preds.forEach((p, i) =>
    acc.add(metas[i].id, p.landmarks, metas[i].landmarks, metas[i].pixelSizeMm)
  );
  const r = acc.result();
  const spread = spreadRatios(preds.map((p) => p.landmarks), metas.map((m) => m.landmarks));
  return {
    mre_px: r.px.radial.mean,
    mre_mm: r.mm?.radial.mean ?? NaN,
    mre_orderfree_px: r.orderFreePx.radial.mean,
    spread_x: spread.meanX,
    spread_y: spread.meanY,
  };
}
