import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { GrayImage, Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";
import {
  brightnessContrast,
  convolve2d,
  gamma,
  gaussianBlur,
  gaussianKernel,
  gaussianNoise,
  motionBlur,
  motionKernel,
  separableConvolve,
} from "../../lib/transforms/intensity.ts";
import {
  acousticShadow,
  coarseDropout,
  depthAttenuation,
  speckle,
} from "../../lib/transforms/ultrasound.ts";
import { toAugSample } from "../../lib/transforms/types.ts";

const W = 64, H = 48;
const LANDMARKS: Landmarks = [{ x: 10, y: 24 }, { x: 54, y: 24 }, { x: 32, y: 10 }, {
  x: 32,
  y: 38,
}];

function ramp(): GrayImage {
  return {
    width: W,
    height: H,
    data: Float32Array.from({ length: W * H }, (_, i) => (i * 7) % 256),
  };
}

function constant(v: number, w = W, h = H): GrayImage {
  return { width: w, height: h, data: new Float32Array(w * h).fill(v) };
}

function sample(image: GrayImage) {
  return toAugSample({
    image,
    landmarks: LANDMARKS,
    mask: {
      width: image.width,
      height: image.height,
      data: new Uint8Array(image.width * image.height).fill(1),
    },
  });
}

Deno.test("brightness/contrast is v·α + β with α in 1 ± 0.2, β in ± 51, then clamped", () => {
  for (let seed = 0; seed < 10; seed++) {
    const img = ramp();
    const out = brightnessContrast()(sample(img), new Rng(seed)).image;
    // Recover α, β from two unclamped pixels, then every pixel must follow them.
    const [i, j] = [15, 20]; // values 105 and 140: never clamped
    const alpha = (out.data[j] - out.data[i]) / (img.data[j] - img.data[i]);
    const beta = out.data[i] - alpha * img.data[i];
    assert.ok(alpha >= 0.8 && alpha <= 1.2 && Math.abs(beta) <= 51, `α ${alpha}, β ${beta}`);
    for (let k = 0; k < img.data.length; k++) {
      const want = Math.min(255, Math.max(0, alpha * img.data[k] + beta));
      assert.ok(Math.abs(out.data[k] - want) < 1e-3);
    }
  }
});

Deno.test("gamma is 255·(v/255)^g with g in 0.8–1.2", () => {
  for (let seed = 0; seed < 10; seed++) {
    const img = ramp();
    const out = gamma()(sample(img), new Rng(seed)).image;
    const g = Math.log(out.data[20] / 255) / Math.log(img.data[20] / 255);
    assert.ok(g >= 0.8 && g <= 1.2, `g ${g}`);
    for (let k = 0; k < img.data.length; k++) {
      assert.ok(Math.abs(out.data[k] - 255 * Math.pow(img.data[k] / 255, g)) < 1e-2);
    }
  }
});

Deno.test("Gaussian noise: zero mean, variance within 10–50 grey levels²", () => {
  for (let seed = 0; seed < 5; seed++) {
    const out = gaussianNoise()(sample(constant(128, 128, 128)), new Rng(seed)).image.data;
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
    assert.ok(Math.abs(mean - 128) < 0.2, `mean ${mean}`);
    assert.ok(variance > 9 && variance < 52, `variance ${variance}`);
  }
});

Deno.test("Gaussian kernels are OpenCV's getGaussianKernel(k, 0)", () => {
  assert.deepEqual(Array.from(gaussianKernel(3)), [0.25, 0.5, 0.25]);
  assert.deepEqual(Array.from(gaussianKernel(5)), [0.0625, 0.25, 0.375, 0.25, 0.0625]);
  const k9 = gaussianKernel(9); // σ = 0.3·(4 − 1) + 0.8 = 1.7
  const raw = Array.from({ length: 9 }, (_, i) => Math.exp(-((i - 4) ** 2) / (2 * 1.7 ** 2)));
  const sum = raw.reduce((a, b) => a + b);
  raw.forEach((v, i) => assert.ok(Math.abs(k9[i] - v / sum) < 1e-6));
});

Deno.test("separable blur of an impulse is the outer product of the kernel; reflect-101 at borders", () => {
  const img = constant(0, 9, 9);
  img.data[4 * 9 + 4] = 16;
  const out = separableConvolve(img, gaussianKernel(3));
  const k = [0.25, 0.5, 0.25];
  for (let y = 3; y <= 5; y++) {
    for (let x = 3; x <= 5; x++) assert.equal(out.data[y * 9 + x], 16 * k[y - 3] * k[x - 3]);
  }
  // Reflect-101 (…cb|abc…): on the row [0, 16, 0, 0, 0], pixel 0 reads its mirror at −1 = pixel 1.
  const row = { width: 5, height: 1, data: Float32Array.from([0, 16, 0, 0, 0]) };
  assert.deepEqual(Array.from(separableConvolve(row, gaussianKernel(3)).data), [8, 8, 4, 0, 0]);
});

Deno.test("blurs keep a constant image constant and the landmarks/mask untouched", () => {
  for (const t of [gaussianBlur(), motionBlur()]) {
    const s = sample(constant(77));
    const out = t(s, new Rng(4));
    assert.ok(out.image.data.every((v) => Math.abs(v - 77) < 1e-3), t.label);
    assert.equal(out.landmarks, s.landmarks);
    assert.equal(out.mask, s.mask);
  }
});

Deno.test("motion kernel: sums to 1, a horizontal line at angle 0, point-symmetric", () => {
  const k = motionKernel(5, 0);
  assert.ok(Math.abs(k.reduce((a, b) => a + b) - 1) < 1e-6);
  for (let i = 0; i < 25; i++) if (Math.floor(i / 5) !== 2) assert.equal(k[i], 0);
  const d = motionKernel(7, 0.7);
  for (let i = 0; i < 49; i++) assert.ok(Math.abs(d[i] - d[48 - i]) < 1e-6);
  // A 1×1 "identity" kernel leaves the image unchanged.
  const img = ramp();
  assert.deepEqual(convolve2d(img, new Float32Array([1]), 1).data, img.data);
});

Deno.test("bad ranges are rejected with InputError", () => {
  assert.throws(() => gamma({ limit: [120, 80] }), InputError);
  assert.throws(() => gaussianBlur({ kernel: [4, 4] }), InputError);
  assert.throws(() => gaussianNoise({ varLimit: [-1, 5] }), InputError);
  assert.throws(() => speckle({ strength: [0.1, 2] }), InputError);
});

Deno.test("speckle: multiplicative (zero stays zero), mean preserved, spread grows with strength", () => {
  const img = constant(100, 128, 128);
  img.data.fill(0, 0, 128);
  const out = speckle()(sample(img), new Rng(2)).image.data;
  assert.ok(out.subarray(0, 128).every((v) => v === 0));
  const rest = out.subarray(128);
  const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
  const sd = Math.sqrt(rest.reduce((a, b) => a + (b - mean) ** 2, 0) / rest.length);
  assert.ok(Math.abs(mean - 100) < 1, `mean ${mean}`);
  // Rayleigh/mean has sd √((4−π)/π) ≈ 0.523, so sd = 100·s·0.523 with s in 0.1–0.3.
  assert.ok(sd > 100 * 0.1 * 0.523 * 0.9 && sd < 100 * 0.3 * 0.523 * 1.1, `sd ${sd}`);
});

Deno.test("depth attenuation: top row kept, each row scaled by exp(−α·y/(H−1)), α in 0.2–1.2", () => {
  const out = depthAttenuation()(sample(constant(200)), new Rng(6)).image;
  const row = (y: number) => out.data[y * W + 5];
  assert.equal(row(0), 200);
  const alpha = -Math.log(row(H - 1) / 200);
  assert.ok(alpha >= 0.2 && alpha <= 1.2, `α ${alpha}`);
  for (let y = 0; y < H; y++) {
    assert.ok(Math.abs(row(y) - 200 * Math.exp(-alpha * y / (H - 1))) < 1e-3);
  }
});

Deno.test("acoustic shadow only darkens, darkens a band by ≥ 40 %, and spares the top rows", () => {
  for (let seed = 0; seed < 8; seed++) {
    const out = acousticShadow()(sample(constant(200, 128, 128)), new Rng(seed)).image.data;
    assert.ok(out.every((v) => v <= 200));
    assert.ok(out.some((v) => v <= 120), `seed ${seed}: no pixel darkened by 40 %`);
    assert.ok(out.subarray(0, 128 * 10).every((v) => v === 200), `seed ${seed}: top rows touched`);
  }
});

Deno.test("coarse dropout zeroes 1–4 rectangles and nothing else", () => {
  for (let seed = 0; seed < 8; seed++) {
    const out = coarseDropout()(sample(constant(90, 100, 100)), new Rng(seed)).image.data;
    const zeros = out.filter((v) => v === 0).length;
    assert.ok(out.every((v) => v === 0 || v === 90));
    // Each hole is 5–15 px a side: at least 25 and at most 4·225 pixels.
    assert.ok(zeros >= 25 && zeros <= 900, `seed ${seed}: ${zeros}`);
  }
});
