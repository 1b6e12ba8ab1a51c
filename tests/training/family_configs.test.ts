import assert from "node:assert/strict";
import { describeModel } from "../../lib/models/mod.ts";
import { createTaskAdapter, resolveConfig } from "../../lib/training/tasks/mod.ts";

/** name → task, model, input size, channels. */
const TABLE: [string, string, string, number, number][] = [
  ["heatmap/cpu", "heatmap", "heatmap-unet-r18-w0.5", 192, 1],
  ["heatmap/quick", "heatmap", "heatmap-unet-r18-w0.5", 64, 1],
  ["unet/cpu", "segmentation", "unet-r18-w0.5", 256, 1],
  ["unet/quick", "segmentation", "unet-r18-w0.5", 64, 1],
  ["unet/seed", "segmentation", "unet-r34", 512, 3],
  ["deeplab/cpu", "segmentation", "deeplabv3plus-r50-w0.25", 224, 1],
  ["deeplab/quick", "segmentation", "deeplabv3plus-r50-w0.25", 64, 1],
  ["deeplab/seed", "segmentation", "deeplabv3plus-r50", 512, 3],
  ["multitask/cpu", "multitask", "multitask-r18-w0.5", 192, 1],
  ["multitask/quick", "multitask", "multitask-r18-w0.5", 64, 1],
];

Deno.test("family configs resolve by name, with adapters that fit their models", async () => {
  for (const [name, task, model, size, channels] of TABLE) {
    const c = await resolveConfig(name);
    assert.equal(c.name, name);
    assert.equal(c.task, task, name);
    assert.equal(c.model.name, model, name);
    assert.equal(c.inputSize, size, name);
    assert.equal(c.channels, channels, name);
    const adapter = await createTaskAdapter(c);
    assert.equal(adapter.task, task);
    // The adapter's targets have the shapes of the model's outputs.
    const outputs = describeModel(c.model.name, {
      ...c.model.options,
      inputSize: c.inputSize,
      inChannels: c.channels,
    }).outputs;
    assert.deepEqual(adapter.targetShapes(c.inputSize), outputs.map((o) => o.shape), name);
  }
});

Deno.test("family configs: quick runs use phantoms and few steps; seed runs the seed's recipe", async () => {
  for (const family of ["heatmap", "unet", "deeplab", "multitask"]) {
    const q = await resolveConfig(`${family}/quick`);
    assert.equal(q.data.dir, "phantoms");
    assert.ok(q.epochs * q.stepsPerEpoch <= 30, family);
    const cpu = await resolveConfig(`${family}/cpu`);
    assert.equal(cpu.data.dir, "", family);
    assert.equal(cpu.schedule.kind, "cosine-warmup");
  }
  for (const family of ["unet", "deeplab"]) {
    const s = await resolveConfig(`${family}/seed`);
    assert.deepEqual(
      [s.optimizer.lr, s.optimizer.weightDecay, s.schedule.kind, s.epochs, s.batchSize],
      [1e-4, 1e-5, "plateau", 150, 16],
    );
  }
  const deeplab = await resolveConfig("deeplab/seed");
  assert.equal(deeplab.model.options.outputStride, 16);
  await assert.rejects(() => resolveConfig("unet/gpu"), /unknown config "unet\/gpu"/);
});

Deno.test("second-stage configs: the first stage's model and size on a head window; how windows vary", async () => {
  // name → head window, drawn window scale (0: the labelled window, zoomed by shiftScaleRotate).
  const stages: [string, number, number][] = [
    ["heatmap-fine", 1.35, 0.15],
    ["unet-fine", 1.5, 0],
    ["deeplab-fine", 1.5, 0.25],
  ];
  assert.equal((await resolveConfig("deeplab-fine/cpu")).epochs, 46);
  assert.equal(
    (await resolveConfig("unet-fine/cpu")).epochs,
    (await resolveConfig("unet/cpu")).epochs,
  );
  for (const [fine, crop, draw] of stages) {
    for (const variant of ["cpu", "quick"]) {
      const c = await resolveConfig(`${fine}/${variant}`);
      const first = await resolveConfig(`${fine.replace("-fine", "")}/${variant}`);
      assert.equal(c.model.name, first.model.name, fine);
      assert.equal(c.inputSize, first.inputSize, fine);
      assert.equal(c.task, first.task, fine);
      // The smoke runs share one schedule; the second stages' own (deeplab-fine: 46 epochs, as
      // shipped) apply to the full configs only.
      if (variant === "quick") assert.equal(c.epochs, first.epochs, fine);
      assert.equal(c.augment.headCrop, crop, fine);
      assert.equal(c.augment.windowScaleLimit ?? 0, draw, fine);
      if (draw > 0) {
        // Drawn windows replace the zoom and shift; rotation stays.
        assert.equal(c.augment.windowShiftLimit, 0.05, fine);
        assert.equal(c.augment.scaleLimit, 0, fine);
        assert.equal(c.augment.shiftLimit, 0, fine);
      }
    }
  }
});
