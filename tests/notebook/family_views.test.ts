import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "../../lib/backend/mod.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { wilcoxonSignedRank } from "../../lib/metrics/statistics.ts";
import {
  comparisonTableRows,
  holmAdjust,
  intervalRows,
  loadAllFamilies,
  pairwiseWilcoxonRows,
  publishedCvResults,
  recommendationMarkdown,
  sameSplit,
  sourcesMarkdown,
} from "../../lib/notebook/comparison.ts";
import { type FamilyRun, type FamilyRunOptions, loadFamilyRun } from "../../lib/notebook/family.ts";
import { stageRows } from "../../lib/notebook/coarse_to_fine.ts";
import { predictedHeatmapsPng, subpixelGainRows } from "../../lib/notebook/family_heatmap.ts";
import {
  architectureRows,
  diceHistogram,
  failureIndices,
  failureRows,
  hcBlandAltman,
  maskPairsPng,
  plantedInputs,
  plantedValidatorCases,
} from "../../lib/notebook/family_segmentation.ts";
import { runSummaryMarkdown } from "../../lib/notebook/family_views.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { silentProgress } from "../../lib/training/progress.ts";

await initBackend({ prefer: "cpu" });

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** coord, heatmap and unet trained for one step at 32 px on 8 phantoms, sharing one split. */
async function tinyRuns(): Promise<
  { root: string; runs: Record<string, FamilyRun>; options: FamilyRunOptions }
> {
  const root = await Deno.makeTempDir({ prefix: "family-views-test-" });
  const dataDir = join(root, "data");
  await writePhantomDataset(dataDir, { count: 8, seed: 3, width: 64, height: 48 });
  const runs: Record<string, FamilyRun> = {};
  const options: FamilyRunOptions = {
    quick: true,
    overrides: {
      "data.dir": dataDir,
      "data.valFraction": "0.25",
      inputSize: "32",
      batchSize: "2",
      epochs: "1",
      stepsPerEpoch: "1",
      visualiseCount: "0",
    },
    progress: silentProgress,
    resultsRoot: join(root, "results", "runs"),
    checkpointsRoot: join(root, "checkpoints", "runs"),
    publishedRoot: join(root, "results", "published"),
    shippedRoot: join(root, "checkpoints"),
  };
  let val;
  for (const family of ["coord", "heatmap", "unet"]) {
    runs[family] = await loadFamilyRun(family, { ...options, val });
    val = runs[family].val;
  }
  return { root, runs, options };
}

// Built on first use: a run started at load time would still be training when a filtered
// `deno test` that needs none of it exits, and Deno crashes (SIGSEGV) leaving mid-flight.
let built: ReturnType<typeof tinyRuns> | undefined;
const fixture = () => built ??= tinyRuns();

Deno.test("subpixelGainRows: the default decoder reproduces the Predictor's scores; gains are differences", async () => {
  const { runs } = await fixture();
  const hm = runs.heatmap;
  const rows = await subpixelGainRows(hm);
  assert.equal(rows.length, 7);
  const [argmax, refined, chosen, onAxes, subpixel, configuration, axes] = rows.map((r) =>
    r["MRE px"] as number
  );
  assert.ok(Math.abs(chosen - hm.evaluation.landmarks.px.radial.mean) < 1e-9);
  assert.equal(subpixel, argmax - refined);
  assert.equal(configuration, refined - chosen);
  assert.equal(axes, chosen - onAxes);
  const png = await predictedHeatmapsPng(hm, [0]);
  assert.deepEqual([...png.slice(0, 4)], PNG_MAGIC);
});

Deno.test("segmentation views: architecture, failures first by the validator, Dice and HC charts", async () => {
  const { runs } = await fixture();
  const unet = runs.unet;
  assert.equal(architectureRows(unet.config).params, unet.params);
  const n = unet.predictions.length;
  const idx = failureIndices(unet, n);
  assert.equal(idx.length, n);
  assert.equal(new Set(idx).size, n, "each case once");
  const rejected = unet.predictions.filter((p) => p.plausible === false).length;
  assert.ok(idx.slice(0, rejected).every((i) => unet.predictions[i].plausible === false));
  const rows = failureRows(unet, idx);
  assert.deepEqual(rows.map((r) => r.id), idx.map((i) => unet.val.records[i].id));
  const hist = diceHistogram(unet.evaluation)!;
  const bins = (hist.vegaLite.data as { values: { count: number }[] }).values;
  assert.equal(bins.reduce((s, b) => s + b.count, 0), n);
  assert.ok(hcBlandAltman(unet.evaluation));
  assert.equal(diceHistogram(runs.coord.evaluation), null, "no masks, no Dice");
  assert.deepEqual([...(await maskPairsPng(unet, [0])).slice(0, 4)], PNG_MAGIC);
});

