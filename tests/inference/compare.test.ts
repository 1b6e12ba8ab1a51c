import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import {
  comparisonRows,
  metricsOf,
  runComparison,
  writeComparison,
} from "../../lib/inference/compare.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import { getConfig } from "../../lib/training/configs.ts";
import { failureAuroc } from "../../lib/inference/uncertainty.ts";
import { silentProgress } from "../../lib/training/progress.ts";
import { tempDir } from "../temp_dir.ts";
import { tinyDataset } from "./helpers.ts";

await initBackend({ prefer: "cpu" });

Deno.test("runComparison: every family on one split, scored alike; finished runs are reused", async () => {
  await using temp = await tempDir("compare-test-");
  const root = temp.path;
  const dataDir = await tinyDataset(root, 8);
  const lines: string[] = [];
  const opts = {
    families: ["coord", "unet"],
    variant: "quick",
    prefix: "cmp",
    data: dataDir,
    overrides: {
      inputSize: "32",
      batchSize: "2",
      epochs: "1",
      stepsPerEpoch: "2",
      visualiseCount: "0",
    },
    progress: () => silentProgress,
    log: (l: string) => lines.push(l),
    resultsRoot: join(root, "results", "runs"),
    checkpointsRoot: join(root, "checkpoints", "runs"),
  };
  const results = await runComparison(opts);
  assert.deepEqual(results.map((r) => r.family), ["coord", "unet"]);
  const [coord, unet] = results;
  assert.equal(coord.metrics.images, unet.metrics.images);
  assert.deepEqual(coord.evaluation.cases.map((c) => c.id), unet.evaluation.cases.map((c) => c.id));
  assert.equal(coord.metrics.dice, null, "no mask, no Dice");
  assert.ok(unet.metrics.dice !== null && unet.metrics.dice >= 0 && unet.metrics.dice <= 1);
  assert.ok(unet.predictions.every((p) => p.mask && p.mask.width === p.width));
  for (const r of results) {
    assert.ok(r.metrics.ms_per_image > 0 && r.metrics.params > 0 && r.metrics.epochs === 1);
    assert.ok(
      r.metrics.mre_mm !== null && r.metrics.hc_abs_mm !== null,
      "phantoms have pixel sizes",
    );
  }
  // TTA confidence study: one row per image, AUROC as failureAuroc computes it from those rows.
  for (const r of results) {
    const c = r.confidence!;
    assert.equal(c.unit, "mm");
    assert.equal(c.rows.length, r.metrics.images);
    assert.ok(c.rows.every((x) => x.confidence > 0 && x.confidence <= 1 && x.mre >= 0));
    const want = failureAuroc(c.rows.map((x) => x.mre), c.rows.map((x) => x.confidence));
    assert.ok(Object.is(want, c.auroc) || Math.abs(want - c.auroc) < 1e-12);
    assert.equal(r.metrics.tta_auroc, Number.isFinite(want) ? want : null);
    // The TTA evaluation scores the same predictions: its mm MRE is the mean of the rows' MREs.
    const rowMean = c.rows.reduce((s, x) => s + x.mre, 0) / c.rows.length;
    assert.ok(Math.abs(c.evaluation.landmarks.mm!.radial.mean - rowMean) < 1e-9 * (1 + rowMean));
    assert.equal(r.metrics.tta_mre_px, c.evaluation.landmarks.px.radial.mean);
    assert.equal(r.metrics.tta_hc_abs_mm, c.evaluation.clinical!.hcMm.mean);
  }
  // Independent path: the trainer's own report on the best checkpoint (lib/training/run.ts). The
  // segmentation adapter's landmarks are canonical, so both must agree on the MRE.
  const runJson = JSON.parse(await Deno.readTextFile(join(unet.runDir, "run.json")));
  assert.ok(Math.abs(runJson.evaluation.mre_px - unet.metrics.mre_px) < 1e-3 * unet.metrics.mre_px);

  const out = join(root, "results", "runs", "cmp");
  const files = await writeComparison(out, results, { data: "tiny" }, 2);
  for (const f of [files.json, files.csv, files.markdown, files.gallery!]) await Deno.stat(f);
  assert.deepEqual(files.figures, ["mre_by_family", "sdr_by_family", "confidence_vs_error"]);
  for (const f of files.figures) await Deno.stat(join(out, `${f}.png`));
  assert.deepEqual(comparisonRows(results).map((r) => r.family), ["coord", "unet"]);
  assert.match(await Deno.readTextFile(files.markdown), /\| coord +\|/);

  lines.length = 0;
  const again = await runComparison(opts);
  assert.equal(lines.filter((l) => l.includes("reusing finished run")).length, 2);
  assert.equal(again[1].metrics.mre_px, unet.metrics.mre_px);
});

Deno.test("metricsOf: the table's numbers are the evaluation's, hand-checked on two shifted heads", () => {
  const head: Landmarks = [{ x: 100, y: 200 }, { x: 300, y: 200 }, { x: 200, y: 130 }, {
    x: 200,
    y: 270,
  }];
  const shifted = (d: number) => head.map((p) => ({ x: p.x + d, y: p.y })) as Landmarks;
  // 0.5 mm/px: every point 3 px (1.5 mm) off on one image, 6 px (3 mm) on the other. A shift
  // leaves OFD, BPD and HC as they are.
  const ev = evaluate([
    { id: "a", truth: head, pred: shifted(3), pixelSizeMm: 0.5 },
    { id: "b", truth: head, pred: shifted(6), pixelSizeMm: 0.5 },
  ]);
  const m = metricsOf("coord", getConfig("quick"), ev, 12, 345, undefined);
  assert.equal(m.images, 2);
  assert.ok(Math.abs(m.mre_px - 4.5) < 1e-9);
  assert.ok(Math.abs(m.mre_mm! - 2.25) < 1e-9);
  assert.equal(m.sdr_2mm, 0.5); // the four 1.5-mm points of eight
  assert.equal(m.sdr_4mm, 1);
  assert.ok(Math.abs(m.hc_abs_mm!) < 1e-9);
  assert.equal(m.dice, null); // no masks
  assert.equal(m.tta_auroc, null); // no TTA study
  assert.deepEqual([m.ms_per_image, m.params, m.epochs], [12, 345, 0]);
});
