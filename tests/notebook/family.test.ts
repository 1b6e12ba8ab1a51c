import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import { InputError } from "../../lib/core/errors.ts";
import { exists } from "../../lib/core/fs.ts";
import type { Sample, SampleRecord } from "../../lib/core/types.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import {
  type FamilyRun,
  type FamilyRunOptions,
  loadFamilyRun,
  missingPublished,
  quickRunPrefix,
  readHistory,
} from "../../lib/notebook/family.ts";
import {
  meanShapeBaseline,
  plantedFaultAudit,
  trainingCurveFigures,
} from "../../lib/notebook/family_views.ts";
import { chainWilcoxonRows, loadChains } from "../../lib/notebook/comparison.ts";
import { silentProgress } from "../../lib/training/progress.ts";
import { CoarseToFine } from "../../lib/inference/coarse_to_fine.ts";
import { Predictor } from "../../lib/inference/predictor.ts";

await initBackend({ prefer: "cpu" });

/** Tiny quick-config overrides: 32 px, one epoch of two steps, on `dataDir`. */
function tinyOptions(root: string, dataDir: string): FamilyRunOptions {
  return {
    quick: true,
    overrides: {
      "data.dir": dataDir,
      "data.valFraction": "0.25",
      inputSize: "32",
      batchSize: "2",
      epochs: "1",
      stepsPerEpoch: "2",
      visualiseCount: "0",
    },
    progress: silentProgress,
    resultsRoot: join(root, "results", "runs"),
    checkpointsRoot: join(root, "checkpoints", "runs"),
    publishedRoot: join(root, "results", "published"),
    shippedRoot: join(root, "checkpoints"),
  };
}

async function tinyData(root: string): Promise<string> {
  const dir = join(root, "data");
  await writePhantomDataset(dir, { count: 8, seed: 3, width: 64, height: 48 });
  return dir;
}

function mre(r: FamilyRun): number {
  return r.evaluation.landmarks.px.radial.mean;
}

