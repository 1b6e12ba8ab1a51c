import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { InputError } from "../../lib/core/errors.ts";
import type { GrayImage } from "../../lib/core/types.ts";
import {
  encodeGrayPng,
  imageDimensions,
  readGray,
  readMask,
  writeGrayPng,
  writeMaskPng,
} from "../../lib/io/image.ts";

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "io_image_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ramp = (w: number, h: number): GrayImage => ({
  width: w,
  height: h,
  data: Float32Array.from({ length: w * h }, (_, i) => (i * 7) % 256),
});

Deno.test("8-bit grey PNG round trip is exact; float values are rounded and clamped", async () => {
  await withTmp(async (dir) => {
    const img = ramp(13, 7);
    await writeGrayPng(join(dir, "a.png"), img);
    const back = await readGray(join(dir, "a.png"));
    assert.equal(back.width, 13);
    assert.equal(back.height, 7);
    assert.deepEqual(back.data, img.data);
    const odd = { width: 4, height: 1, data: Float32Array.from([-3, 12.4, 12.6, 300]) };
    await writeGrayPng(join(dir, "b.png"), odd);
    assert.deepEqual(Array.from((await readGray(join(dir, "b.png"))).data), [0, 12, 13, 255]);
  });
});

Deno.test("16-bit PNG is scaled to 0..255 by the bits its data uses, without rounding", async () => {
  await withTmp(async (dir) => {
    const table: [string, number[], number[]][] = [
      ["full range", [0, 257, 1000, 65535], [0, 1, 1000 / 257, 255]],
      ["12-bit data (max 4080 < 4096)", [0, 4095, 2048, 4080], [
        0,
        255,
        2048 * 255 / 4095,
        4080 * 255 / 4095,
      ]],
      ["8-bit values in 16 bits", [0, 10, 200, 255], [0, 10, 200, 255]],
      ["10-bit data", [0, 1023, 512, 100], [0, 255, 512 * 255 / 1023, 100 * 255 / 1023]],
      ["dark 8-bit image ×257 (max 100)", [0, 257, 25700, 12850], [0, 1, 100, 50]],
    ];
    for (const [name, values, expected] of table) {
      const file = join(dir, `${name.replaceAll(/\W/g, "_")}.png`);
      await sharp(Uint16Array.from(values), { raw: { width: 4, height: 1, channels: 1 } })
        .toColourspace("grey16").png().toFile(file);
      const img = await readGray(file);
      img.data.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-4, `${name} ${i}: ${v}`));
    }
  });
});

Deno.test("RGB, RGBA and JPEG become one grey channel", async () => {
  await withTmp(async (dir) => {
    // Grey RGB pixels (r = g = b) must keep their value; alpha 0 flattens onto black.
    const rgb = Uint8Array.from([10, 10, 10, 200, 200, 200]);
    await sharp(rgb, { raw: { width: 2, height: 1, channels: 3 } }).png().toFile(
      join(dir, "c.png"),
    );
    assert.deepEqual(Array.from((await readGray(join(dir, "c.png"))).data), [10, 200]);
    const rgba = Uint8Array.from([90, 90, 90, 255, 90, 90, 90, 0]);
    await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(
      join(dir, "d.png"),
    );
    assert.deepEqual(Array.from((await readGray(join(dir, "d.png"))).data), [90, 0]);
    const flat = new Uint8Array(16 * 16 * 3).fill(128);
    await sharp(flat, { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ quality: 95 })
      .toFile(join(dir, "e.jpg"));
    const jpg = await readGray(join(dir, "e.jpg"));
    assert.equal(jpg.data.length, 256);
    assert.ok(jpg.data.every((v) => Math.abs(v - 128) <= 2));
  });
});

Deno.test("masks: written as 0/255, read with threshold > 127", async () => {
  await withTmp(async (dir) => {
    const mask = { width: 3, height: 2, data: Uint8Array.from([0, 1, 1, 0, 0, 1]) };
    await writeMaskPng(join(dir, "m.png"), mask);
    assert.deepEqual(Array.from((await readGray(join(dir, "m.png"))).data), [
      0,
      255,
      255,
      0,
      0,
      255,
    ]);
    assert.deepEqual(await readMask(join(dir, "m.png")), mask);
    const grey = { width: 4, height: 1, data: Float32Array.from([0, 127, 128, 255]) };
    await writeGrayPng(join(dir, "g.png"), grey);
    assert.deepEqual(Array.from((await readMask(join(dir, "g.png"))).data), [0, 0, 1, 1]);
  });
});

Deno.test("encodeGrayPng yields PNG bytes", async () => {
  const bytes = await encodeGrayPng(ramp(5, 5));
  assert.deepEqual(Array.from(bytes.slice(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
});

Deno.test("missing and corrupt files throw InputError naming the file", async () => {
  await withTmp(async (dir) => {
    const missing = join(dir, "nope.png");
    await assert.rejects(
      readGray(missing),
      (e: Error) => e instanceof InputError && e.message.includes(missing),
    );
    const corrupt = join(dir, "bad.png");
    await Deno.writeFile(corrupt, Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]));
    await assert.rejects(
      readMask(corrupt),
      (e: Error) => e instanceof InputError && e.message.includes(corrupt),
    );
    // A valid header with truncated data.
    const full = await encodeGrayPng(ramp(64, 64));
    const truncated = join(dir, "trunc.png");
    await Deno.writeFile(truncated, full.slice(0, 60));
    await assert.rejects(
      readGray(truncated),
      (e: Error) => e instanceof InputError && e.message.includes(truncated),
    );
  });
});

Deno.test("imageDimensions: the size readGray decodes, read from the header; unreadable files name themselves", async () => {
  await withTmp(async (dir) => {
    const png = join(dir, "r.png");
    await writeGrayPng(png, ramp(37, 21));
    const jpg = join(dir, "r.jpg");
    await sharp(await encodeGrayPng(ramp(30, 50))).jpeg().toFile(jpg);
    for (const path of [png, jpg]) {
      const { width, height } = await readGray(path);
      assert.deepEqual(await imageDimensions(path), { width, height });
    }
    assert.deepEqual(await imageDimensions(png), { width: 37, height: 21 });
    const text = join(dir, "notes.png");
    await Deno.writeTextFile(text, "not an image");
    for (const path of [text, join(dir, "nope.png")]) {
      await assert.rejects(
        imageDimensions(path),
        (e: Error) => e instanceof InputError && e.message.includes(path),
      );
    }
  });
});
