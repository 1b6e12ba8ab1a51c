import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { InputError } from "../../lib/core/errors.ts";
import { createEncoder, listEncoders, parseEncoderName } from "../../lib/models/mod.ts";
import { roundFilters } from "../../lib/models/encoders/efficientnet.ts";

await tf.setBackend("cpu");

function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce(
    (n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 0), 1),
    0,
  );
}

function withEncoder<T>(
  name: string,
  opts: { inputSize?: number; outputStride?: number; includeTop?: boolean; depth?: number },
  f: (e: ReturnType<typeof createEncoder>) => T,
): T {
  const e = createEncoder(name, { inputSize: opts.inputSize ?? 64, inChannels: 3, ...opts });
  try {
    return f(e);
  } finally {
    e.model.dispose();
  }
}

// Channels of the stride-2 … stride-32 features. ResNet: torchvision's layer widths (stem 64,
// then 64/128/256/512, ×4 for bottlenecks). EfficientNet: Keras' block output widths.
const FEATURE_TABLE: [string, number[]][] = [
  ["resnet18", [64, 64, 128, 256, 512]],
  ["resnet34", [64, 64, 128, 256, 512]],
  ["resnet50", [64, 256, 512, 1024, 2048]],
  ["resnet18-w0.5", [32, 32, 64, 128, 256]],
  ["resnet18-w0.25", [16, 16, 32, 64, 128]],
  ["efficientnet-b0", [16, 24, 40, 112, 320]],
  ["efficientnet-b1", [16, 24, 40, 112, 320]],
  ["efficientnet-b2", [16, 24, 48, 120, 352]],
  ["efficientnet-b3", [24, 32, 48, 136, 384]],
  ["efficientnet-lite0", [16, 24, 40, 112, 320]],
  ["efficientnet-lite3", [24, 32, 48, 136, 384]],
];

for (const [name, channels] of FEATURE_TABLE) {
  Deno.test(`encoder ${name}: features at strides 2…32 with the published widths (input 64)`, () => {
    withEncoder(name, {}, (e) => {
      assert.deepEqual(e.features.map((f) => f.stride), [2, 4, 8, 16, 32]);
      assert.deepEqual(e.features.map((f) => f.channels), channels);
      assert.deepEqual(
        e.features.map((f) => f.shape),
        channels.map((c, i) => [64 >> (i + 1), 64 >> (i + 1), c]),
      );
      assert.equal(e.model.outputs.length, 5);
    });
  });
}

// Published parameter counts (independent sources), compared exactly (tolerance 0):
// torchvision resnet18/34/50 totals 11,689,512 / 21,797,672 / 25,557,032 minus the 1000-class fc
// (512·1000+1000 = 513,000; 2048·1000+1000 = 2,049,000); torchvision counts no BN running stats.
// timm efficientnet_b0: 5,288,548 minus its classifier 1280·1000+1000 = 4,007,548 trainable;
// Keras EfficientNetB0..B3(include_top=False): 4,049,571 / 6,575,239 / 7,768,569 / 10,783,535
// total, which includes 7 non-trainable parameters of its input Normalization layer.
// timm tf_efficientnet_lite0 / lite3: 4,652,008 / 8,197,096 (4.65 M / 8.20 M), classifier included.
const PARAM_TABLE: [string, { trainable?: number; total?: number }][] = [
  ["resnet18", { trainable: 11_689_512 - 513_000 }],
  ["resnet34", { trainable: 21_797_672 - 513_000 }],
  ["resnet50", { trainable: 25_557_032 - 2_049_000 }],
  ["efficientnet-b0", { trainable: 5_288_548 - 1_281_000, total: 4_049_571 - 7 }],
  ["efficientnet-b1", { total: 6_575_239 - 7 }],
  ["efficientnet-b2", { total: 7_768_569 - 7 }],
  ["efficientnet-b3", { total: 10_783_535 - 7 }],
  ["efficientnet-lite0", { trainable: 4_652_008 - 1_281_000 }],
  ["efficientnet-lite3", { trainable: 8_197_096 - 1_281_000 }],
];

for (const [name, expected] of PARAM_TABLE) {
  Deno.test(`encoder ${name}: parameter count matches the published feature extractor`, () => {
    withEncoder(name, { includeTop: true }, (e) => {
      if (expected.trainable !== undefined) {
        assert.equal(trainableCount(e.model), expected.trainable);
      }
      if (expected.total !== undefined) assert.equal(e.model.countParams(), expected.total);
    });
  });
}

