import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import type { GrayImage, Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { isCanonical, sameUpToOrder } from "../../lib/data/landmark_order.ts";
import { compose, maybe, oneOf } from "../../lib/transforms/compose.ts";
import { mapToSource, mapToTarget } from "../../lib/transforms/geometric.ts";
import { datasetStats, normalise } from "../../lib/transforms/normalise.ts";
import {
  DEFAULT_AUGMENT,
  evalPipeline,
  headCrop,
  headWindow,
  jitteredHeadCrop,
  resolvePipelineConfig,
  sampleRng,
  trainPipeline,
} from "../../lib/transforms/pipeline.ts";
import { type AugSample, toAugSample, transform } from "../../lib/transforms/types.ts";

const tiny = (): AugSample =>
  toAugSample({
    image: { width: 2, height: 1, data: Float32Array.from([10, 20]) },
    landmarks: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 0 }, { x: 1, y: 0 }],
  });

/** A transform that records the first draw it gets in pixel 0. */
const recordDraw = transform("record", (s, rng) => ({
  ...s,
  image: { ...s.image, data: Float32Array.from([rng.next(), s.image.data[1]]) },
}));
const burnDraws = (n: number) =>
  transform(`burn${n}`, (s, rng) => {
    for (let i = 0; i < n; i++) rng.next();
    return s;
  });

Deno.test("compose: a step's draws do not depend on what other steps drew", () => {
  const a = compose([burnDraws(1), recordDraw])(tiny(), new Rng(5));
  const b = compose([burnDraws(17), recordDraw])(tiny(), new Rng(5));
  assert.equal(a.image.data[0], b.image.data[0]);
  const c = compose([burnDraws(1), recordDraw])(tiny(), new Rng(6));
  assert.notEqual(a.image.data[0], c.image.data[0]);
});

Deno.test("compose p=0 and maybe p=0 never apply; p=1 always does", () => {
  const s = tiny();
  assert.equal(compose([recordDraw], { p: 0 })(s, new Rng(1)), s);
  assert.equal(maybe(0, recordDraw)(s, new Rng(1)), s);
  assert.notEqual(maybe(1, recordDraw)(s, new Rng(1)), s);
  assert.throws(() => maybe(1.5, recordDraw), InputError);
});

Deno.test("oneOf applies exactly one choice, by weight", () => {
  const counts = [0, 0, 0];
  const tag = (i: number) => transform(`t${i}`, (s) => (counts[i]++, s));
  const pick = oneOf([tag(0), tag(1), tag(2)], { weights: [1, 0, 3] });
  const rng = new Rng(3);
  for (let i = 0; i < 4000; i++) pick(tiny(), rng);
  assert.equal(counts[0] + counts[1] + counts[2], 4000);
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[2] / 4000 - 0.75) < 0.03, JSON.stringify(counts));
  assert.throws(() => oneOf([tag(0)], { weights: [0] }), InputError);
});

Deno.test("normalise: ImageNet statistics per channel (hand-computed), grey replicated", () => {
  const img: GrayImage = { width: 2, height: 1, data: Float32Array.from([0, 255]) };
  const rgb = normalise(img, 3, { mode: "imagenet" });
  assert.equal(rgb.channels, 3);
  const want = [
    -0.485 / 0.229,
    -0.456 / 0.224,
    -0.406 / 0.225,
    0.515 / 0.229,
    0.544 / 0.224,
    0.594 / 0.225,
  ];
  want.forEach((v, i) =>
    assert.ok(Math.abs(rgb.data[i] - v) < 1e-5, `${i}: ${rgb.data[i]} vs ${v}`)
  );
  const grey = normalise(img, 1, { mode: "imagenet" });
  assert.ok(Math.abs(grey.data[1] - (1 - 0.449) / 0.226) < 1e-5);
  assert.deepEqual(Array.from(normalise(img, 1, { mode: "unit" }).data), [0, 1]);
});

Deno.test("normalise: per-image gives mean 0 / std 1; dataset uses the given statistics", () => {
  const img: GrayImage = { width: 4, height: 1, data: Float32Array.from([10, 20, 30, 40]) };
  const z = normalise(img, 1, { mode: "perImage" }).data;
  const sd = Math.sqrt(125); // population std of 10, 20, 30, 40
  [-15, -5, 5, 15].forEach((d, i) => assert.ok(Math.abs(z[i] - d / sd) < 1e-6));
  const stats = datasetStats([img, { width: 2, height: 1, data: Float32Array.from([50, 60]) }]);
  assert.ok(Math.abs(stats.mean - 35) < 1e-12);
  assert.ok(Math.abs(stats.std - Math.sqrt(291.6666666666667)) < 1e-9);
  const d = normalise(img, 1, { mode: "dataset", mean: 20, std: 10 }).data;
  assert.deepEqual(Array.from(d), [-1, 0, 1, 2]);
  assert.throws(() => normalise(img, 1, { mode: "dataset" }), InputError);
});

