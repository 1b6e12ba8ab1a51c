/** Small shared fixtures for the training tests: phantom samples and a tiny seeded coord model. */
import * as tf from "@tensorflow/tfjs";
import type { Sample } from "../../lib/core/types.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { DropConnect } from "../../lib/models/layers.ts";
import { getConfig } from "../../lib/training/configs.ts";
import { mergeConfig, type RunConfig } from "../../lib/training/config.ts";
import { memorySource } from "../../lib/training/data.ts";
import { createTask } from "../../lib/training/tasks/coord.ts";
import type { TrainOptions } from "../../lib/training/trainer.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";

export function phantomSamples(n: number, seed0: number, width = 48, height = 36): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const p = generatePhantom(seed0 + i, { width, height });
    return {
      id: `ph${seed0 + i}`,
      image: p.image,
      landmarks: p.landmarks,
      mask: p.mask,
      pixelSizeMm: p.pixelSizeMm,
      group: String(i),
    };
  });
}

/**
 * Conv → BatchNorm → ReLU → residual branch with drop-connect (lib/models' DropConnect, which keeps
 * its own Rng) → conv → pool → unseeded dropout → dense(8). BatchNorm statistics, drop-connect
 * draws and dropout noise (drawn through Math.random) are exactly what exact resume must carry.
 */
export function tinyCoordModel(size: number, seed = 1, batchNorm = true): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(x) as tf.SymbolicTensor;
  const input = tf.input({ shape: [size, size, 1] });
  let x = apply(
    tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      kernelInitializer: init(1),
    }),
    input,
  );
  if (batchNorm) x = apply(tf.layers.batchNormalization(), x);
  x = apply(tf.layers.reLU(), x);
  const branch = apply(
    tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", kernelInitializer: init(2) }),
    x,
  );
  x = apply(tf.layers.add(), [
    x,
    apply(new DropConnect({ rate: batchNorm ? 0.3 : 0, seed: 9 }), branch),
  ]);
  x = apply(
    tf.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(3),
    }),
    x,
  );
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  x = apply(tf.layers.dropout({ rate: batchNorm ? 0.3 : 0 }), x);
  return tf.model({
    inputs: input,
    outputs: apply(tf.layers.dense({ units: 8, kernelInitializer: init(4) }), x),
  });
}

/** The quick config shrunk further; plain normalised coordinates unless `over.taskOptions` says otherwise. */
export function tinyConfig(over: Parameters<typeof mergeConfig>[1] = {}): RunConfig {
  const base = { ...getConfig("quick"), taskOptions: {} };
  return mergeConfig(base, {
    name: "test",
    inputSize: 32,
    batchSize: 4,
    epochs: 3,
    stepsPerEpoch: 3,
    optimizer: { lr: 3e-3 },
    schedule: { kind: "plateau", patience: 0, factor: 0.5 },
    ...over,
  });
}

export async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return await Promise.all(model.weights.map((w) => w.read().data() as Promise<Float32Array>));
}

/**
 * Trainer options on phantoms for `config` (10 training, 4 validation images); each call builds a
 * fresh tiny coord model, as a new process would. `extra` overrides any option.
 */
export function coordTrainOptions(
  config: RunConfig,
): (extra?: Partial<TrainOptions>) => TrainOptions {
  const train = memorySource(phantomSamples(10, 100), evalPipeline(config));
  const val = memorySource(phantomSamples(4, 900), evalPipeline(config));
  return (extra = {}) => ({
    config,
    model: tinyCoordModel(config.inputSize),
    task: createTask(config),
    train,
    val,
    ...extra,
  });
}
