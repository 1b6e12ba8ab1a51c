import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import {
  createEncoder,
  createModel,
  formatSummary,
  loadEncoderWeights,
  type ModelOptions,
  summarize,
} from "../../lib/models/mod.ts";

await tf.setBackend("cpu");

async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  return saved!;
}

/** The standard tfjs layers-model folder: model.json + one weight shard. */
async function saveToDir(model: tf.LayersModel, dir: string): Promise<void> {
  const a = await saveToMemory(model);
  await Deno.writeTextFile(
    join(dir, "model.json"),
    JSON.stringify({
      modelTopology: a.modelTopology,
      format: "layers-model",
      weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: a.weightSpecs }],
    }),
  );
  await Deno.writeFile(
    join(dir, "group1-shard1of1.bin"),
    new Uint8Array(a.weightData as ArrayBuffer),
  );
}

// Each case exercises a custom layer: DropConnect + SeededDropout (EfficientNet regressor), ResizeTo (odd sizes, ASPP
// pooling), AtrousConv2D (dilated ResNet + ASPP), Cropping2D/Conv2DTranspose, multi-output.
const ROUND_TRIP: [string, Partial<ModelOptions>][] = [
  ["coord-regression", {
    encoder: "efficientnet-b0-w0.25",
    decoderChannels: [16],
    dropConnect: 0.3,
  }],
  ["deeplabv3plus", { encoder: "resnet18-w0.25", outputStride: 8, decoderChannels: [16] }],
  ["unet", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], upsampling: "transpose" }],
  ["heatmap-scn", { encoder: "plain4", outputStride: 2, decoderChannels: [8], scChannels: 8 }],
  // LandmarkSigma: a second output holding learnable σ
  ["heatmap-fcn", { encoder: "plain4", outputStride: 2, decoderChannels: [8], learnSigma: 1.5 }],
  ["multitask", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], outputStride: 2 }],
  // a preset: its name contains "." and "-"
  ["heatmap-unet-r18-w0.25", {}],
];

for (const [name, opts] of ROUND_TRIP) {
  Deno.test(`${name}: save → load round trip gives identical predictions`, async () => {
    const model = createModel(name, { ...opts, inputSize: 45, inChannels: 1, seed: 3 });
    const x = tf.randomUniform([2, 45, 45, 1], 0, 1, "float32", 9);
    // one training-mode pass moves the BN statistics away from their initial values
    tf.tidy(() => {
      model.apply(x, { training: true });
    });
    const artifacts = await saveToMemory(model);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    const before = [model.predict(x)].flat() as tf.Tensor[];
    const after = [loaded.predict(x)].flat() as tf.Tensor[];
    assert.equal(after.length, before.length);
    before.forEach((b, i) =>
      assert.deepEqual(Array.from(after[i].dataSync()), Array.from(b.dataSync()))
    );
    assert.deepEqual(loaded.outputs.map((o) => o.shape), model.outputs.map((o) => o.shape));
    tf.dispose([x, ...before, ...after]);
    model.dispose();
    loaded.dispose();
  });
}

Deno.test("learnSigma: σ per landmark is a trainable weight, output as [B, 4], saved and loaded", async () => {
  const model = createModel("heatmap-unet-r18-w0.25", { inputSize: 32, learnSigma: 2, seed: 1 });
  // The preset's heatmaps are at stride 2.
  assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 16, 16, 4], [null, 4]]);
  const x = tf.zeros([3, 32, 32, 1]);
  const [, sigma] = model.predict(x) as tf.Tensor[];
  sigma.dataSync().forEach((v) => assert.ok(Math.abs(v - 2) < 1e-6, `initial σ ${v}`));
  const weight = model.trainableWeights.find((w) => w.name.startsWith("sigma/log_sigma"));
  assert.ok(weight, model.trainableWeights.map((w) => w.name).join());
  // A changed weight (as training leaves it) survives the round trip, not the initial value.
  const layer = model.getLayer("sigma");
  layer.setWeights([tf.tensor1d([1, 2, 3, 4].map(Math.log))]);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)));
  const [, again] = loaded.predict(x) as tf.Tensor[];
  const got = Array.from(again.dataSync()).slice(0, 4);
  got.forEach((v, k) => assert.ok(Math.abs(v - (k + 1)) < 1e-5, `σ${k} ${v}`));
  assert.throws(
    () => createModel("heatmap-unet-r18-w0.25", { inputSize: 32, learnSigma: 0 }),
    (e: Error) => e instanceof InputError && /learnSigma must be a positive/.test(e.message),
  );
  // A model without heatmaps (or with a multitask heatmap head) would ignore it: refused.
  for (const name of ["unet-r18-w0.5", "multitask"]) {
    assert.throws(
      () => createModel(name, { inputSize: 32, learnSigma: 2 }),
      (e: Error) => e instanceof InputError && /learnSigma applies to the heatmap/.test(e.message),
    );
  }
  tf.dispose([x, sigma, again]);
  model.dispose();
  loaded.dispose();
});