Deno.test("pipeline config: defaults, overrides, and InputError on unknown keys / wrong types", () => {
  const c = resolvePipelineConfig({
    inputSize: 128,
    channels: 1,
    augment: { rotateLimitDeg: 10, clahe: false },
  });
  assert.equal(c.augment.rotateLimitDeg, 10);
  assert.equal(c.augment.clahe, false);
  assert.equal(c.augment.flipHorizontalP, DEFAULT_AUGMENT.flipHorizontalP);
  assert.throws(
    () => resolvePipelineConfig({ inputSize: 128, channels: 1, augment: { rotateLimit: 10 } }),
    InputError,
  );
  assert.throws(
    () => resolvePipelineConfig({ inputSize: 128, channels: 1, augment: { gammaP: "0.3" } }),
    InputError,
  );
  assert.throws(
    () => resolvePipelineConfig({ inputSize: 128, channels: 1, augment: { gammaP: 1.3 } }),
    InputError,
  );
  assert.throws(
    () => resolvePipelineConfig({ inputSize: 128, channels: 1, augment: { normalise: "zscore" } }),
    InputError,
  );
  assert.throws(() => resolvePipelineConfig({ inputSize: 0, channels: 1 }), InputError);
});

const phantom = (seed: number) => generatePhantom(seed, { width: 160, height: 112 });
const CFG = { inputSize: 96, channels: 3 as const };

Deno.test("eval pipeline: deterministic, letterboxed to S, landmarks map back exactly", () => {
  const p = phantom(1);
  const pipe = evalPipeline(CFG);
  const a = pipe.run(p, new Rng(1));
  const b = pipe.run(p, new Rng(999));
  assert.deepEqual(a.input.data, b.input.data);
  assert.equal(a.input.width, 96);
  assert.equal(a.input.data.length, 96 * 96 * 3);
  assert.equal(a.maps.length, 1);
  assert.ok(sameUpToOrder(mapToSource(a.maps, a.landmarks) as Landmarks, p.landmarks, 1e-9));
  assert.ok(sameUpToOrder(mapToTarget(a.maps, p.landmarks) as Landmarks, a.landmarks, 1e-9));
});

Deno.test("train pipeline: same seed → identical output; different seed → different", () => {
  const p = phantom(2);
  const pipe = trainPipeline(CFG);
  const a = pipe.run(p, sampleRng(42, 0, 7));
  const b = pipe.run(p, sampleRng(42, 0, 7));
  assert.deepEqual(a.input.data, b.input.data);
  assert.deepEqual(a.mask!.data, b.mask!.data);
  assert.deepEqual(a.landmarks, b.landmarks);
  const c = pipe.run(p, sampleRng(42, 1, 7));
  assert.notDeepEqual(a.input.data, c.input.data);
});

Deno.test("train pipeline: augmented landmarks map back onto the originals; input untouched", () => {
  const p = phantom(3);
  const pipe = trainPipeline(CFG);
  const pre = pipe.preprocess(p);
  const before = pre.image.data.slice();
  let skipped = 0;
  for (let i = 0; i < 40; i++) {
    const out = pipe.finish(pipe.augment(pre, sampleRng(1, 0, i)));
    skipped += out.skipped.length;
    assert.ok(isCanonical(out.landmarks));
    for (const q of out.landmarks) assert.ok(q.x >= 0 && q.x <= 95 && q.y >= 0 && q.y <= 95);
    const back = mapToSource(out.maps, out.landmarks) as Landmarks;
    assert.ok(sameUpToOrder(back, p.landmarks, 1e-3), `sample ${i}`);
    assert.ok(out.image.data.every((v) => v >= 0 && v <= 255));
  }
  assert.deepEqual(pre.image.data, before);
  assert.ok(skipped < 10, `${skipped} skips in 40 samples`);
});

Deno.test("augmentation disabled: train pipeline equals eval pipeline", () => {
  const p = phantom(4);
  const train = trainPipeline({ ...CFG, augment: { enabled: false } }).run(p, new Rng(3));
  const ev = evalPipeline(CFG).run(p, new Rng(3));
  assert.deepEqual(train.input.data, ev.input.data);
});

Deno.test("headWindow: hand-computed centre and side; a degenerate set of points is an InputError", () => {
  const l: Landmarks = [{ x: 100, y: 200 }, { x: 300, y: 200 }, { x: 200, y: 140 }, {
    x: 200,
    y: 260,
  }];
  assert.deepEqual(headWindow(l, 1.35), { cx: 200, cy: 200, side: 270 });
  const c = { x: 5, y: 5 };
  assert.throws(() => headWindow([c, c, c, c], 1.35), InputError);
});

