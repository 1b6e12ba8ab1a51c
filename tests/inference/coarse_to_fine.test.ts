import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import type { Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { CoarseToFine } from "../../lib/inference/coarse_to_fine.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { headWindow } from "../../lib/transforms/pipeline.ts";
import { tinyRun } from "./helpers.ts";

// A whole-image first stage and a head-crop U-Net second stage, each a real 2-step training run.
const coarseRun = await tinyRun();
const fineRun = await tinyRun("unet/quick", { augment: { headCrop: 1.35 } });

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
