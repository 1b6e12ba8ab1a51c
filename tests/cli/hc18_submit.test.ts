import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../lib/cli/hc18_submit.ts";
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
import { readGray, writeGrayPng } from "../../lib/io/image.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { CoarseToFine } from "../../lib/inference/coarse_to_fine.ts";
import { createModel } from "../../lib/models/mod.ts";
import { evalPipeline } from "../../lib/transforms/pipeline.ts";
import type { RunConfig } from "../../lib/training/config.ts";
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

/** A tiny segmentation run (two optimisation steps at 32 px), checkpointed the way the trainer does it. */
async function tinySegmentationRun(root: string): Promise<{ runDir: string; config: RunConfig }> {
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
  const runDir = join(root, "checkpoints", "run1");
  await train({
    config,
    model,
    task: createTask(config),
    train: memorySource(phantomSamples(4, 70, 60, 40), pipe),
    val: memorySource(phantomSamples(2, 80, 60, 40), pipe),
    checkpointDir: runDir,
  });
  model.dispose();
  return { runDir, config };
}

/** An HC18-shaped test folder: three phantoms of two sizes with their pixel sizes. */
async function hc18TestFolder(root: string): Promise<string> {
  const data = join(root, "hc18");
  await Deno.mkdir(join(data, "test_set"), { recursive: true });
  for (let i = 0; i < 3; i++) {
    const p = generatePhantom(200 + i, { width: SIZES[i][0], height: SIZES[i][1] });
    await writeGrayPng(join(data, "test_set", NAMES[i]), p.image);
  }
  await Deno.writeTextFile(
    join(data, "test_set", "test_set_pixel_size.csv"),
    "filename,pixel size(mm)\n" + NAMES.map((n, i) => `${n},${PX[i]}`).join("\n") + "\n",
  );
  return data;
}

const NAMES = ["000_HC.png", "001_HC.png", "002_HC.png"];
const SIZES: [number, number][] = [[80, 54], [74, 56], [80, 54]];
const PX = [0.1, 0.2, 0.15];

/** The submission rows as numbers, and the QA table. */
async function readOutputs(out: string) {
  const t = parseCsv(await Deno.readTextFile(out));
  assert.deepEqual(t.header, [...SUBMISSION_HEADER]);
  assert.deepEqual(t.rows.map((r) => r[0]), NAMES);
  const qa = parseCsv(await Deno.readTextFile(out.replace(/\.csv$/, "_qa.csv")));
  assert.deepEqual(qa.header, ["filename", "hc_mm", "valid", "reasons"]);
  assert.deepEqual(qa.rows.map((r) => r[0]), NAMES);
  return { rows: t.rows.map((r) => r.slice(1).map(Number)), qa: qa.rows };
}

const rowNumbers = (r: ReturnType<typeof submissionRow>) => [
  r.centerXMm,
  r.centerYMm,
  r.semiAxisAMm,
  r.semiAxisBMm,
  r.angleRad,
];

function assertClose(got: number[], want: number[], tol: number, what: string): void {
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) <= tol, `${what}[${i}]: ${v} vs ${want[i]}`)
  );
}

