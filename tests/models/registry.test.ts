import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import {
  createModel,
  describeModel,
  listModels,
  type ModelOptions,
  registerModel,
  resolveModelOptions,
} from "../../lib/models/mod.ts";

await tf.setBackend("cpu");

const ARCHITECTURES = [
  "coord-regression",
  "heatmap-unet",
  "heatmap-fcn",
  "heatmap-scn",
  "unet",
  "deeplabv3plus",
  "multitask",
];

function outputShapes(model: tf.LayersModel): number[][] {
  return model.outputs.map((o) => o.shape.slice(1) as number[]);
}

Deno.test("registry lists every architecture and its presets", () => {
  const names = listModels().map((e) => e.name);
  for (const a of ARCHITECTURES) assert.ok(names.includes(a), a);
  for (
    const p of [
      "unet-r34",
      "unet-r18-w0.5",
      "deeplabv3plus-r50",
      "efficientnet-b3",
      "heatmap-scn-p16",
    ]
  ) {
    assert.ok(names.includes(p), p);
  }
  assert.equal(new Set(names).size, names.length);
  for (const e of listModels()) assert.ok(ARCHITECTURES.includes(e.architecture), e.name);
});

// Every entry builds at its own (full or CPU) size with the declared outputs; only graphs, no forward.
for (const entry of listModels()) {
  Deno.test(`registry entry ${entry.name} builds with its declared output shapes`, () => {
    const info = describeModel(entry.name);
    const model = createModel(entry.name);
    try {
      assert.deepEqual(outputShapes(model), info.outputs.map((o) => o.shape));
      assert.deepEqual(
        model.outputs.map((o) => o.sourceLayer.name),
        info.outputs.map((o) => o.name),
      );
      assert.deepEqual(model.inputs[0].shape, [
        null,
        info.options.inputSize,
        info.options.inputSize,
        info.options.inChannels,
      ]);
      assert.equal(model.name, entry.name);
    } finally {
      model.dispose();
    }
  });
}

const S = 97; // odd, not a multiple of any stride
const SMALL: [string, Partial<ModelOptions>, number[][]][] = [
  ["coord-regression", { encoder: "efficientnet-b0-w0.25", decoderChannels: [16] }, [[8]]],
  ["heatmap-unet", { encoder: "resnet18-w0.25", outputStride: 1, decoderChannels: [16, 8] }, [[
    S,
    S,
    4,
  ]]],
  [
    "heatmap-unet",
    { encoder: "efficientnet-b0-w0.25", outputStride: 2, decoderChannels: [16, 8] },
    [[49, 49, 4]],
  ],
  ["heatmap-unet", { encoder: "resnet18-w0.25", outputStride: 4, decoderChannels: [16, 8] }, [[
    25,
    25,
    4,
  ]]],
  ["heatmap-fcn", { encoder: "plain4", outputStride: 1, decoderChannels: [8] }, [[S, S, 4]]],
  ["heatmap-fcn", { encoder: "plain4", outputStride: 4, decoderChannels: [8] }, [[25, 25, 4]]],
  ["heatmap-scn", { encoder: "plain4", outputStride: 2, decoderChannels: [8], scChannels: 8 }, [[
    49,
    49,
    4,
  ]]],
  ["heatmap-scn", { encoder: "plain4", outputStride: 1, decoderChannels: [8], scChannels: 8 }, [[
    S,
    S,
    4,
  ]]],
  ["unet", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], upsampling: "transpose" }, [[
    S,
    S,
    1,
  ]]],
  ["unet", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], upsampling: "bilinear" }, [[
    S,
    S,
    1,
  ]]],
  ["deeplabv3plus", { encoder: "resnet18-w0.25", outputStride: 16, decoderChannels: [16] }, [[
    S,
    S,
    1,
  ]]],
  ["deeplabv3plus", { encoder: "resnet50-w0.25", outputStride: 8, decoderChannels: [16] }, [[
    S,
    S,
    1,
  ]]],
  ["multitask", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], outputStride: 2 }, [[
    S,
    S,
    1,
  ], [49, 49, 4]]],
  ["multitask", { encoder: "resnet18-w0.25", decoderChannels: [16, 8], landmarkHead: "coord" }, [[
    S,
    S,
    1,
  ], [8]]],
];

for (const [name, opts, shapes] of SMALL) {
  Deno.test(`${name} ${JSON.stringify(opts)}: forward at odd size ${S} gives ${JSON.stringify(shapes)}`, () => {
    const model = createModel(name, { ...opts, inputSize: S, inChannels: 1 });
    try {
      assert.deepEqual(
        describeModel(name, { ...opts, inputSize: S }).outputs.map((o) => o.shape),
        shapes,
      );
      const out = model.predict(tf.randomUniform([2, S, S, 1], 0, 1, "float32", 1));
      const ys = Array.isArray(out) ? out : [out];
      assert.deepEqual(ys.map((y) => y.shape.slice(1)), shapes);
      for (const y of ys) assert.ok(y.dataSync().every(Number.isFinite));
      tf.dispose(ys);
    } finally {
      model.dispose();
    }
  });
}

