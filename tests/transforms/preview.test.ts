import assert from "node:assert/strict";
import sharp from "sharp";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { trainPipeline } from "../../lib/transforms/pipeline.ts";
import {
  augmentationGalleryPng,
  GALLERY_TRANSFORMS,
  mapBackCheck,
} from "../../lib/transforms/preview.ts";

const phantom = generatePhantom(4, { width: 160, height: 112 });
const sample = { id: "phantom-4", group: "4", ...phantom };
const pipe = trainPipeline({ inputSize: 64, channels: 1 });

Deno.test("map-back check: every augmented landmark returns to its original (< 1e-6 px)", async () => {
  const check = await mapBackCheck(pipe, sample, 25, 1);
  const [row] = check.rows;
  assert.equal(row.augmentations, 25);
  assert.ok(row["geometric transforms applied"] > 0);
  assert.ok(row["max distance px"] < 1e-6, String(row["max distance px"]));
  const meta = await sharp(check.png).metadata();
  assert.deepEqual([meta.width, meta.height], [160, 112]);
});

Deno.test("augmentation gallery: one tile per transform plus the input", async () => {
  const png = await augmentationGalleryPng(pipe.preprocess(sample), 3);
  const meta = await sharp(png).metadata();
  const rows = Math.ceil((GALLERY_TRANSFORMS.length + 1) / 4);
  assert.equal(meta.width, 4 * 200 + 5 * 4); // 4 columns of 200 px, 4 px gaps
  assert.ok(meta.height! > rows * 200, `${meta.height} px for ${rows} rows`);
});