Deno.test("comparison: one split, one row per family, Wilcoxon as computed directly", async () => {
  const { runs } = await fixture();
  const list = [runs.coord, runs.heatmap, runs.unet];
  assert.ok(sameSplit(list));
  assert.match(sourcesMarkdown(list), /same validation images/);
  const table = comparisonTableRows(list);
  assert.deepEqual(table.map((r) => r.family), ["coord", "heatmap", "unet"]);
  assert.equal(table[0].Dice, undefined);
  assert.ok((table[2].Dice as number) >= 0 && (table[2].Dice as number) <= 1);
  assert.ok("OFD1 mm" in table[0], "phantoms have pixel sizes: per-landmark errors in mm");
  const w = pairwiseWilcoxonRows(list);
  assert.deepEqual(w.map((r) => r["A vs B"]), [
    "coord vs heatmap",
    "coord vs unet",
    "heatmap vs unet",
  ]);
  const mm = (r: FamilyRun) => r.evaluation.landmarks.images.map((i) => i.mreMm!);
  const direct = wilcoxonSignedRank(mm(runs.coord), mm(runs.heatmap));
  assert.equal(w[0].p, direct.pValue);
  assert.equal(w[0].W, direct.statistic);
});

Deno.test("intervalRows: each family's means inside their bootstrap intervals, as in the table", async () => {
  const { runs } = await fixture();
  const list = [runs.coord, runs.unet];
  const rows = intervalRows(list);
  const table = comparisonTableRows(list);
  rows.forEach((r, i) => {
    assert.equal(r.family, table[i].family);
    for (const m of ["MRE px", "|ΔHC| mm"]) {
      assert.ok(Math.abs((r[m] as number) - (table[i][m] as number)) < 1e-9, `${r.family} ${m}`);
    }
    for (const m of ["MRE px", "|ΔHC| mm"]) {
      const [lo, mid, hi] = [`${m} low`, m, `${m} high`].map((k) => r[k] as number);
      assert.ok(lo <= mid && mid <= hi && lo < hi, `${r.family} ${m}: ${lo} ${mid} ${hi}`);
    }
  });
});

Deno.test("stageRows: headline metrics per stage setup, Dice only with masks, ms per image", async () => {
  const { runs } = await fixture();
  const [h, u] = stageRows([runs.heatmap, runs.unet]);
  assert.equal(h.model, "heatmap");
  assert.equal(h["MRE px"], runs.heatmap.evaluation.landmarks.px.radial.mean);
  assert.equal("Dice" in h, false);
  assert.equal(u.Dice, runs.unet.evaluation.segmentation!.dice.mean);
  assert.equal(u["ms/image"], runs.unet.msPerImage);
});

Deno.test("loadAllFamilies: without every published run, all families take the reused quick runs", async () => {
  const { runs, options } = await fixture();
  const all = await loadAllFamilies({ ...options, quick: false }, ["coord", "heatmap"]);
  assert.match(all.note, /No published HC18 run for coord, heatmap/);
  assert.deepEqual(all.runs.map((r) => r.source), ["quick", "quick"]);
  assert.equal(all.runs[1].val, all.runs[0].val, "validation images loaded once");
  assert.ok(all.runs.every((r) => r.note.includes("reused")));
  assert.deepEqual(
    all.runs[0].evaluation.landmarks.images.map((i) => i.mrePx),
    runs.coord.evaluation.landmarks.images.map((i) => i.mrePx),
  );
});

Deno.test("holmAdjust: hand-computed step-down values, NaN left out", () => {
  const cases: [number[], number[]][] = [
    [[0.01, 0.04, 0.03], [0.03, 0.06, 0.06]],
    [[0.5, 0.9], [1, 1]],
    [[NaN, 0.02], [NaN, 0.02]],
    [[], []],
  ];
  for (const [p, want] of cases) assert.deepEqual(holmAdjust(p), want);
});

