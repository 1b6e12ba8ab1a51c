import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createModel, type ModelOptions } from "../../lib/models/mod.ts";

await tf.setBackend("cpu");

// Tiny instances of every architecture; odd input so the resize/crop paths are on the tape too.
// Drop-connect is off: a branch dropped for the whole batch rightly gets no gradient.
const TINY: [string, Partial<ModelOptions>][] = [
  ["coord-regression", {
    encoder: "efficientnet-b0-w0.25",
    decoderChannels: [8],
    dropConnect: 0,
  }],
  ["heatmap-unet", { encoder: "resnet18-w0.25", outputStride: 2, decoderChannels: [8] }],
  ["heatmap-fcn", { encoder: "plain4", encoderDepth: 3, outputStride: 1, decoderChannels: [8] }],
  ["heatmap-scn", {
    encoder: "plain4",
    encoderDepth: 3,
    outputStride: 1,
    decoderChannels: [8],
    scChannels: 4,
  }],
  ["unet", { encoder: "resnet18-w0.25", decoderChannels: [8], upsampling: "transpose" }],
  ["deeplabv3plus", { encoder: "resnet18-w0.25", outputStride: 8, decoderChannels: [8] }],
  ["multitask", { encoder: "resnet18-w0.25", decoderChannels: [8], landmarkHead: "coord" }],
];

for (const [name, opts] of TINY) {
  Deno.test(`${name}: a gradient reaches every trainable weight in training mode`, () => {
    const model = createModel(name, { ...opts, inputSize: 33, inChannels: 1, dropout: 0, seed: 5 });
    const x = tf.randomUniform([2, 33, 33, 1], 0, 1, "float32", 2);
    const outputs = model.outputs.length;
    const targets = model.outputs.map((o, i) =>
      tf.randomNormal([2, ...(o.shape.slice(1) as number[])], 0, 1, "float32", 10 + i)
    );
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const ys = [model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]].flat();
      assert.equal(ys.length, outputs);
      return tf.addN(ys.map((y, i) => tf.losses.meanSquaredError(targets[i], y))) as tf.Scalar;
    }, variables);
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const v of variables) {
      const g = grads[v.name];
      assert.ok(g, `no gradient for ${v.name}`);
      const data = g.dataSync();
      assert.ok(data.every(Number.isFinite), `non-finite gradient for ${v.name}`);
      assert.ok(data.some((d) => d !== 0), `all-zero gradient for ${v.name}`);
    }
    // the same pass updated the BatchNorm running statistics (initially 0 mean, 1 variance)
    const bn = model.layers.find((l) => l.getClassName() === "BatchNormalization")!;
    const [, , movingMean] = bn.getWeights();
    assert.ok(movingMean.dataSync().some((m) => m !== 0), `${bn.name} moving mean not updated`);
    tf.dispose([x, value, ...targets, ...Object.values(grads)]);
    model.dispose();
  });
}

Deno.test("one optimiser step on a tiny U-Net lowers its loss on the same batch", () => {
  const model = createModel("unet", {
    encoder: "resnet18-w0.25",
    inputSize: 33,
    decoderChannels: [8],
    upsampling: "bilinear",
    seed: 1,
  });
  const x = tf.randomUniform([2, 33, 33, 1], 0, 1, "float32", 3);
  const target = tf.randomUniform([2, 33, 33, 1], 0, 1, "float32", 4).round();
  const loss = () =>
    tf.losses.sigmoidCrossEntropy(
      target,
      model.apply(x, { training: true }) as tf.Tensor,
    ) as tf.Scalar;
  const optimizer = tf.train.adam(1e-2);
  const first = optimizer.minimize(loss, true)!.dataSync()[0];
  const second = tf.tidy(() => loss().dataSync()[0]);
  assert.ok(second < first, `${second} ≥ ${first}`);
  tf.dispose([x, target]);
  model.dispose();
});
