import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { parseCsv } from "../../lib/core/csv.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import { sdrCurve, writeDashboard } from "../../lib/viz/dashboard.ts";
import {
  predictionsVsTruthCsv,
  sdrRows,
  summaryJson,
  summaryMarkdown,
  summaryRows,
} from "../../lib/viz/report.ts";

const truth: Landmarks = [{ x: 10, y: 30 }, { x: 70, y: 30 }, { x: 40, y: 10 }, { x: 40, y: 50 }];
const shift = (dx: number, dy: number) =>
  truth.map((p) => ({ x: p.x + dx, y: p.y + dy })) as Landmarks;

async function tinyImage(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await sharp(new Uint8Array(80 * 60).fill(90), { raw: { width: 80, height: 60, channels: 1 } })
    .png().toFile(path);
  return path;
}

Deno.test("sdrCurve runs from 0 to the 99th percentile and is non-decreasing", () => {
  const c = sdrCurve([1, 2, 3, 4], 3);
  assert.equal(c.x[0], 0);
  assert.ok(Math.abs(c.x[3] - 3.97) < 1e-12); // numpy percentile([1,2,3,4], 99) = 3.97
  assert.deepEqual(c.y, [0, 0.25, 0.5, 0.75]);
});

Deno.test("predictions CSV: one row per image, errors and mm columns filled only with a pixel size", () => {
  const r = evaluate([
    { id: "a.png", truth, pred: shift(3, 4), pixelSizeMm: 0.5 },
    { id: "b.png", truth, pred: shift(0, 0) },
  ], { bootstrapResamples: 10 });
  const t = parseCsv(predictionsVsTruthCsv(r));
  const col = (row: number, name: string) => t.rows[row][t.header.indexOf(name)];
  assert.equal(t.rows.length, 2);
  assert.equal(t.header.length, 1 + 8 + 8 + 5 + 1 + 5 + 6);
  assert.equal(col(0, "gt_ofd_1_x"), "10");
  assert.equal(col(0, "pred_ofd_1_x"), "13");
  assert.equal(col(0, "err_bpd2_px"), "5");
  assert.equal(col(0, "mre_mm"), "2.5");
  assert.equal(col(0, "gt_ofd_mm"), "30");
  assert.equal(col(1, "mre_px"), "0");
  assert.equal(col(1, "mre_mm"), "");
});

Deno.test("summary rows and JSON carry the headline numbers without per-image arrays", () => {
  const r = evaluate([{ id: "a", truth, pred: shift(3, 4), pixelSizeMm: 0.5 }], {
    bootstrapResamples: 10,
  });
  const rows = summaryRows(r);
  assert.equal(rows[0].metric, "radial error, all points");
  assert.equal(rows[0].mean, 5);
  assert.ok(rows.some((row) => row.metric === "|ΔHC|" && row.mean === 0));
  assert.deepEqual(sdrRows(r).map((s) => s.sdr), [1, 1, 1, 1, 0, 0, 1, 1, 1]);
  const json = JSON.parse(JSON.stringify(summaryJson(r)));
  assert.equal(json.landmarks.images, undefined);
  assert.equal(json.clinical.images, undefined);
  assert.equal(json.headline.mre_px, 5);
});

Deno.test("writeDashboard writes charts, gallery, CSV and summaries", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases = await Promise.all([0, 1, 2].map(async (k) => ({
      id: `${k}.png`,
      truth,
      pred: shift(k, 2 * k),
      pixelSizeMm: 0.2,
      imagePath: await tinyImage(dir, `${k}.png`),
    })));
    const out = join(dir, "dash");
    const files = await writeDashboard(out, evaluate(cases, { bootstrapResamples: 20 }), {
      worstK: 2,
      galleryCols: 2,
    });
    assert.deepEqual(files.figures, [
      "error_histogram",
      "per_landmark_box",
      "sdr_curve",
      "sdr_curve_mm",
      "bland_altman_hc",
      "scatter_x",
      "scatter_y",
    ]);
    for (const name of files.figures) {
      for (const ext of [".svg", ".png", ".plotly.json"]) await Deno.stat(join(out, name + ext));
    }
    const gallery = await sharp(files.gallery!).metadata();
    assert.equal(gallery.width, 2 * 360 + 3 * 4); // two tiles side by side
    const md = await Deno.readTextFile(files.summaryMd);
    assert.match(md, /3 images\. MRE/);
    assert.match(md, /!\[worst cases\]\(worst_cases\.png\)/);
    assert.equal(JSON.parse(await Deno.readTextFile(files.summaryJson)).nImages, 3);
    assert.equal(parseCsv(await Deno.readTextFile(files.csv)).rows.length, 3);
    // The same folder again, now without pixel sizes and images: no earlier mm chart or gallery
    // is left to pass for this evaluation's.
    const plain = cases.map(({ pixelSizeMm: _p, imagePath: _i, ...c }) => c);
    const again = await writeDashboard(out, evaluate(plain, { bootstrapResamples: 20 }));
    const left = [...Deno.readDirSync(out)].map((e) => e.name);
    for (const gone of ["bland_altman_hc.png", "sdr_curve_mm.svg", "worst_cases.png"]) {
      assert.ok(!left.includes(gone), gone);
    }
    assert.ok(left.includes("sdr_curve.png"));
    assert.equal(again.gallery, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without image paths there is no gallery", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = await writeDashboard(
      dir,
      evaluate([{ id: "a", truth, pred: truth }], { bootstrapResamples: 5 }),
    );
    assert.equal(files.gallery, undefined);
    assert.ok(!files.figures.includes("bland_altman_hc"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a truncated image leaves a blank, captioned tile in the gallery; the dashboard is written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = await tinyImage(dir, "good.png");
    const bytes = await Deno.readFile(await tinyImage(dir, "whole.png"));
    const truncated = join(dir, "truncated.png");
    await Deno.writeFile(truncated, bytes.slice(0, 60)); // the PNG header survives, the pixels not
    const cases = [
      { id: "good.png", truth, pred: shift(1, 0), imagePath: good },
      { id: "truncated.png", truth, pred: shift(9, 9), imagePath: truncated },
    ];
    const files = await writeDashboard(dir, evaluate(cases, { bootstrapResamples: 5 }), {
      worstK: 2,
      galleryCols: 2,
    });
    assert.equal((await sharp(files.gallery!).metadata()).width, 2 * 360 + 3 * 4);
    assert.equal(JSON.parse(await Deno.readTextFile(files.summaryJson)).nImages, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("summary headline: the mm MRE says over how many images when not all have a pixel size", () => {
  const r = evaluate([
    { id: "a", truth, pred: shift(3, 4), pixelSizeMm: 0.5 }, // 5 px = 2.5 mm
    { id: "b", truth, pred: shift(0, 0) },
  ], { bootstrapResamples: 5 });
  assert.match(
    summaryMarkdown(r),
    /^2 images\. MRE 2\.50 px, 2\.500 mm \(the 1 with a pixel size\)\.$/m,
  );
  const one = evaluate([{ id: "a", truth, pred: shift(3, 4), pixelSizeMm: 0.5 }], {
    bootstrapResamples: 5,
  });
  assert.match(summaryMarkdown(one), /^1 image\. MRE 5\.00 px, 2\.500 mm\.$/m);
});