Deno.test("headCrop pipeline: the head fills the input at 1/margin, centred; maps back exactly", () => {
  const p = phantom(4);
  const cfg = { ...CFG, augment: { headCrop: 1.25 } };
  const pipe = evalPipeline(cfg);
  const out = pipe.run(p, new Rng(0));
  const [o1, o2] = out.landmarks;
  // The phantom's OFD is its longer axis: 96 / 1.25 model px long, its midpoint the model centre.
  assert.ok(Math.abs(Math.hypot(o2.x - o1.x, o2.y - o1.y) - 96 / 1.25) < 1e-9);
  const mx = out.landmarks.reduce((s, q) => s + q.x, 0) / 4;
  const my = out.landmarks.reduce((s, q) => s + q.y, 0) / 4;
  assert.ok(Math.abs(mx - 47.5) < 1e-9 && Math.abs(my - 47.5) < 1e-9);
  assert.ok(sameUpToOrder(mapToSource(out.maps, out.landmarks) as Landmarks, p.landmarks, 1e-9));
  // inputTransform is the map the pipeline recorded.
  const t = pipe.inputTransform(p.image.width, p.image.height, p.landmarks);
  const q = t.toModel(p.landmarks[0]);
  const r = mapToTarget(out.maps, [p.landmarks[0]])[0];
  assert.ok(Math.abs(q.x - r.x) < 1e-12 && Math.abs(q.y - r.y) < 1e-12);
  // Without headCrop the same call is the letterbox.
  const lb = evalPipeline(CFG).inputTransform(p.image.width, p.image.height, p.landmarks);
  assert.equal(lb.scale, 96 / Math.max(p.image.width, p.image.height));
});

Deno.test("jitteredHeadCrop: no jitter is the labelled window; with jitter, scale and centre stay in their bounds and vary", () => {
  const p = phantom(5);
  const sample = toAugSample(p);
  const exact = headCrop(96, 1.5)(sample, new Rng(0));
  const still = jitteredHeadCrop(96, 1.5, 0, 0)(sample, new Rng(9));
  assert.deepEqual(still.image.data, exact.image.data);
  assert.deepEqual(still.landmarks, exact.landmarks);

  const ofd = Math.hypot(p.landmarks[1].x - p.landmarks[0].x, p.landmarks[1].y - p.landmarks[0].y);
  const w = headWindow(p.landmarks, 1.5); // the phantom's OFD is its longer axis: side = 1.5 OFD
  const lengths = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const out = jitteredHeadCrop(96, 1.5, 0.2, 0.05)(sample, new Rng(i));
    const [o1, o2] = out.landmarks;
    const len = Math.hypot(o2.x - o1.x, o2.y - o1.y); // = 96 · OFD / side
    const side = (96 * ofd) / len;
    assert.ok(side >= w.side * 0.8 - 1e-9 && side <= w.side * 1.2 + 1e-9, `side ${side}`);
    // The labelled centre sits at most 0.05 · (labelled side) from the window centre, per axis.
    const t = mapToTarget(out.maps, [{ x: w.cx, y: w.cy }])[0];
    const limit = (0.05 * w.side * 96) / side + 1e-9;
    assert.ok(
      Math.abs(t.x - 47.5) <= limit && Math.abs(t.y - 47.5) <= limit,
      `centre ${t.x}, ${t.y}`,
    );
    assert.ok(sameUpToOrder(mapToSource(out.maps, out.landmarks) as Landmarks, p.landmarks, 1e-9));
    lengths.add(len.toFixed(6));
  }
  assert.equal(lengths.size, 30, "every draw frames the head differently");
});

Deno.test("train pipeline with random head windows: preprocess stops at native size, augment crops, eval keeps the labelled window", () => {
  const p = phantom(6);
  const cfg = { ...CFG, augment: { headCrop: 1.5, windowScaleLimit: 0.2, windowShiftLimit: 0.05 } };
  const train = trainPipeline(cfg);
  const pre = train.preprocess(p);
  assert.equal(pre.image.width, p.image.width);
  assert.equal(pre.image.height, p.image.height);
  assert.equal(pre.maps.length, 0);
  const out = train.finish(train.augment(pre, sampleRng(0, 0, 1)));
  assert.equal(out.input.width, 96);
  assert.equal(out.mask?.width, 96);
  assert.ok(sameUpToOrder(mapToSource(out.maps, out.landmarks) as Landmarks, p.landmarks, 1e-3));
  // Evaluation and a disabled augmentation crop the labelled window, as without the limits.
  const ev = evalPipeline(cfg).run(p, new Rng(0));
  assert.deepEqual(
    ev.input.data,
    evalPipeline({ ...CFG, augment: { headCrop: 1.5 } }).run(p, new Rng(0)).input.data,
  );
  const off = trainPipeline({ ...cfg, augment: { ...cfg.augment, enabled: false } }).run(
    p,
    new Rng(0),
  );
  assert.deepEqual(off.input.data, ev.input.data);
  for (const bad of [-0.1, 1]) {
    assert.throws(
      () => resolvePipelineConfig({ ...CFG, augment: { windowScaleLimit: bad } }),
      InputError,
    );
  }
});
