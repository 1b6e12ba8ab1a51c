import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { main, resolveRun } from "../../lib/cli/hc18_submit.ts";
import { parseCsv } from "../../lib/core/csv.ts";
import { InputError } from "../../lib/core/errors.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import {
  formatSubmission,
  rowHcMm,
  SUBMISSION_HEADER,
  submissionRow,
} from "../../lib/data/hc18_submission.ts";
import { ellipseToLandmarks, landmarksToEllipse } from "../../lib/geometry/ellipse.ts";
import { measuresFromEllipse } from "../../lib/geometry/measures.ts";
import { writeGrayPng } from "../../lib/io/image.ts";
import { createModel } from "../../lib/models/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import { memorySource } from "../../lib/training/data.ts";
import { createTask } from "../../lib/training/tasks/segmentation.ts";
import { train } from "../../lib/training/trainer.ts";
import { phantomSamples, tinyConfig } from "../training/helpers.ts";

await tf.setBackend("cpu");

Deno.test("submission row: mm from pixel centres, a ≥ b, angle of the a axis in [0, π)", () => {
  const px = 0.2;
  const table: [Parameters<typeof submissionRow>[1], number[]][] = [
    [{ cx: 100, cy: 50, a: 40, b: 30, angle: 0.3 }, [20, 10, 8, 6, 0.3]],
    // b > a: the axes swap and the a direction turns by π/2.
    [{ cx: 0, cy: 0, a: 30, b: 40, angle: 0.3 }, [0, 0, 8, 6, 0.3 + Math.PI / 2]],
    // Turning past π wraps: 3 + π/2 − π.
    [{ cx: 10, cy: 5, a: 30, b: 40, angle: 3 }, [2, 1, 8, 6, 3 - Math.PI / 2]],
  ];
  for (const [e, want] of table) {
    const r = submissionRow("x.png", e, px);
    const got = [r.centerXMm, r.centerYMm, r.semiAxisAMm, r.semiAxisBMm, r.angleRad];
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]) < 1e-12, `${JSON.stringify(e)}[${i}]: ${v}`)
    );
  }
  // The HC the challenge computes from the row equals the ellipse's HC.
  const e = { cx: 400, cy: 270, a: 120, b: 95, angle: 2.1 };
  assert.ok(
    Math.abs(rowHcMm(submissionRow("y.png", e, 0.15)) - measuresFromEllipse(e, 0.15).hcMm) < 1e-9,
  );
  // Landmarks → ellipse is the inverse of ellipse → landmarks, so both routes give one row.
  const viaLandmarks = submissionRow("y.png", landmarksToEllipse(ellipseToLandmarks(e)), 0.15);
  const direct = submissionRow("y.png", e, 0.15);
  for (const k of Object.keys(direct) as (keyof typeof direct)[]) {
    if (k !== "filename") {
      assert.ok(Math.abs((viaLandmarks[k] as number) - (direct[k] as number)) < 1e-9, k);
    }
  }
  assert.throws(() => submissionRow("z.png", e, 0), InputError);
  assert.throws(() => submissionRow("z.png", { ...e, a: NaN }, 0.1), /ellipse a is not finite/);
});

Deno.test("submission CSV: the challenge's header, one row per image, full precision", () => {
  const rows = [
    submissionRow("000_HC.png", { cx: 1 / 3, cy: 2, a: 3, b: 1, angle: 0 }, 1),
    submissionRow("001_HC.png", { cx: 5, cy: 6, a: 7, b: 2, angle: 1 }, 0.5),
  ];
  const t = parseCsv(formatSubmission(rows));
  assert.deepEqual(t.header, [...SUBMISSION_HEADER]);
  assert.deepEqual(t.rows[0], ["000_HC.png", String(1 / 3), "2", "3", "1", "0"]);
  assert.deepEqual(t.rows[1], ["001_HC.png", "2.5", "3", "3.5", "1", "1"]);
});

Deno.test("hc18:submit: a checkpoint trained for two steps writes one row per test image", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "hc18_submit_" });
  try {
    // A tiny segmentation run, checkpointed the way the trainer does it, config beside it.
    const config = tinyConfig({
      name: "unet/test",
      task: "segmentation",
      model: {
        name: "unet-r18-w0.5",
        options: { encoder: "resnet18-w0.25", decoderChannels: [16, 8, 8, 8, 8] },
      },
      inputSize: 32,
      batchSize: 2,
      epochs: 1,
      stepsPerEpoch: 2,
    });
    const model = createModel(config.model.name, {
      ...config.model.options,
      inputSize: 32,
      inChannels: 1,
      seed: config.seed,
    });
    const pipe = evalPipeline(config);
    const runDir = join(tmp, "checkpoints", "run1");
    await train({
      config,
      model,
      task: createTask(config),
      train: memorySource(phantomSamples(4, 70, 60, 40), pipe),
      val: memorySource(phantomSamples(2, 80, 60, 40), pipe),
      checkpointDir: runDir,
    });
    model.dispose();
    await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config));
    const found = await resolveRun(runDir);
    assert.equal(found.checkpointDir, join(runDir, "best"));
    assert.equal(found.config.model.name, "unet-r18-w0.5");
    // A self-contained folder (model.json + config.json, like a shipped model) is used as is.
    await Deno.writeTextFile(
      join(runDir, "best", "config.json"),
      JSON.stringify({ ...config, seed: 5 }),
    );
    const self = await resolveRun(join(runDir, "best"));
    assert.equal(self.configPath, join(runDir, "best", "config.json"));
    assert.equal(self.config.seed, 5);

    // An HC18-shaped test folder with three images of different sizes.
    const data = join(tmp, "hc18");
    await Deno.mkdir(join(data, "test_set"), { recursive: true });
    const sizes: [number, number][] = [[80, 54], [74, 56], [80, 54]];
    const names = ["000_HC.png", "001_HC.png", "002_HC.png"];
    for (let i = 0; i < 3; i++) {
      const p = generatePhantom(200 + i, { width: sizes[i][0], height: sizes[i][1] });
      await writeGrayPng(join(data, "test_set", names[i]), p.image);
    }
    await Deno.writeTextFile(
      join(data, "test_set", "test_set_pixel_size.csv"),
      "filename,pixel size(mm)\n000_HC.png,0.1\n001_HC.png,0.2\n002_HC.png,0.15\n",
    );

    const out = join(tmp, "out", "submission.csv");
    const rc = await main(["--model", runDir, "--data", data, "--out", out, "--backend", "cpu"]);
    assert.equal(rc, 0);
    const t = parseCsv(await Deno.readTextFile(out));
    assert.deepEqual(t.header, [...SUBMISSION_HEADER]);
    assert.deepEqual(t.rows.map((r) => r[0]), names);
    for (const r of t.rows) {
      const [cx, cy, a, b, angle] = r.slice(1).map(Number);
      assert.ok([cx, cy, a, b, angle].every(Number.isFinite), r.join(","));
      assert.ok(a >= b && b >= 0 && angle >= 0 && angle < Math.PI, r.join(","));
    }
    const qa = parseCsv(await Deno.readTextFile(join(tmp, "out", "submission_qa.csv")));
    assert.deepEqual(qa.header, ["filename", "hc_mm", "valid", "reasons"]);
    assert.equal(qa.rows.length, 3);
    assert.ok(qa.rows.every((r) => r[2] === "true" || r[2] === "false"));

    await assert.rejects(() => main(["--data", data]), /--model <checkpoint dir> is required/);
    await assert.rejects(() => resolveRun(join(tmp, "nowhere")), InputError);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