Deno.test("loadFamilyRun: quick run, its reuse, fallback note, and the published path agree", async () => {
  const root = await Deno.makeTempDir({ prefix: "family-test-" });
  const opts = tinyOptions(root, await tinyData(root));
  // Two earlier quick runs: one nobody has written to for an hour (superseded, removed after the
  // next training) and one written just now (perhaps someone else's, still training: kept).
  const stale = `${quickRunPrefix("coord")}20000101-000000-1`;
  const busy = `${quickRunPrefix("coord")}20000101-000001-1`;
  for (const id of [stale, busy]) {
    for (const r of [opts.resultsRoot!, opts.checkpointsRoot!]) {
      await Deno.mkdir(join(r, id), { recursive: true });
    }
    await Deno.writeTextFile(join(opts.resultsRoot!, id, "run.json"), "{}");
  }
  const hourAgo = new Date(Date.now() - 3600_000);
  await Deno.utime(join(opts.resultsRoot!, stale, "run.json"), hourAgo, hourAgo);

  const quick = await loadFamilyRun("coord", opts);
  for (const r of [opts.resultsRoot!, opts.checkpointsRoot!]) {
    assert.equal(await exists(join(r, stale)), false, "stale run removed");
    assert.equal(await exists(join(r, busy)), true, "recent run kept");
  }
  assert.equal(quick.source, "quick");
  assert.equal(quick.history.length, 1);
  assert.equal(quick.history[0].epoch, 1);
  assert.equal(quick.predictions.length, quick.val.records.length);
  assert.equal(quick.evaluation.nImages, quick.val.records.length);
  assert.equal(quick.splitMatchesRun, true);
  assert.ok(quick.params > 0 && quick.msPerImage > 0);
  const runId = quick.run.runId!;
  assert.ok(runId.startsWith(quickRunPrefix("coord")));
  assert.equal(quick.weightsDir, join(opts.checkpointsRoot!, runId, "best"));
  assert.ok(Number.isFinite(mre(quick)));

  // reuse: the finished run with the same config is not retrained (same start time, same scores).
  const runJson = join(opts.resultsRoot!, runId, "run.json");
  const started = JSON.parse(await Deno.readTextFile(runJson)).startedAt;
  const reused = await loadFamilyRun("coord", { ...opts, reuse: true, val: quick.val });
  assert.equal(reused.run.runId, runId);
  assert.equal(JSON.parse(await Deno.readTextFile(runJson)).startedAt, started);
  assert.equal(reused.val, quick.val, "same split: the loaded images are shared");
  assert.equal(mre(reused), mre(quick));
  assert.ok(reused.note.includes("reused"));

  // Full mode without a published run: the quick path, with the missing files and the commands.
  const missing = await missingPublished("coord", opts.publishedRoot, opts.shippedRoot);
  assert.equal(missing.length, 4);
  const fallback = await loadFamilyRun("coord", { ...opts, quick: false, reuse: true });
  assert.equal(fallback.source, "quick");
  assert.ok(fallback.note.includes("deno task train --config cpu"));
  assert.ok(fallback.note.includes("lib/inference/ship.ts"));

  // A published folder made from the same run, the weights as the shipped model: re-scoring must
  // reproduce the quick run's numbers exactly (same weights, same split, same scoring).
  const pub = join(opts.publishedRoot!, "coord");
  const shipped = join(opts.shippedRoot!, "coord");
  await Deno.mkdir(pub, { recursive: true });
  await Deno.mkdir(shipped, { recursive: true });
  const runDir = join(opts.resultsRoot!, runId);
  for (const f of ["config.json", "run.json", "metrics.csv"]) {
    await Deno.copyFile(join(runDir, f), join(pub, f));
  }
  for (const f of ["model.json", "weights.bin"]) {
    await Deno.copyFile(join(quick.weightsDir, f), join(shipped, f));
  }
  assert.deepEqual(await missingPublished("coord", opts.publishedRoot, opts.shippedRoot), []);
  const published = await loadFamilyRun("coord", { ...opts, quick: false });
  assert.equal(published.source, "published");
  assert.equal(published.weightsDir, shipped);
  assert.equal(published.splitMatchesRun, true);
  assert.deepEqual(published.history, quick.history);
  assert.deepEqual(
    published.evaluation.landmarks.images.map((i) => i.mrePx),
    quick.evaluation.landmarks.images.map((i) => i.mrePx),
  );
  assert.equal(trainingCurveFigures(published.history).length, 2, "no Dice column, no Dice chart");
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadFamilyRun: a second stage is scored behind its first stage, and refused without it", async () => {
  const root = await Deno.makeTempDir({ prefix: "family-test-" });
  const opts = tinyOptions(root, await tinyData(root));
  const coarse = await loadFamilyRun("heatmap", opts);
  await assert.rejects(
    () => loadFamilyRun("heatmap-fine", opts),
    (e: unknown) => e instanceof InputError && /second stage/.test(e.message),
  );
  await assert.rejects(
    () => loadFamilyRun("heatmap-fine", { ...opts, firstStage: { ...coarse, family: "unet" } }),
    InputError,
  );
  const fine = await loadFamilyRun("heatmap-fine", {
    ...opts,
    firstStage: coarse,
    val: coarse.val,
  });
  assert.equal(fine.config.augment.headCrop, 1.35);
  assert.ok(fine.note.includes("second stage behind the heatmap model"));
  // The same numbers as chaining the two checkpoints by hand.
  const chain = new CoarseToFine(
    await Predictor.fromDir(coarse.weightsDir, coarse.config),
    await Predictor.fromDir(fine.weightsDir, fine.config),
  );
  try {
    const want = await chain.predict(coarse.val.samples);
    assert.deepEqual(fine.predictions.map((p) => p.landmarks), want.map((p) => p.landmarks));
    assert.equal(fine.params, chain.countParams());
  } finally {
    chain.dispose();
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadChains (notebook 07): one chain per second stage whose first stage is loaded, quick runs reused", async () => {
  const root = await Deno.makeTempDir({ prefix: "family-test-" });
  const opts = tinyOptions(root, await tinyData(root));
  const coarse = await loadFamilyRun("heatmap", opts);
  const coord = await loadFamilyRun("coord", { ...opts, val: coarse.val });
  const { quick: _q, ...rest } = opts;
  const chains = await loadChains([coord, coarse], rest);
  assert.deepEqual(chains.map((c) => c.family), ["heatmap → heatmap-fine"]);
  const [chain] = chains;
  assert.equal(chain.source, "quick");
  assert.deepEqual(chain.val.records.map((r) => r.id), coarse.val.records.map((r) => r.id));
  // Scored behind the heatmap run, as loadFamilyRun does with that first stage.
  const fine = await loadFamilyRun("heatmap-fine", {
    ...opts,
    reuse: true,
    firstStage: coarse,
    val: coarse.val,
  });
  assert.equal(fine.run.runId, chain.run.runId, "the quick second stage is reused, not retrained");
  assert.deepEqual(
    fine.predictions.map((p) => p.landmarks),
    chain.predictions.map((p) => p.landmarks),
  );
  assert.deepEqual(await loadChains([coord], rest), []);
  // One paired test per chain, against its own first stage.
  const tests = chainWilcoxonRows([coord, coarse], chains);
  assert.equal(tests.length, 1);
  assert.equal(tests[0]["A vs B"], "heatmap vs heatmap → heatmap-fine");
  // A published first stage without a published second stage: no chain, and a line saying so.
  const lines: string[] = [];
  const published = { ...coarse, source: "published" as const };
  assert.deepEqual(await loadChains([published], { ...rest, log: (l) => lines.push(l) }), []);
  assert.ok(lines.some((l) => l.startsWith("heatmap-fine: no published run")), lines.join("\n"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("loadFamilyRun: unknown family is an InputError", async () => {
  await assert.rejects(() => loadFamilyRun("resnet", { quick: true }), InputError);
});

Deno.test("readHistory: CSV cells to numbers, empty cells NaN, bad cells name the file and line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "history-test-" });
  await Deno.writeTextFile(
    join(dir, "metrics.csv"),
    "epoch,train_loss,val_dice\n1,0.5,\n2,0.25,0.75\n",
  );
  const h = await readHistory(dir);
  assert.equal(h.length, 2);
  assert.deepEqual([h[0].epoch, h[0].train_loss], [1, 0.5]);
  assert.ok(Number.isNaN(h[0].val_dice));
  assert.equal(h[1].val_dice, 0.75);
  assert.equal(trainingCurveFigures(h).length, 3, "a Dice column adds the Dice chart");

  await Deno.writeTextFile(join(dir, "metrics.csv"), "epoch,train_loss\n1,abc\n");
  await assert.rejects(() => readHistory(dir), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /train_loss/);
    assert.match(e.message, /metrics\.csv/);
    return true;
  });
  // Without a CSV, metrics.jsonl is read.
  await Deno.remove(join(dir, "metrics.csv"));
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), '{"epoch":1,"val_mre_px":3}\n');
  assert.deepEqual(await readHistory(dir), [{ epoch: 1, val_mre_px: 3 }]);
  await Deno.remove(dir, { recursive: true });
});

