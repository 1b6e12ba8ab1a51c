import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { CoarseToFine } from "../../lib/inference/coarse_to_fine.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { headWindow } from "../../lib/transforms/pipeline.ts";
import { measuresFromLandmarks } from "../../lib/geometry/measures.ts";
import { framingRows } from "../../lib/notebook/coarse_to_fine.ts";
import type { Row } from "../../lib/notebook/table.ts";
import { removeAfterAll } from "../temp_dir.ts";
import { tinyRun } from "./helpers.ts";

// A whole-image first stage and a head-crop U-Net second stage, each a real 2-step training run.
const coarseRun = await tinyRun();
const fineRun = await tinyRun("unet/quick", { augment: { headCrop: 1.35 } });
removeAfterAll(coarseRun.root, fineRun.root);

const images = [3, 4].map((seed) => {
  const p = generatePhantom(seed, { width: 70, height: 50 });
  return { id: `p${seed}.png`, image: p.image, pixelSizeMm: p.pixelSizeMm };
});

async function stages() {
  return [
    await Predictor.load(coarseRun.outcome.checkpointDir),
    await Predictor.load(fineRun.outcome.checkpointDir),
  ] as const;
}

Deno.test("a head-crop model without a first-stage prediction is an InputError naming the image", async () => {
  const [coarse, fine] = await stages();
  try {
    assert.equal(coarse.needsPrior, false);
    assert.equal(fine.needsPrior, true);
    await assert.rejects(() => fine.predict(images), (e: unknown) => {
      return e instanceof InputError && e.message.startsWith("p3.png: ");
    });
  } finally {
    coarse.dispose();
    fine.dispose();
  }
});

Deno.test("coarse-to-fine is the fine model on the coarse model's landmarks; stages checked", async () => {
  const [coarse, fine] = await stages();
  const chain = new CoarseToFine(coarse, fine);
  try {
    const got = await chain.predict(images);
    const first = await coarse.predict(images);
    const want = await fine.predict(
      images.map((img, i) => ({ ...img, prior: first[i].landmarks })),
    );
    assert.deepEqual(got, want);
    assert.equal(chain.countParams(), coarse.countParams() + fine.countParams());
    assert.throws(() => new CoarseToFine(fine, coarse), InputError);
    assert.throws(() => new CoarseToFine(coarse, coarse), InputError);
  } finally {
    chain.dispose();
  }
});

/** A segmentation "model" whose every pixel has this logit (32 px input, the fine run's channels). */
function constantLogit(value: number): tf.LayersModel {
  return tf.sequential({
    layers: [tf.layers.conv2d({
      inputShape: [32, 32, fineRun.outcome.config.channels],
      filters: 1,
      kernelSize: 1,
      kernelInitializer: "zeros",
      biasInitializer: tf.initializers.constant({ value }),
    })],
  });
}

Deno.test("no head from the first stage: the image keeps its first-stage answer, with an issue", async () => {
  const wholeImage = { ...fineRun.outcome.config, augment: { headCrop: 0 } };
  const coarse = await Predictor.fromModel(constantLogit(-10), wholeImage);
  const fine = await Predictor.fromModel(constantLogit(10), fineRun.outcome.config);
  const chain = new CoarseToFine(coarse, fine);
  try {
    const [first] = await coarse.predict([images[0]]);
    const [got] = await chain.predict([images[0]]);
    assert.deepEqual(got.landmarks, first.landmarks);
    assert.deepEqual(got.issues, [
      ...(first.issues ?? []),
      "coarse-to-fine: no head from the first stage, kept its answer",
    ]);
  } finally {
    chain.dispose();
  }
});

Deno.test("a head-crop segmentation model's mask is on the image grid: the window, nothing outside", async () => {
  // A model that calls every input pixel foreground, so the mask is its window.
  const fine = await Predictor.fromModel(constantLogit(10), fineRun.outcome.config);
  try {
    // A small head near the top-left corner: the window is x, y ∈ [6.5, 33.5] × [−3.5, 23.5].
    const prior: Landmarks = [{ x: 10, y: 10 }, { x: 30, y: 10 }, { x: 20, y: 5 }, {
      x: 20,
      y: 15,
    }];
    const [pred] = await fine.predict([{ ...images[0], prior }]);
    const mask = pred.mask!;
    assert.equal(mask.width, 70);
    assert.equal(mask.height, 50);
    const w = headWindow(prior, 1.35);
    assert.deepEqual(w, { cx: 20, cy: 10, side: 27 });
    for (let y = 0; y < 50; y++) {
      for (let x = 0; x < 70; x++) {
        const inside = x >= 7 && x <= 33 && y <= 23;
        assert.equal(mask.data[y * 70 + x], inside ? 1 : 0, `(${x}, ${y})`);
      }
    }
  } finally {
    fine.dispose();
  }
});

