import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import { cvConfig, main } from "../../lib/cli/cv.ts";
import { loadDataset } from "../../lib/data/dataset.ts";
import { CV_METRICS, cvRows, meanStd, runCrossValidation } from "../../lib/inference/cv.ts";
import { InterruptedError } from "../../lib/inference/interrupt.ts";
import { mergeConfig } from "../../lib/training/config.ts";
import { silentProgress } from "../../lib/training/progress.ts";
import { resolveConfig } from "../../lib/training/tasks/mod.ts";
import { tinyDataset } from "../inference/helpers.ts";
import { tempDir } from "../temp_dir.ts";

Deno.test("meanStd: hand-computed mean and sample std; non-finite values left out", () => {
  const a = meanStd([1, 2, 3, 4]);
  assert.equal(a.mean, 2.5);
  assert.ok(Math.abs(a.std - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(a.n, 4);
  const b = meanStd([NaN, 2]);
  assert.deepEqual([b.mean, b.n], [2, 1]);
  assert.ok(Number.isNaN(b.std));
  assert.ok(Number.isNaN(meanStd([]).mean));
});

Deno.test("cvConfig: families, variants, registry models, mismatches", async () => {
  assert.equal((await cvConfig("unet")).name, "unet/cpu");
  assert.equal((await cvConfig("unet", "quick")).name, "unet/quick");
  assert.equal((await cvConfig("coord", "quick")).name, "quick");
  assert.equal((await cvConfig("heatmap", "heatmap/quick")).name, "heatmap/quick");
  const custom = await cvConfig("coord-effb0-w0.5", "quick");
  assert.deepEqual([custom.name, custom.model.name, custom.task], [
    "quick",
    "coord-effb0-w0.5",
    "coord",
  ]);
  await assert.rejects(cvConfig("unet", "heatmap/cpu"), /trains task heatmap/);
  await assert.rejects(cvConfig("no-such-model"), /unknown model/);
  await assert.rejects(main(["--model", "unet", "--folds", "1"]), /--folds must be an integer ≥ 2/);
  await assert.rejects(main(["--folds", "3"]), /--model is required/);
});

Deno.test("cross-validation: grouped folds cover the data once, summary = mean ± std of folds, resumable", async () => {
  await initBackend({ prefer: "cpu" });
  await using temp = await tempDir("cv-test-");
  const root = temp.path;
  const dataDir = await tinyDataset(root, 9);
  const config = mergeConfig(await resolveConfig("quick"), {
    inputSize: 32,
    batchSize: 2,
    epochs: 2,
    stepsPerEpoch: 1,
    visualiseCount: 0,
  });
  const lines: string[] = [];
  const opts = {
    config,
    folds: 2,
    id: "t",
    overrides: { "data.dir": dataDir },
    log: (l: string) => lines.push(l),
    progress: () => silentProgress,
    resultsRoot: join(root, "results", "runs"),
    checkpointsRoot: join(root, "checkpoints", "runs"),
  };
  // Ctrl-C during the first fold: it stops after its first epoch with its `last` checkpoint;
  // rerunning resumes it.
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(runCrossValidation({ ...opts, signal: stop.signal }), InterruptedError);
  lines.length = 0;
  const r = await runCrossValidation(opts);
  assert.ok(lines.some((l) => l.includes("resuming cv-t-fold0")), lines.join("\n"));
  assert.equal(r.folds.length, 2);
  // The same id with other settings would mix folds of two experiments.
  await assert.rejects(
    runCrossValidation({ ...opts, folds: 3 }),
    /cv t was started with 2 folds \(now 3\); rerun it as it was started/,
  );
  await assert.rejects(
    runCrossValidation({ ...opts, overrides: { ...opts.overrides, epochs: "3" } }),
    /was started with overrides \{"data\.dir":.*\} \(now \{"data\.dir":.*"epochs":"3"\}\)/,
  );

  // Validation sets of the folds: disjoint, together every image, groups never split.
  const records = await loadDataset(dataDir);
  const valIds = await Promise.all(
    [0, 1].map(async (k) =>
      JSON.parse(
        await Deno.readTextFile(join(root, "results", "runs", `cv-t-fold${k}`, "run.json")),
      ).data.split.valIds as string[]
    ),
  );
  assert.deepEqual(valIds.flat().sort(), records.map((x) => x.id).sort());
  const groupOfId = new Map(records.map((x) => [x.id, x.group]));
  const foldOfGroup = new Map<string, number>();
  valIds.forEach((ids, k) =>
    ids.forEach((id) => {
      const g = groupOfId.get(id)!;
      assert.equal(foldOfGroup.get(g) ?? k, k, `group ${g} in two folds`);
      foldOfGroup.set(g, k);
    })
  );
  r.folds.forEach((f, k) => assert.equal(f.images, valIds[k].length));

  // Summary = mean and sample std of the fold values, computed here independently.
  const mre = r.folds.map((f) => f.mre_px);
  const mean = (mre[0] + mre[1]) / 2;
  assert.ok(Math.abs(r.summary.mre_px.mean - mean) < 1e-9);
  const std = Math.abs(mre[0] - mre[1]) / Math.SQRT2; // sample std of two values
  assert.ok(Math.abs(r.summary.mre_px.std - std) < 1e-9);
  for (const ext of ["json", "md", "csv"]) await Deno.stat(join(r.dir, `cv_summary.${ext}`));
  // A landmark model reports no Dice: the tables leave that row out instead of an empty one.
  assert.equal(r.summary.dice.n, 0);
  assert.deepEqual(cvRows(r).map((row) => row.metric), CV_METRICS.filter((k) => k !== "dice"));

  // Rerun: every fold is skipped and the summary is unchanged.
  lines.length = 0;
  const again = await runCrossValidation(opts);
  assert.equal(lines.filter((l) => l.includes("done before")).length, 2);
  assert.deepEqual(again.summary, r.summary);

  // A fold without its scores file is taken up again from its checkpoint.
  await Deno.remove(join(r.dir, "folds", "fold1.json"));
  lines.length = 0;
  const resumed = await runCrossValidation(opts);
  assert.ok(lines.some((l) => l.includes("resuming cv-t-fold1")));
  assert.equal(resumed.folds[1].mre_px, r.folds[1].mre_px);
});
