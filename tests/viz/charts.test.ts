import assert from "node:assert/strict";
import sharp from "sharp";
import {
  blandAltmanChart,
  boxPlot,
  histogram,
  histogramBins,
  lineChart,
  matrixChart,
  scatter,
} from "../../lib/viz/charts.ts";
import { renderPng, renderSvg, saveFigure } from "../../lib/viz/figure.ts";

Deno.test("histogramBins: equal widths, last bin closed, non-finite dropped", () => {
  assert.deepEqual(histogramBins([0, 1, 2, 3, 4, NaN, Infinity], 2), [
    { lo: 0, hi: 2, count: 2 },
    { lo: 2, hi: 4, count: 3 },
  ]);
  assert.deepEqual(histogramBins([5, 5], 1), [{ lo: 4.5, hi: 5.5, count: 2 }]);
  assert.deepEqual(histogramBins([], 3), []);
});

Deno.test("histogram: both halves draw the same bins", () => {
  const fig = histogram([0, 1, 2, 3, 4], { title: "h", bins: 2 });
  const trace = fig.plotly.data[0];
  assert.deepEqual(trace.x, [1, 3]);
  assert.deepEqual(trace.y, [2, 3]);
  assert.deepEqual(trace.width, [2, 2]);
  assert.deepEqual(
    (fig.vegaLite.data as { values: unknown[] }).values,
    histogramBins([0, 1, 2, 3, 4], 2),
  );
});

Deno.test("every builder renders a static SVG carrying its title", async () => {
  const figs = [
    histogram([1, 2, 3], { title: "T-hist" }),
    boxPlot([{ name: "a", values: [1, 2, 3, 10] }, { name: "b", values: [2, 3] }], {
      title: "T-box",
    }),
    scatter([{ name: "s", x: [1, 2], y: [1.5, 2.5] }], { title: "T-scatter", identityLine: true }),
    lineChart([{ name: "train", x: [1, 2, 3], y: [1, 0.1, 0.01] }], {
      title: "T-line",
      logY: true,
    }),
    blandAltmanChart([1, 2, 3], [1.5, 2, 2], { title: "T-ba", unit: "mm" }),
    matrixChart(["a", "b"], [[0, 2.5], [2.5, NaN]], { title: "T-matrix" }),
  ];
  for (const fig of figs) {
    const svg = await renderSvg(fig);
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes(fig.title), fig.title);
  }
});

Deno.test("matrix chart: one cell per finite value, written in; plotly gets the same grid", async () => {
  const fig = matrixChart(["labels", "unet", "deeplab"], [
    [0, 10.5, 10.7],
    [10.5, 0, 3.14],
    [10.7, 3.14, NaN],
  ], { title: "m", digits: 1 });
  const cells = (fig.vegaLite.data as { values: { row: string; col: string; value: number }[] })
    .values;
  assert.equal(cells.length, 8, "the NaN cell is left out");
  assert.deepEqual(cells.find((c) => c.row === "unet" && c.col === "deeplab"), {
    row: "unet",
    col: "deeplab",
    value: 3.14,
  });
  const trace = fig.plotly.data[0];
  assert.deepEqual(trace.z, [[0, 10.5, 10.7], [10.5, 0, 3.14], [10.7, 3.14, null]]);
  assert.deepEqual((trace.text as string[][])[1], ["10.5", "0.0", "3.1"]);
  const svg = await renderSvg(fig);
  assert.ok(svg.includes("3.1") && svg.includes("10.7"), "values are written into the cells");
  assert.throws(() => matrixChart(["a", "b"], [[0, 1]], { title: "bad" }), RangeError);
});

Deno.test("box plot: one plotly trace per group, in order", () => {
  const fig = boxPlot([{ name: "OFD1", values: [1, 2] }, { name: "BPD2", values: [3, NaN] }], {
    title: "b",
  });
  assert.deepEqual(fig.plotly.data.map((t) => [t.name, t.y]), [["OFD1", [1, 2]], ["BPD2", [3]]]);
});

Deno.test("scatter identity line spans where the x and y ranges overlap (else the x range)", () => {
  const cases: [number[], number[], number[]][] = [
    [[2, 5], [1, 4], [2, 4]],
    [[-20, 20], [-45, 10], [-20, 10]], // a few large errors do not stretch the x axis
    [[0, 1], [5, 6], [0, 1]], // disjoint
  ];
  for (const [x, y, want] of cases) {
    const fig = scatter([{ name: "s", x, y }], { title: "s", identityLine: true });
    const line = fig.plotly.data[1];
    assert.deepEqual([line.name, line.x, line.y], ["y = x", want, want]);
    const layers = (fig.vegaLite as { layer: { encoding: { strokeDash?: { datum: string } } }[] })
      .layer;
    assert.equal(layers[1].encoding.strokeDash?.datum, "y = x"); // its own legend entry
  }
});

Deno.test("Bland–Altman chart lines sit at bias and bias ± 1.96 SD", () => {
  // test − reference = -0.5, 0, 1: bias 1/6, sample sd over n − 1 = 2.
  const diffs = [-0.5, 0, 1];
  const bias = 0.5 / 3;
  const sd = Math.sqrt(diffs.reduce((s, d) => s + (d - bias) ** 2, 0) / 2);
  const fig = blandAltmanChart([1, 2, 3], [1.5, 2, 2], { title: "ba" });
  const ys = fig.plotly.data.slice(1).map((t) => (t.y as number[])[0]);
  const want = [bias, bias + 1.96 * sd, bias - 1.96 * sd];
  ys.forEach((y, i) => assert.ok(Math.abs(y - want[i]) < 1e-12, `${y} vs ${want[i]}`));
  assert.deepEqual(fig.plotly.data[0].x, [1.25, 2, 2.5]);
});

Deno.test("renderPng scales the SVG and saveFigure writes svg, png and plotly json", async () => {
  const fig = lineChart([{ name: "a", x: [0, 1], y: [0, 1] }], {
    title: "L",
    width: 100,
    height: 80,
  });
  const svgWidth = Number((await renderSvg(fig)).match(/width="(\d+)"/)![1]);
  const meta = await sharp(await renderPng(fig, 2)).metadata();
  assert.equal(meta.width, 2 * svgWidth);
  const dir = await Deno.makeTempDir();
  try {
    const paths = await saveFigure(fig, dir, "curve");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(paths.plotly)), fig.plotly);
    assert.match(await Deno.readTextFile(paths.svg), /^<svg/);
    assert.equal((await sharp(paths.png).metadata()).format, "png");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
