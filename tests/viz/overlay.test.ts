import assert from "node:assert/strict";
import sharp from "sharp";
import type { GrayImage, Landmarks, Mask } from "../../lib/core/types.ts";
import { gridPng, OVERLAY_COLOURS, overlayPng } from "../../lib/viz/overlay.ts";

const W = 40, H = 30;
const grey: GrayImage = { width: W, height: H, data: new Float32Array(W * H).fill(100) };

async function rgbAt(png: Uint8Array, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
}

const hex = (c: string) => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));

const truth: Landmarks = [{ x: 5, y: 15 }, { x: 15, y: 15 }, { x: 10, y: 10 }, { x: 10, y: 20 }];
const prediction: Landmarks = [{ x: 25, y: 15 }, { x: 35, y: 15 }, { x: 30, y: 10 }, {
  x: 30,
  y: 20,
}];

Deno.test("overlay: truth green, prediction blue, untouched pixels stay grey", async () => {
  const png = await overlayPng(grey, { truth, prediction, segments: false, markerRadius: 2 });
  assert.deepEqual((await sharp(png).metadata()).width, W);
  assert.deepEqual(await rgbAt(png, 5, 15), hex(OVERLAY_COLOURS.truth));
  assert.deepEqual(await rgbAt(png, 30, 20), hex(OVERLAY_COLOURS.prediction));
  assert.deepEqual(await rgbAt(png, 20, 2), [100, 100, 100]);
});

Deno.test("overlay: a dot is centred on its pixel, as the mask contour is", async () => {
  const black: GrayImage = { width: 21, height: 21, data: new Float32Array(441) };
  const at: Landmarks = [{ x: 7, y: 12 }, { x: 7, y: 12 }, { x: 7, y: 12 }, { x: 7, y: 12 }];
  const png = await overlayPng(black, { prediction: at, segments: false, markerRadius: 3 });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let n = 0, sx = 0, sy = 0;
  for (let y = 0; y < 21; y++) {
    for (let x = 0; x < 21; x++) {
      const w = data[(y * 21 + x) * info.channels + 2]; // blue: the dot and its white rim
      n += w, sx += w * x, sy += w * y;
    }
  }
  assert.ok(Math.abs(sx / n - 7) < 0.05 && Math.abs(sy / n - 12) < 0.05, `${sx / n}, ${sy / n}`);
});

Deno.test("overlay: segments join OFD1–OFD2 and BPD1–BPD2", async () => {
  const png = await overlayPng(grey, { truth, markerRadius: 3 });
  // (10, 15) lies on both truth segments, away from every dot centre by ≥ 5 px.
  const [r, g, b] = await rgbAt(png, 10, 15);
  assert.ok(g > 150 && r < 100 && b < 150, `segment pixel ${[r, g, b]}`);
});

Deno.test("overlay: mask contour painted exactly on the boundary pixels", async () => {
  const mask: Mask = { width: W, height: H, data: new Uint8Array(W * H) };
  for (let y = 5; y < 25; y++) for (let x = 10; x < 30; x++) mask.data[y * W + x] = 1;
  const png = await overlayPng(grey, { mask });
  assert.deepEqual(await rgbAt(png, 10, 5), OVERLAY_COLOURS.mask);
  assert.deepEqual(await rgbAt(png, 29, 24), OVERLAY_COLOURS.mask);
  assert.deepEqual(await rgbAt(png, 15, 15), [100, 100, 100]); // interior
  assert.deepEqual(await rgbAt(png, 9, 5), [100, 100, 100]); // outside
});

Deno.test("overlay: maskFill tints the inside at that opacity, the outside untouched", async () => {
  const mask: Mask = { width: W, height: H, data: new Uint8Array(W * H) };
  for (let y = 5; y < 25; y++) for (let x = 10; x < 30; x++) mask.data[y * W + x] = 1;
  const png = await overlayPng(grey, { mask, maskFill: 0.25 });
  // 0.75 · 100 + 0.25 · colour, per channel.
  const want = OVERLAY_COLOURS.mask.map((c) => Math.round(75 + 0.25 * c));
  assert.deepEqual(await rgbAt(png, 15, 15), want);
  assert.deepEqual(await rgbAt(png, 10, 5), OVERLAY_COLOURS.mask); // the outline stays solid
  assert.deepEqual(await rgbAt(png, 9, 5), [100, 100, 100]);
});

Deno.test("overlay accepts encoded image bytes and rejects a mask of another size", async () => {
  const encoded = await sharp(new Uint8Array(W * H).fill(50), {
    raw: { width: W, height: H, channels: 1 },
  })
    .png().toBuffer();
  const png = await overlayPng(new Uint8Array(encoded), {});
  assert.deepEqual(await rgbAt(png, 3, 3), [50, 50, 50]);
  const small: Mask = { width: 2, height: 2, data: new Uint8Array(4) };
  await assert.rejects(overlayPng(grey, { mask: small }), RangeError);
});

Deno.test("gridPng: layout size from cols, tile width, gap and caption strip", async () => {
  const tile = await overlayPng(grey, {});
  const png = await gridPng(
    [{ png: tile, caption: "a" }, { png: tile }, { png: tile, caption: "c" }],
    { cols: 2, tileWidth: 80, gap: 4 },
  );
  const meta = await sharp(png).metadata();
  // width 2·80 + 3·4; tile height 80·30/40 = 60, caption strip round(13·1.6) = 21.
  assert.equal(meta.width, 172);
  assert.equal(meta.height, 2 * 81 + 3 * 4);
  await assert.rejects(gridPng([], { cols: 2 }), RangeError);
});
