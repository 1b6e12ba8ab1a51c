/**
 * Architecture summaries for notebooks: parameter counts and the output shape of each stage,
 * where a stage is a run of consecutive layers at the same spatial resolution (squeeze-excitation
 * vectors and pooled/dense tensors are folded into the surrounding run); the shape shown is that
 * of the run's last feature map.
 */
import type * as tf from "@tensorflow/tfjs";

export interface StageSummary {
  /** Last layer of the run. */
  name: string;
  /** Output shape without the batch dimension. */
  shape: number[];
  layers: number;
  params: number;
}

export interface ModelSummary {
  name: string;
  params: number;
  trainableParams: number;
  layers: number;
  stages: StageSummary[];
  outputs: { name: string; shape: number[] }[];
}

function countOf(weights: tf.LayerVariable[]): number {
  return weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
}

function isFeatureMap(shape: (number | null)[]): boolean {
  return shape.length === 4 && (shape[1] ?? 0) > 1 && (shape[2] ?? 0) > 1;
}

export function summarize(model: tf.LayersModel): ModelSummary {
  const stages: StageSummary[] = [];
  for (const layer of model.layers) {
    const shape = layer.outputShape as (number | null)[];
    const params = countOf(layer.weights);
    const last = stages[stages.length - 1];
    const sameRun = last !== undefined &&
      (!isFeatureMap(shape) || (shape[1] === last.shape[0] && shape[2] === last.shape[1]));
    if (sameRun) {
      last.layers++;
      last.params += params;
      if (isFeatureMap(shape)) {
        last.name = layer.name;
        last.shape = shape.slice(1) as number[];
      }
    } else {
      stages.push({ name: layer.name, shape: shape.slice(1) as number[], layers: 1, params });
    }
  }
  return {
    name: model.name,
    params: model.countParams(),
    trainableParams: countOf(model.trainableWeights),
    layers: model.layers.length,
    stages,
    outputs: model.outputs.map((o) => ({
      name: o.sourceLayer.name,
      shape: o.shape.slice(1) as number[],
    })),
  };
}

/** A plain-text table of `summarize`'s result. */
export function formatSummary(s: ModelSummary): string {
  const rows = s.stages.map((st) =>
    `${st.name.padEnd(32)} ${JSON.stringify(st.shape).padEnd(18)} ${
      String(st.layers).padStart(4)
    } ${st.params.toLocaleString("en-US").padStart(12)}`
  );
  return [
    `${s.name}: ${s.params.toLocaleString("en-US")} parameters (${
      s.trainableParams.toLocaleString("en-US")
    } trainable), ${s.layers} layers`,
    `${"stage (last layer)".padEnd(32)} ${"output".padEnd(18)} ${"lyrs".padStart(4)} ${
      "params".padStart(12)
    }`,
    ...rows,
    `outputs: ${s.outputs.map((o) => `${o.name} ${JSON.stringify(o.shape)}`).join(", ")}`,
  ].join("\n");
}