const P = (x: number, y: number) => ({ x, y });

function record(id: string, l: [number, number][]): SampleRecord {
  return {
    id,
    imagePath: id,
    group: id,
    landmarks: l.map(([x, y]) => P(x, y)) as SampleRecord["landmarks"],
  };
}

Deno.test("meanShapeBaseline: the mean training shape for every image, hand-computed", () => {
  // Two training shapes; mean OFD1 (10,50), OFD2 (90,50), BPD1 (50,20), BPD2 (50,80).
  const train = [
    record("a", [[0, 50], [80, 50], [40, 20], [40, 80]]),
    record("b", [[20, 50], [100, 50], [60, 20], [60, 80]]),
  ];
  const truth = [P(10, 53), P(94, 50), P(50, 20), P(50, 80)] as Sample["landmarks"];
  const val: Sample[] = [{
    id: "v",
    image: { width: 100, height: 100, data: new Float32Array(1) },
    landmarks: truth,
    group: "v",
    pixelSizeMm: 0.5,
  }];
  const ev = meanShapeBaseline(train, val);
  // Errors 3, 4, 0, 0 px → MRE 1.75 px, 0.875 mm.
  assert.equal(ev.landmarks.px.radial.mean, 1.75);
  assert.equal(ev.landmarks.mm!.radial.mean, 0.875);

  // Ends in random order: the seeded draws swap some pairs, so the mean OFD ends move inwards.
  const random = meanShapeBaseline(
    [...Array(20)].flatMap((_, i) => train.map((r) => ({ ...r, id: `${r.id}${i}` }))),
    val,
    { randomEnds: true, seed: 1 },
  );
  assert.ok(random.landmarks.px.radial.mean > ev.landmarks.px.radial.mean);
});

Deno.test("plantedFaultAudit: swapped axes and points off the skull are caught, swapped ends are not faults", async () => {
  const root = await Deno.makeTempDir({ prefix: "audit-plant-" });
  const dir = await tinyData(root);
  const { loadDataset, loadSample } = await import("../../lib/data/dataset.ts");
  const samples = await Promise.all((await loadDataset(dir)).map(loadSample));
  const { rows } = plantedFaultAudit(samples, 8);
  assert.equal(rows.length, 8);
  for (const r of rows) {
    const codes = String(r["audit codes"]);
    if (r.planted === "ofd_bpd_swapped") assert.match(codes, /bpd_longer_than_ofd/);
    if (r.planted === "point_off_skull") assert.match(codes, /far_from_mask|outside_image/);
    if (r.planted === "ends_swapped" || r.planted === "none") assert.equal(codes, "(none)");
  }
  await Deno.remove(root, { recursive: true });
});