Deno.test("loadEncoderWeights: a saved encoder's weights land in a U-Net's encoder, decoder untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const encoder = createEncoder("resnet18-w0.25", { inputSize: 33, inChannels: 1, seed: 11 });
    await saveToDir(encoder.model, dir);
    const unet = createModel("unet", {
      encoder: "resnet18-w0.25",
      inputSize: 33,
      decoderChannels: [8],
      seed: 12,
    });
    const decoderBefore = unet.getLayer("decoder_stage1_1_conv").getWeights()[0].arraySync();
    const report = await loadEncoderWeights(unet, dir);
    const encoderWeights = encoder.model.weights.length;
    assert.equal(report.loaded.length, encoderWeights);
    assert.equal(report.unused.length, 0);
    assert.ok(
      report.missing.every((k) => k.startsWith("decoder_") || k.startsWith("mask_logits")),
      report.missing.join(),
    );
    for (const layer of encoder.model.layers) {
      const target = unet.getLayer(layer.name).getWeights();
      layer.getWeights().forEach((w, i) =>
        assert.deepEqual(target[i].arraySync(), w.arraySync(), layer.name)
      );
    }
    assert.deepEqual(
      unet.getLayer("decoder_stage1_1_conv").getWeights()[0].arraySync(),
      decoderBefore,
    );
    // also accepts the model.json path itself
    assert.equal(
      (await loadEncoderWeights(unet, join(dir, "model.json"))).loaded.length,
      encoderWeights,
    );
    encoder.model.dispose();
    unet.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadEncoderWeights: a Keras-style conv bias is folded into the BN moving mean exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A Keras ResNet stem: conv with bias, then BN, named like keras.applications.
    const input = tf.input({ shape: [9, 9, 1] });
    const conv = tf.layers.conv2d({
      name: "conv1_conv",
      filters: 64 / 8,
      kernelSize: 7,
      strides: 2,
      padding: "same",
      useBias: true,
      biasInitializer: tf.initializers.randomNormal({ seed: 1 }),
    });
    const bn = tf.layers.batchNormalization({
      name: "conv1_bn",
      epsilon: 1e-5,
      movingMeanInitializer: tf.initializers.randomNormal({ seed: 2 }),
      movingVarianceInitializer: "ones",
    });
    const keras = tf.model({
      inputs: input,
      outputs: bn.apply(conv.apply(input)) as tf.SymbolicTensor,
    });
    await saveToDir(keras, dir);
    const encoder = createEncoder("resnet18-w0.125", { inputSize: 9, inChannels: 1, depth: 1 });
    assert.equal(encoder.features[0].channels, 8);
    const report = await loadEncoderWeights(encoder.model, dir);
    assert.deepEqual(report.folded, ["conv1_conv/bias"]);
    assert.deepEqual(report.unused, []);
    const x = tf.randomUniform([1, 9, 9, 1], -1, 1, "float32", 5);
    const bnOut = tf.model({
      inputs: encoder.model.inputs,
      outputs: encoder.model.getLayer("conv1_bn").output as tf.SymbolicTensor,
    });
    const expected = (keras.predict(x) as tf.Tensor).dataSync();
    const actual = (bnOut.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Math.abs(actual[i] - expected[i]) < 1e-4, `${i}`);
    }
    keras.dispose();
    encoder.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadEncoderWeights: shape mismatch and unreadable paths are InputErrors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const small = createEncoder("resnet18-w0.25", { inputSize: 33, inChannels: 1 });
    await saveToDir(small.model, dir);
    const wide = createEncoder("resnet18-w0.5", { inputSize: 33, inChannels: 1 });
    await assert.rejects(() => loadEncoderWeights(wide.model, dir), InputError);
    await assert.rejects(() => loadEncoderWeights(wide.model, join(dir, "missing")), InputError);
    small.model.dispose();
    wide.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("summarize: parameter totals and per-resolution stages of a small U-Net", () => {
  const model = createModel("unet", {
    encoder: "resnet18-w0.25",
    inputSize: 64,
    decoderChannels: [16, 8],
  });
  const s = summarize(model);
  assert.equal(s.params, model.countParams());
  assert.equal(s.stages.reduce((n, st) => n + st.params, 0), s.params);
  assert.equal(s.layers, model.layers.length);
  // input, encoder strides 2…32, decoder back up 16…1 (the logits join the stride-1 stage)
  assert.deepEqual(s.stages.map((st) => st.shape[0]), [64, 32, 16, 8, 4, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(s.stages.map((st) => st.name).slice(1, 6), [
    "conv1_relu",
    "conv2_block2_out",
    "conv3_block2_out",
    "conv4_block2_out",
    "conv5_block2_out",
  ]);
  assert.deepEqual(s.outputs, [{ name: "mask_logits", shape: [64, 64, 1] }]);
  assert.match(formatSummary(s), /conv5_block2_out\s+\[2,2,128\]/);
  model.dispose();
});