Deno.test("hc18:submit: a checkpoint trained for two steps, TTA by default and --no-tta", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "hc18_submit_" });
  try {
    const { runDir, config } = await tinySegmentationRun(tmp);
    const data = await hc18TestFolder(tmp);
    const cli = (model: string, out: string, ...more: string[]) =>
      main([
        "--model",
        model,
        "--data",
        data,
        "--out",
        join(tmp, "out", out),
        "--backend",
        "cpu",
        ...more,
      ]);

    await t.step("the run's config is required: beside the checkpoint or --config", async () => {
      await assert.rejects(() => cli(runDir, "x.csv"), /no run config/);
      await assert.rejects(() => main(["--data", data]), /--model <checkpoint dir> is required/);
      await assert.rejects(() => cli(join(tmp, "nowhere"), "x.csv"), InputError);
      // An --out that names a folder fails before the model loads, not after every prediction.
      await assert.rejects(
        () => main(["--model", join(tmp, "nowhere"), "--data", data, "--out", tmp]),
        /--out names a folder; give a file name inside it/,
      );
      await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config));
    });

    await t.step("rows are the Predictor's ellipses in mm, QA its verdicts", async () => {
      assert.equal(await cli(runDir, "tta.csv"), 0);
      assert.equal(await cli(join(runDir, "best"), "plain.csv", "--no-tta"), 0);
      const tta = await readOutputs(join(tmp, "out", "tta.csv"));
      const plain = await readOutputs(join(tmp, "out", "plain.csv"));
      // The mirror and shifts change what the model sees, so TTA is really on by default.
      assert.notDeepEqual(tta.rows, plain.rows);
      const predictor = await Predictor.fromDir(join(runDir, "best"), config);
      try {
        const images = await Promise.all(NAMES.map(async (id, i) => ({
          id,
          image: await readGray(join(data, "test_set", id)),
          pixelSizeMm: PX[i],
        })));
        for (const [mode, got] of [[true, tta], [false, plain]] as const) {
          const preds = await predictor.predict(images, { tta: mode });
          preds.forEach((p, i) => {
            const want = submissionRow(NAMES[i], p.ellipse, PX[i]);
            assertClose(got.rows[i], rowNumbers(want), 1e-12, `tta=${mode} ${NAMES[i]}`);
            assert.equal(Number(got.qa[i][1]), rowHcMm(want));
            assert.equal(got.qa[i][2], String(p.plausible));
            assert.equal(got.qa[i][3], (p.issues ?? []).join("; "));
            // Without TTA the ellipse is the one the landmarks span (what the old path wrote).
            if (!mode) {
              const viaLandmarks = submissionRow(NAMES[i], landmarksToEllipse(p.landmarks), PX[i]);
              assertClose(got.rows[i], rowNumbers(viaLandmarks), 1e-9, `landmarks ${NAMES[i]}`);
            }
          });
        }
      } finally {
        predictor.dispose();
      }
    });

    await t.step("--refine: rows are the coarse-to-fine chain's ellipses", async () => {
      // The same weights as a head-crop model: what matters here is the wiring, not accuracy.
      const fineDir = join(tmp, "fine");
      await Deno.mkdir(fineDir);
      for (const f of ["model.json", "weights.bin"]) {
        await Deno.copyFile(join(runDir, "best", f), join(fineDir, f));
      }
      const fineConfig = { ...config, augment: { ...config.augment, headCrop: 1.35 } };
      await Deno.writeTextFile(join(fineDir, "config.json"), JSON.stringify(fineConfig));
      assert.equal(await cli(runDir, "refined.csv", "--refine", fineDir, "--no-tta"), 0);
      const got = await readOutputs(join(tmp, "out", "refined.csv"));
      const chain = new CoarseToFine(
        await Predictor.fromDir(join(runDir, "best"), config),
        await Predictor.fromDir(fineDir, fineConfig),
      );
      try {
        const images = await Promise.all(NAMES.map(async (id, i) => ({
          id,
          image: await readGray(join(data, "test_set", id)),
          pixelSizeMm: PX[i],
        })));
        const preds = await chain.predict(images);
        preds.forEach((p, i) => {
          const want = submissionRow(NAMES[i], p.ellipse, PX[i]);
          assertClose(got.rows[i], rowNumbers(want), 1e-12, `refined ${NAMES[i]}`);
        });
      } finally {
        chain.dispose();
      }
      await assert.rejects(
        () => cli(runDir, "x.csv", "--refine", join(tmp, "nowhere")),
        InputError,
      );
    });

    await t.step(
      "no ellipse fitted: a zero-size ellipse at the image centre, flagged",
      async () => {
        // A threshold no logit of this model reaches empties every mask (and every TTA variant's).
        const strict = join(tmp, "strict.json");
        await Deno.writeTextFile(
          strict,
          JSON.stringify({
            ...config,
            taskOptions: { ...config.taskOptions, threshold: 0.999999 },
          }),
        );
        for (const mode of [[], ["--no-tta"]]) {
          assert.equal(await cli(runDir, "empty.csv", "--config", strict, ...mode), 0);
          const got = await readOutputs(join(tmp, "out", "empty.csv"));
          got.rows.forEach((r, i) => {
            const [w, h] = SIZES[i];
            assert.deepEqual(r, [((w - 1) / 2) * PX[i], ((h - 1) / 2) * PX[i], 0, 0, 0], NAMES[i]);
            assert.deepEqual(got.qa[i].slice(1, 3), ["0", "false"]);
            assert.match(got.qa[i][3], /^empty: /);
          });
        }
      },
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