Deno.test("encoder efficientnet: includeTop replaces the stride-32 feature by the 1280-channel top conv", () => {
  withEncoder(
    "efficientnet-b0",
    { includeTop: true },
    (e) => assert.equal(e.features[4].channels, 1280),
  );
  withEncoder(
    "efficientnet-b3",
    { includeTop: true },
    (e) => assert.equal(e.features[4].channels, 1536),
  );
});

Deno.test("encoder efficientnet: reference channel rounding (Keras round_filters)", () => {
  // hand-computed: 32·1.1 = 35.2 → 32 (≥ 0.9·35.2); 40·1.2 = 48 → 48; 1280·1.2 = 1536;
  // 112·1.1 = 123.2 → int(127.2/8)·8 = 120; 8·0.25 = 2 → max(8, …) = 8
  assert.deepEqual(
    [[32, 1.1], [40, 1.2], [1280, 1.2], [112, 1.1], [8, 0.25]].map(([f, w]) => roundFilters(f, w)),
    [32, 48, 1536, 120, 8],
  );
});

Deno.test("encoder resnet: dilation keeps output stride 16 / 8 (DeepLab)", () => {
  withEncoder("resnet50", { outputStride: 16 }, (e) => {
    assert.deepEqual(e.features.map((f) => f.stride), [2, 4, 8, 16, 16]);
    assert.deepEqual(e.features.map((f) => f.shape[0]), [32, 16, 8, 4, 4]);
  });
  withEncoder("resnet18-w0.25", { outputStride: 8 }, (e) => {
    assert.deepEqual(e.features.map((f) => f.stride), [2, 4, 8, 8, 8]);
    assert.deepEqual(e.features.map((f) => f.shape[0]), [32, 16, 8, 8, 8]);
  });
});

Deno.test("encoder: odd input sizes give ceil(S/stride) feature sides", () => {
  for (const name of ["resnet18-w0.25", "efficientnet-b0-w0.25", "plain8"]) {
    withEncoder(name, { inputSize: 97 }, (e) => {
      for (const f of e.features) {
        assert.equal(f.shape[0], Math.ceil(97 / f.stride), `${name} stride ${f.stride}`);
      }
    });
  }
});

Deno.test("encoder plain: strides 1…2^depth, channels doubling from the base and capped at 8×", () => {
  withEncoder("plain8", { depth: 5 }, (e) => {
    assert.deepEqual(e.features.map((f) => f.stride), [1, 2, 4, 8, 16, 32]);
    assert.deepEqual(e.features.map((f) => f.channels), [8, 16, 32, 64, 64, 64]);
  });
});

Deno.test("encoder depth limits the deepest stride", () => {
  withEncoder(
    "resnet18-w0.25",
    { depth: 3 },
    (e) => assert.deepEqual(e.features.map((f) => f.stride), [2, 4, 8]),
  );
  withEncoder("efficientnet-b0-w0.25", { depth: 4 }, (e) => {
    assert.deepEqual(e.features.map((f) => f.stride), [2, 4, 8, 16]);
  });
});

Deno.test("encoder forward: feature tensors have the declared shapes", () => {
  withEncoder("efficientnet-b0-w0.25", { inputSize: 33 }, (e) => {
    const ys = e.model.predict(tf.ones([2, 33, 33, 3])) as tf.Tensor[];
    assert.deepEqual(ys.map((y) => y.shape), e.features.map((f) => [2, ...f.shape]));
    for (const y of ys) assert.ok(y.dataSync().every(Number.isFinite));
    tf.dispose(ys);
  });
});

Deno.test("encoder names: parsed with width suffix; unknown names and bad options are InputErrors", () => {
  assert.deepEqual(parseEncoderName("resnet34-w0.5").width, 0.5);
  assert.equal(parseEncoderName("efficientnet-b2").family, "efficientnet");
  assert.ok(listEncoders().includes("resnet50"));
  for (const bad of ["resnet101", "efficientnet-b7", "resnet18-w0", "vgg16", "plain2"]) {
    assert.throws(() => parseEncoderName(bad), InputError, bad);
  }
  assert.throws(
    () => createEncoder("efficientnet-b0", { inputSize: 64, inChannels: 1, outputStride: 16 }),
    InputError,
  );
  assert.throws(
    () => createEncoder("resnet18", { inputSize: 64, inChannels: 1, depth: 6 }),
    InputError,
  );
  assert.throws(
    () => createEncoder("resnet18", { inputSize: 64, inChannels: 1, outputStride: 12 }),
    InputError,
  );
});