/**
 * A segmentation "model" blind to the image: logit +10 on the central 16 × 16 square of its 32-px
 * frame, −10 around it. Whatever the window holds, its "head" is a fixed share of the window.
 */
function frameReader(): tf.LayersModel {
  const c = fineRun.outcome.config.channels;
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, c],
        filters: 1,
        kernelSize: 1,
        kernelInitializer: "zeros",
        biasInitializer: "ones",
      }),
      tf.layers.cropping2D({ cropping: [[8, 8], [8, 8]] }),
      tf.layers.zeroPadding2d({ padding: [[8, 8], [8, 8]] }),
      tf.layers.conv2d({
        filters: 1,
        kernelSize: 1,
        kernelInitializer: tf.initializers.constant({ value: 20 }),
        biasInitializer: tf.initializers.constant({ value: -10 }),
      }),
    ],
  });
}

/** A segmentation "model" that reads the image: logit = 10 × (normalised grey), bright = head. */
function imageReader(): tf.LayersModel {
  const c = fineRun.outcome.config.channels;
  return tf.sequential({
    layers: [tf.layers.conv2d({
      inputShape: [32, 32, c],
      filters: 1,
      kernelSize: 1,
      kernelInitializer: tf.initializers.constant({ value: 10 / c }),
      biasInitializer: "zeros",
    })],
  });
}

Deno.test("framingRows: a frame reader's HC follows the window, an image reader's does not; the first stage's window is its own row", async () => {
  // A bright 40 × 30 head in the middle of a dark 240 × 240 image: every window (side ≤ 1.1 · 1.35
  // · 80 = 119 px) stays inside it.
  const truth: Landmarks = [{ x: 80, y: 120 }, { x: 160, y: 120 }, { x: 120, y: 90 }, {
    x: 120,
    y: 150,
  }];
  const data = new Float32Array(240 * 240);
  for (let y = 0; y < 240; y++) {
    for (let x = 0; x < 240; x++) {
      if (((x - 120) / 40) ** 2 + ((y - 120) / 30) ** 2 <= 1) data[y * 240 + x] = 255;
    }
  }
  const samples = [{
    id: "head.png",
    image: { width: 240, height: 240, data },
    landmarks: truth,
    pixelSizeMm: 0.1,
  }];
  const trueHc = measuresFromLandmarks(truth, 0.1).hcMm;
  const hcOf = (rows: Row[]) => rows.map((r) => (r["HC bias mm"] as number) + trueHc);

  const frame = await Predictor.fromModel(frameReader(), fineRun.outcome.config);
  const image = await Predictor.fromModel(imageReader(), fineRun.outcome.config);
  try {
    const rows = await framingRows(frame, samples, [truth], [0.9, 1, 1.1]);
    assert.deepEqual(rows.map((r) => r.window), [
      "labels × 0.9",
      "labels × 1",
      "labels × 1.1",
      "first stage",
    ]);
    const hc = hcOf(rows);
    assert.ok(
      Math.abs(hc[0] / hc[1] - 0.9) < 0.01 && Math.abs(hc[2] / hc[1] - 1.1) < 0.01,
      `${hc}`,
    );
    assert.equal(rows[0]["|ΔHC| mm"], Math.abs(rows[0]["HC bias mm"] as number));
    assert.deepEqual({ ...rows[3], window: "" }, { ...rows[1], window: "" });
    // A first stage that found no head (its points on one spot) gives no window: its answer stands,
    // HC 0 and each point 40, 40, 30, 30 px from the truth.
    const c = { x: 120, y: 120 };
    const [, none] = await framingRows(frame, samples, [[c, c, c, c]], [1]);
    assert.equal(none.window, "first stage");
    assert.ok(Math.abs((none["HC bias mm"] as number) + trueHc) < 1e-9, `${none["HC bias mm"]}`);
    assert.equal(none["MRE px"], 35);

    // The image reader finds the painted head at every scale, to within its 32-px mask's grain.
    const steady = hcOf(await framingRows(image, samples, [truth], [0.9, 1, 1.1]));
    for (const h of steady) assert.ok(Math.abs(h / trueHc - 1) < 0.03, `${steady} vs ${trueHc}`);
    await assert.rejects(() => framingRows(frame, samples, []), RangeError);
  } finally {
    frame.dispose();
    image.dispose();
  }
});
