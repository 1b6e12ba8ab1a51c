import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { locateModel } from "../../lib/inference/model_dir.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { float16Bits, modelCardMarkdown, shipCheckpoint } from "../../lib/inference/ship.ts";
import { tinyRun } from "./helpers.ts";

await initBackend({ prefer: "cpu" });

Deno.test("float16Bits: hand-checked encodings, round to nearest even, and tf.io decodes them back", () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [65520, 0x7c00], // halfway to the next binade rounds up to +Inf
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24 → even (0)
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal steps → even (2)
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1 + 2^-10 → even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1 + 2^-10 and 1 + 2^-9 → even
    [Infinity, 0x7c00],
    [-0, 0x8000],
  ];
  for (const [x, bits] of cases) assert.equal(float16Bits(x), bits, `${x}`);
  assert.equal(float16Bits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(float16Bits(NaN) & 0x3ff, 0);
  // tf.io's decoder reads them back as the exact half values.
  const values = [1, -2, 0.5, 65504, 2 ** -24, 1 + 2 ** -9, 0.1];
  const bits = Uint16Array.from(values, float16Bits);
  const decoded = tf.io.decodeWeights(bits.buffer, [{
    name: "w",
    shape: [values.length],
    dtype: "float32",
    quantization: { dtype: "float16", original_dtype: "float32" },
  } as tf.io.WeightsManifestEntry]);
  const back = decoded.w.dataSync();
  assert.deepEqual([...back].slice(0, 6), values.slice(0, 6));
  assert.ok(Math.abs(back[6] - 0.1) <= 0.1 * 2 ** -11, "0.1 within half a half-precision ulp");
  decoded.w.dispose();
});

Deno.test("shipCheckpoint: self-describing folder, float16 kernels, loads by path, small landmark shift", async () => {
  await using run = await tinyRun();
  const root = join(run.root, "shipped");
  const verify = [11, 12, 13].map((s) => {
    const p = generatePhantom(s, { width: 70, height: 50 });
    return { id: `v${s}.png`, image: p.image, ...(s !== 13 ? { landmarks: p.landmarks } : {}) };
  });
  const card = await shipCheckpoint(run.outcome.checkpointDir, "coord", { mre_px: 12.5 }, {
    root,
    verifyImages: verify,
  });
  const dir = join(root, "coord");
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names, [
    "card.json",
    "config.json",
    "model.json",
    "model_card.md",
    "weights.bin",
  ]);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "card.json"))).metrics, {
    mre_px: 12.5,
  });
  assert.equal(card.source.runId, "tiny");
  assert.equal(card.config.inputSize, 32);
  assert.equal((card.data as { kind: string }).kind, "custom");
  assert.equal(card.weights.verifiedImages, 3);
  assert.equal(card.training.finished, true);
  assert.equal(card.training.checkpointEpoch, 1);
  assert.ok(card.weights.maxLandmarkShiftPx! < 0.5, `shift ${card.weights.maxLandmarkShiftPx}`);
  assert.ok(card.weights.medianShiftPx! <= card.weights.maxLandmarkShiftPx!);
  // MRE over the two labelled images, float32 vs float16: within the largest shift of each other.
  const { float32, shipped: half } = card.weights.mrePx!;
  assert.ok(float32 > 0 && Math.abs(float32 - half) <= card.weights.maxLandmarkShiftPx! + 1e-9);
  assert.match(
    await Deno.readTextFile(join(dir, "model_card.md")),
    /deno task predict --model coord --input/,
  );
  // A family with a second stage: the card's command is about this model alone.
  assert.match(modelCardMarkdown({ ...card, family: "unet" }), /--model unet --no-refine --input/);

  // float16 roughly halves the weights: every big kernel takes 2 bytes per value instead of 4.
  const original = (await Deno.stat(join(run.outcome.checkpointDir, "best", "weights.bin"))).size;
  const shipped = (await Deno.stat(join(dir, "weights.bin"))).size;
  assert.ok(shipped < 0.55 * original && shipped > 0.45 * original, `${shipped} vs ${original}`);

  // The folder is a model by itself (config.json beside model.json).
  assert.equal((await locateModel(dir)).configPath, join(dir, "config.json"));
  const p = await Predictor.load(dir);
  const [pred] = await p.predict([verify[0]]);
  p.dispose();
  assert.ok(pred.landmarks.every((q) => Number.isFinite(q.x) && Number.isFinite(q.y)));

  await assert.rejects(
    shipCheckpoint(run.outcome.checkpointDir, "unet", {}, { root }),
    /task coord, family unet is segmentation/,
  );
});

Deno.test("shipCheckpoint: a second stage is verified on its windows, and its card names both stages", async () => {
  await using run = await tinyRun("heatmap/quick", { augment: { headCrop: 1.35 } });
  const root = join(run.root, "shipped");
  const verify = [11, 12].map((s) => {
    const p = generatePhantom(s, { width: 70, height: 50 });
    // The labels stand in for a first stage's answer here.
    return { id: `v${s}.png`, image: p.image, landmarks: p.landmarks, prior: p.landmarks };
  });
  const card = await shipCheckpoint(run.outcome.checkpointDir, "heatmap-fine", {}, {
    root,
    verifyImages: verify,
  });
  assert.equal(card.weights.verifiedImages, 2);
  assert.ok(card.weights.maxLandmarkShiftPx! < 0.5, `shift ${card.weights.maxLandmarkShiftPx}`);
  assert.match(
    await Deno.readTextFile(join(root, "heatmap-fine", "model_card.md")),
    /deno task predict --model heatmap --refine heatmap-fine/,
  );
  // Without windows there is nothing to verify on: the crop model refuses.
  await assert.rejects(
    shipCheckpoint(run.outcome.checkpointDir, "heatmap-fine", {}, {
      root,
      verifyImages: verify.map(({ prior: _p, ...v }) => v),
    }),
    /first-stage/,
  );
});