Deno.test("recommendationMarkdown: names the winners with their numbers; ties by the test", () => {
  const table = [
    {
      family: "a",
      "MRE mm": 1.5,
      "SDR 2 mm": 0.8,
      "|ΔHC| mm": 4,
      "GA error d": 3,
      "ms/image": 30,
      params: 1000,
    },
    {
      family: "b",
      "MRE mm": 2.5,
      "SDR 2 mm": 0.6,
      "|ΔHC| mm": 2,
      "GA error d": 2,
      Dice: 0.95,
      "ms/image": 10,
      params: 5000,
    },
  ];
  const significant = recommendationMarkdown(table, [{ "A vs B": "a vs b", "p (Holm)": 0.01 }], [
    { family: "a", "AUROC (1 − confidence)": 0.6 },
    { family: "b", "AUROC (1 − confidence)": 0.55 },
  ]);
  assert.match(significant, /Most accurate landmarks:\*\* a \(MRE 1\.50 mm, 80 % within 2 mm\)/);
  assert.match(significant, /significant/);
  assert.match(significant, /Head circumference \/ gestational age:\*\* b \(\|ΔHC\| 2\.00 mm/);
  assert.match(significant, /b has the higher Dice \(0\.950\)/);
  assert.match(significant, /b is fastest \(10\.0 ms/);
  assert.match(significant, /a the smallest \(1,000 parameters\)/);
  assert.match(significant, /a's TTA confidence .*AUROC 0\.60.*still weak/);
  assert.match(significant, /Least accurate here:\*\* b \(MRE 2\.50 mm\); it is the fastest,/);
  const tied = recommendationMarkdown(table, [{ "A vs B": "a vs b", "p (Holm)": 0.2 }]);
  assert.match(tied, /does not separate it from b/);
  assert.doesNotMatch(tied, /TTA confidence/);
  assert.doesNotMatch(tied, /second opinion/);
  const opinion = (source: string, byCheck: number, byConf: number, restHc: number) => ({
    source,
    images: 10,
    "failures (> 4 mm)": 3,
    "to review": 2,
    "caught: cross-check": byCheck,
    "caught: lowest confidence": byConf,
    "rest |ΔHC| mm: cross-check": restHc,
  });
  const second = recommendationMarkdown(table, [], [], [
    { ...opinion("c", 3, 3, NaN), "to review": 10 }, // keeps nothing: never the example
    opinion("a", 2, 1, 1.9),
    opinion("b", 1, 1, 1.7),
  ]);
  // One of two chains caught more; b is the example, having the lower |ΔHC| on what it keeps.
  assert.match(
    second,
    /second opinion:\*\* .* for 1 of 3 chains \(b: 1 vs 1 of 3; \|ΔHC\| 1\.70 mm on the 8 images it leaves\), for the time of running/,
  );
});

Deno.test("publishedCvResults: the folder's own summary and one per subfolder; none without the folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "cv-published-" });
  assert.deepEqual(await publishedCvResults(join(root, "cv")), []);
  const summary = (id: string) =>
    JSON.stringify({ id, config: id, model: "m", folds: [], summary: {} });
  await Deno.mkdir(join(root, "cv", "unet"), { recursive: true });
  await Deno.mkdir(join(root, "cv", "empty"), { recursive: true });
  await Deno.writeTextFile(join(root, "cv", "cv_summary.json"), summary("top"));
  await Deno.writeTextFile(join(root, "cv", "unet", "cv_summary.json"), summary("unet"));
  assert.deepEqual((await publishedCvResults(join(root, "cv"))).map((c) => c.id), ["top", "unet"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("plantedInputs: blank frame at the mean grey, head centre moved onto the frame, pixel size × 10", () => {
  const w = 10, h = 2;
  const data = Float32Array.from({ length: w * h }, (_, i) => i);
  const landmarks = [{ x: 2, y: 0 }, { x: 6, y: 0 }, { x: 4, y: 0 }, { x: 4, y: 1 }] as Landmarks;
  const planted = plantedInputs({
    id: "c",
    image: { width: w, height: h, data },
    landmarks,
    pixelSizeMm: 0.2,
    group: "c",
  });
  assert.deepEqual(planted.map((p) => p.name), [
    "as recorded",
    "blank frame",
    "head half off the frame",
    "pixel size × 10",
  ]);
  assert.equal(planted[0].input.image.data, data);
  assert.ok(planted[1].input.image.data.every((v) => v === 9.5)); // mean of 0..19
  // Centre x = 4: column x shows column x + 4; the last four columns are empty.
  assert.deepEqual([...planted[2].input.image.data.slice(0, 10)], [4, 5, 6, 7, 8, 9, 0, 0, 0, 0]);
  assert.deepEqual([...planted[2].input.image.data.slice(10)], [
    14,
    15,
    16,
    17,
    18,
    19,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(planted[3].input.pixelSizeMm, 2);
  assert.ok(planted.slice(0, 3).every((p) => p.input.pixelSizeMm === 0.2));
});

Deno.test("runSummaryMarkdown: a second stage's own parameters, and the chain's", async () => {
  const { runs } = await fixture();
  const one = runSummaryMarkdown(runs.unet);
  assert.match(one, new RegExp(`\\(${runs.unet.params.toLocaleString("en")} parameters\\)`));
  const chained = runSummaryMarkdown({ ...runs.unet, params: 2000, stageParams: 1000 });
  assert.match(chained, /\(1,000 parameters; 2,000 with its first stage\)/);
});

Deno.test("plantedValidatorCases: one row per planted input, reasons exactly where refused; a blank frame refused as blank", async () => {
  const { runs } = await fixture();
  const { rows, png } = await plantedValidatorCases(runs.unet);
  assert.deepEqual(
    rows.map((r) => r.input),
    plantedInputs(runs.unet.val.samples[0]).map((p) => p.name),
  );
  for (const r of rows) assert.equal(r["validator reasons"] === "", r.plausible === "yes");
  // Whatever the model draws on it, a blank frame is refused for what it is.
  assert.equal(rows[1].plausible, "no");
  assert.match(String(rows[1]["validator reasons"]), /^blank: /);
  assert.deepEqual([...png.slice(0, 4)], PNG_MAGIC);
});

Deno.test("cleanup of the shared tiny runs", async () => {
  if (built) await Deno.remove((await built).root, { recursive: true });
});