Deno.test("options: caller overrides preset overrides architecture defaults", () => {
  const arch = resolveModelOptions("unet");
  assert.equal(arch.encoder, "resnet34");
  assert.equal(arch.inputSize, 512);
  const preset = resolveModelOptions("unet-r18-w0.5");
  assert.equal(preset.encoder, "resnet18-w0.5");
  assert.equal(preset.upsampling, "transpose"); // inherited from the architecture
  const caller = resolveModelOptions("unet-r18-w0.5", { inputSize: 160, encoder: undefined });
  assert.equal(caller.inputSize, 160);
  assert.equal(caller.encoder, "resnet18-w0.5"); // undefined does not erase
  assert.equal(caller.numLandmarks, 4);
});

Deno.test("options: an unknown key (a typo) is refused, naming it", () => {
  const opts = { decoderChanels: [64] } as Partial<ModelOptions>;
  assert.throws(
    () => resolveModelOptions("unet-r18-w0.5", opts),
    (e: unknown) =>
      e instanceof InputError && /unknown model option\(s\) decoderChanels/.test(e.message),
  );
  // Every documented key is accepted.
  resolveModelOptions("unet-r18-w0.5", { upsampling: "bilinear", outputDropout: 0, scChannels: 8 });
});

Deno.test("options: bad values are InputErrors naming the value", () => {
  const cases: [string, Partial<ModelOptions>][] = [
    ["unet", { inputSize: 16 }],
    ["unet", { inputSize: 100.5 }],
    ["unet", { inChannels: 2 as 1 }],
    ["heatmap-unet", { outputStride: 8 }],
    ["deeplabv3plus", { outputStride: 32, inputSize: 64, encoder: "resnet18-w0.25" }],
    ["coord-regression", { dropout: 1 }],
    ["coord-regression", { outputDropout: -0.1 }],
    ["unet", { encoder: "resnet19" }],
    ["heatmap-unet", { encoder: "resnet18-w0.25", encoderDepth: 1, outputStride: 4 }],
    ["heatmap-fcn", { encoder: "plain4", encoderDepth: 1, outputStride: 4 }],
    ["deeplabv3plus", { encoder: "resnet18-w0.25", encoderDepth: 1, outputStride: 8 }],
  ];
  for (const [name, opts] of cases) {
    assert.throws(
      () => createModel(name, { inputSize: 64, ...opts }),
      InputError,
      JSON.stringify(opts),
    );
  }
  assert.throws(() => createModel("no-such-model"), InputError);
});

Deno.test("coordinate head: outputDropout sets or removes the dropout before the linear output", () => {
  const dropouts = (opts: Partial<ModelOptions>) => {
    const m = createModel("coord-regression", {
      inputSize: 32,
      encoder: "resnet18-w0.25",
      decoderChannels: [8],
      dropout: 0.3,
      ...opts,
    });
    const rates = m.layers.filter((l) => l.name.includes("dropout"))
      .map((l) => [l.name, (l.getConfig() as { rate: number }).rate]);
    m.dispose();
    return rates;
  };
  assert.deepEqual(dropouts({}), [["coords_dropout1", 0.3], ["coords_dropout_out", 0.3]]);
  assert.deepEqual(dropouts({ outputDropout: 0.1 }), [
    ["coords_dropout1", 0.3],
    ["coords_dropout_out", 0.1],
  ]);
  assert.deepEqual(dropouts({ outputDropout: 0 }), [["coords_dropout1", 0.3]]);
});

Deno.test("registerModel adds presets and refuses duplicates / unknown architectures", () => {
  registerModel({
    name: "test-tiny-unet",
    architecture: "unet",
    description: "t",
    options: { inputSize: 40, encoder: "resnet18-w0.25", decoderChannels: [8] },
  });
  const m = createModel("test-tiny-unet");
  assert.deepEqual(outputShapes(m), [[40, 40, 1]]);
  m.dispose();
  assert.throws(() =>
    registerModel({ name: "test-tiny-unet", architecture: "unet", description: "", options: {} })
  );
  assert.throws(() =>
    registerModel({ name: "x-model", architecture: "nope", description: "", options: {} })
  );
});

Deno.test("seeds: same seed gives identical weights, another seed different ones", () => {
  const opts = { inputSize: 40, encoder: "efficientnet-b0-w0.25", decoderChannels: [8] };
  const [a, b, c] = [1, 1, 2].map((seed) => createModel("heatmap-unet", { ...opts, seed }));
  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  assert.deepEqual(b.getWeights().map((w) => Array.from(w.dataSync())), wa);
  const wc = c.getWeights().map((w) => Array.from(w.dataSync()));
  assert.notDeepEqual(wc, wa);
  [a, b, c].forEach((m) => m.dispose());
});

Deno.test("unet (bilinear) on ResNet-34 has segmentation_models_pytorch's Unet('resnet34', classes=1) count", () => {
  // smp: 24,436,369 parameters (encoder without fc + decoder 256-128-64-32-16 + 3×3 head); same
  // block structure with upsample-concat-conv-conv, trainable parameters only.
  const model = createModel("unet", { upsampling: "bilinear", inputSize: 64, inChannels: 3 });
  const trainable = model.trainableWeights.reduce(
    (n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 0), 1),
    0,
  );
  assert.equal(trainable, 24_436_369);
  model.dispose();
});
