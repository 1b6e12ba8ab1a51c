import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { createModel, scaledAtrousRates } from "../../lib/models/mod.ts";

await tf.setBackend("cpu");

Deno.test("ASPP rates: the paper's (6, 12, 18) at 513 px / OS16, scaled with S/513 and 16/OS", () => {
  assert.deepEqual(scaledAtrousRates(513, 16), [6, 12, 18]);
  assert.deepEqual(scaledAtrousRates(513, 8), [12, 24, 36]);
  // 256/513 = 0.499: 2.99, 5.99, 8.98
  assert.deepEqual(scaledAtrousRates(256, 16), [3, 6, 9]);
  assert.deepEqual(scaledAtrousRates(256, 8), [6, 12, 18]);
  // 64/513 = 0.125: 0.75, 1.50 (1.497), 2.25 — never below 1
  assert.deepEqual(scaledAtrousRates(64, 16), [1, 1, 2]);
});

Deno.test("deeplabv3plus uses the scaled rates in its atrous layers", () => {
  const model = createModel("deeplabv3plus", {
    encoder: "resnet18-w0.25",
    inputSize: 256,
    decoderChannels: [8],
  });
  const rates = model.layers
    .filter((l) => l.name.startsWith("decoder_aspp_atrous") && l.getClassName() === "AtrousConv2D")
    .map((l) => l.getConfig()["dilationRate"]);
  assert.deepEqual(rates, [3, 6, 9]);
  // OS16 on ResNet: conv5 is dilated by 2 instead of strided
  const conv5 = model.layers.filter((l) =>
    l.name.startsWith("conv5_") && l.getClassName() === "AtrousConv2D"
  );
  assert.ok(conv5.length > 0 && conv5.every((l) => l.getConfig()["dilationRate"] === 2));
  model.dispose();
});

Deno.test("U-Net decoder: one stage per stride halving, with skip concatenation where a feature exists", () => {
  const model = createModel("heatmap-unet", {
    encoder: "resnet18-w0.25",
    inputSize: 64,
    outputStride: 2,
    decoderChannels: [16, 8],
  });
  const names = model.layers.map((l) => l.name);
  // strides 32 → 16, 8, 4, 2: four stages, all with skips; channels 16 then 8 repeating
  assert.deepEqual(names.filter((n) => /^decoder_stage\d_concat$/.test(n)).length, 4);
  assert.ok(!names.includes("decoder_stage5_1_conv"));
  const widths = [1, 2, 3, 4].map((i) =>
    model.getLayer(`decoder_stage${i}_2_conv`).outputShape as number[]
  );
  assert.deepEqual(widths.map((s) => s[3]), [16, 8, 8, 8]);
  assert.deepEqual(widths.map((s) => s[1]), [4, 8, 16, 32]);
  model.dispose();
});

Deno.test("SCN: local heatmaps are multiplied by upsampled tanh spatial-configuration maps at stride 16", () => {
  const model = createModel("heatmap-scn", {
    encoder: "plain4",
    inputSize: 64,
    outputStride: 2,
    decoderChannels: [8],
    scChannels: 4,
  });
  assert.deepEqual((model.getLayer("spatial_downsample").outputShape as number[]).slice(1), [
    4,
    4,
    4,
  ]); // 64/16
  assert.deepEqual((model.getLayer("spatial_upsample").outputShape as number[]).slice(1), [
    32,
    32,
    4,
  ]);
  assert.equal(model.getLayer("spatial_out_tanh").getConfig()["activation"], "tanh");
  assert.equal(model.getLayer("heatmaps").getClassName(), "Multiply");
  model.dispose();
});
