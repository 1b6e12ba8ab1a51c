/**
 * Chart builders. Each returns a `Figure` whose vega-lite and plotly halves show the same data;
 * where the two libraries would compute something differently (histogram bins), it is computed
 * here once and both draw the result.
 */
import type { Figure, PlotlyFigure } from "./figure.ts";
import { blandAltman } from "../metrics/agreement.ts";

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
}

const SIZE = { width: 480, height: 320 };
// Tableau 10, vega-lite's default categorical scheme, so both halves colour series alike.
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

function vlBase(o: ChartOptions): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: o.title,
    width: o.width ?? SIZE.width,
    height: o.height ?? SIZE.height,
  };
}

function plotlyLayout(
  o: ChartOptions,
  extra: Record<string, unknown> = {},
): PlotlyFigure["layout"] {
  return {
    title: { text: o.title },
    width: (o.width ?? SIZE.width) + 120,
    height: (o.height ?? SIZE.height) + 100,
    xaxis: { title: { text: o.xLabel ?? "" } },
    yaxis: { title: { text: o.yLabel ?? "" } },
    ...extra,
  };
}

const finite = (v: readonly number[]) => v.filter(Number.isFinite);

export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/** Equal-width bins over the finite values; the last bin includes its upper edge. */
export function histogramBins(values: readonly number[], bins: number): Bin[] {
  const v = finite(values);
  if (v.length === 0) return [];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({
    lo: lo + i * width,
    hi: i === bins - 1 ? hi : lo + (i + 1) * width,
    count: 0,
  }));
  for (const x of v) out[Math.min(bins - 1, Math.floor((x - lo) / width))].count++;
  return out;
}

export function histogram(
  values: readonly number[],
  o: ChartOptions & { bins?: number },
): Figure {
  const bins = histogramBins(values, o.bins ?? 30);
  return {
    title: o.title,
    vegaLite: {
      ...vlBase(o),
      data: { values: bins },
      mark: { type: "bar", color: PALETTE[0], stroke: "white", strokeWidth: 0.5 },
      encoding: {
        x: { field: "lo", type: "quantitative", bin: { binned: true }, title: o.xLabel ?? "" },
        x2: { field: "hi" },
        y: { field: "count", type: "quantitative", title: o.yLabel ?? "count" },
      },
    },
    plotly: {
      data: [{
        type: "bar",
        x: bins.map((b) => (b.lo + b.hi) / 2),
        y: bins.map((b) => b.count),
        width: bins.map((b) => b.hi - b.lo),
        marker: { color: PALETTE[0] },
        name: o.title,
      }],
      layout: plotlyLayout({ yLabel: "count", ...o }, { bargap: 0 }),
    },
  };
}

/** One box per group: median, quartiles, whiskers at 1.5 IQR (Tukey) and outliers, as both libraries draw by default. */
export function boxPlot(
  groups: readonly { name: string; values: readonly number[] }[],
  o: ChartOptions,
): Figure {
  const rows = groups.flatMap((g) => finite(g.values).map((value) => ({ group: g.name, value })));
  return {
    title: o.title,
    vegaLite: {
      ...vlBase(o),
      data: { values: rows },
      mark: { type: "boxplot", extent: 1.5, size: 36 },
      encoding: {
        x: {
          field: "group",
          type: "nominal",
          sort: groups.map((g) => g.name),
          title: o.xLabel ?? "",
          axis: { labelAngle: 0 },
        },
        y: { field: "value", type: "quantitative", title: o.yLabel ?? "" },
        color: { field: "group", type: "nominal", sort: groups.map((g) => g.name), legend: null },
      },
    },
    plotly: {
      data: groups.map((g, i) => ({
        type: "box",
        name: g.name,
        y: finite(g.values),
        boxpoints: "outliers",
        marker: { color: PALETTE[i % PALETTE.length] },
      })),
      layout: plotlyLayout(o, { showlegend: false }),
    },
  };
}

function seriesRows(series: readonly Series[]) {
  return series.flatMap((s) =>
    s.x.map((x, i) => ({ series: s.name, x, y: s.y[i] }))
      .filter((r) => Number.isFinite(r.x) && Number.isFinite(r.y))
  );
}

function colourEncoding(series: readonly Series[]) {
  return {
    field: "series",
    type: "nominal",
    title: null,
    sort: series.map((s) => s.name),
    scale: {
      domain: series.map((s) => s.name),
      range: series.map((_, i) => PALETTE[i % PALETTE.length]),
    },
    // labelLimit 0: long series names (a chain's "unet → unet-fine") are not cut off.
    legend: series.length > 1 ? { labelLimit: 0 } : null,
  };
}

/**
 * Scatter plot of one or more series; `identityLine` adds a dashed y = x (with a legend entry)
 * where the x and y ranges of the data overlap, so it does not stretch either axis.
 */
export function scatter(
  series: readonly Series[],
  o: ChartOptions & { identityLine?: boolean },
): Figure {
  const rows = seriesRows(series);
  const range = (v: number[]) => v.length ? [Math.min(...v), Math.max(...v)] : [0, 1];
  const [xlo, xhi] = range(rows.map((r) => r.x)), [ylo, yhi] = range(rows.map((r) => r.y));
  const [lo, hi] = Math.max(xlo, ylo) < Math.min(xhi, yhi)
    ? [Math.max(xlo, ylo), Math.min(xhi, yhi)]
    : [xlo, xhi];
  const points = {
    mark: { type: "point", filled: true, opacity: 0.7, size: 30 },
    encoding: {
      x: { field: "x", type: "quantitative", title: o.xLabel ?? "", scale: { zero: false } },
      y: { field: "y", type: "quantitative", title: o.yLabel ?? "", scale: { zero: false } },
      color: colourEncoding(series),
    },
  };
  const identity = {
    data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] },
    mark: { type: "line", color: "#888" },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      strokeDash: { datum: "y = x", scale: { range: [[4, 4]] }, legend: { title: null } },
    },
  };
  return {
    title: o.title,
    vegaLite: {
      ...vlBase(o),
      data: { values: rows },
      layer: o.identityLine ? [points, identity] : [points],
    },
    plotly: {
      data: [
        ...series.map((s, i) => ({
          type: "scatter",
          mode: "markers",
          name: s.name,
          x: [...s.x],
          y: [...s.y],
          marker: { color: PALETTE[i % PALETTE.length], opacity: 0.7 },
        })),
        ...(o.identityLine
          ? [{
            type: "scatter",
            mode: "lines",
            name: "y = x",
            x: [lo, hi],
            y: [lo, hi],
            line: { color: "#888", dash: "dash" },
          }]
          : []),
      ],
      layout: plotlyLayout(o, { showlegend: series.length > 1 }),
    },
  };
}

/** Line chart (training curves, SDR curves); `logY` for losses spanning decades. */
export function lineChart(
  series: readonly Series[],
  o: ChartOptions & { logY?: boolean; points?: boolean },
): Figure {
  const rows = seriesRows(series).filter((r) => !o.logY || r.y > 0);
  return {
    title: o.title,
    vegaLite: {
      ...vlBase(o),
      data: { values: rows },
      mark: { type: "line", point: o.points ?? false },
      encoding: {
        x: { field: "x", type: "quantitative", title: o.xLabel ?? "", scale: { zero: false } },
        y: {
          field: "y",
          type: "quantitative",
          title: o.yLabel ?? "",
          scale: o.logY ? { type: "log" } : { zero: false },
        },
        color: colourEncoding(series),
      },
    },
    plotly: {
      data: series.map((s, i) => ({
        type: "scatter",
        mode: o.points ? "lines+markers" : "lines",
        name: s.name,
        x: [...s.x],
        y: [...s.y],
        line: { color: PALETTE[i % PALETTE.length] },
      })),
      layout: plotlyLayout(o, {
        showlegend: series.length > 1,
        yaxis: { title: { text: o.yLabel ?? "" }, type: o.logY ? "log" : "linear" },
      }),
    },
  };
}

/**
 * Bland–Altman plot of `test` against `reference`: x = mean of the pair, y = test − reference,
 * with the bias and the 95 % limits of agreement as horizontal lines.
 */
export function blandAltmanChart(
  test: readonly number[],
  reference: readonly number[],
  o: ChartOptions & { unit?: string },
): Figure {
  const pairs = test.map((t, i) => ({ t, r: reference[i] }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.r));
  const stats = blandAltman(pairs.map((p) => p.t), pairs.map((p) => p.r));
  const rows = pairs.map((p) => ({ mean: (p.t + p.r) / 2, diff: p.t - p.r }));
  const unit = o.unit ? ` (${o.unit})` : "";
  const lines = [
    { label: `bias ${stats.bias.toFixed(2)}`, y: stats.bias, dash: [] as number[] },
    { label: `+1.96 SD ${stats.upper.toFixed(2)}`, y: stats.upper, dash: [4, 4] },
    { label: `−1.96 SD ${stats.lower.toFixed(2)}`, y: stats.lower, dash: [4, 4] },
  ].filter((l) => Number.isFinite(l.y));
  const xs = rows.map((r) => r.mean);
  const [xLo, xHi] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const xLabel = o.xLabel ?? `mean of the two${unit}`;
  const yLabel = o.yLabel ?? `difference, test − reference${unit}`;
  return {
    title: o.title,
    vegaLite: {
      ...vlBase(o),
      layer: [
        {
          data: { values: rows },
          mark: { type: "point", filled: true, opacity: 0.7, color: PALETTE[0] },
          encoding: {
            x: { field: "mean", type: "quantitative", title: xLabel, scale: { zero: false } },
            y: { field: "diff", type: "quantitative", title: yLabel },
          },
        },
        ...lines.map((l) => ({
          data: { values: [{ y: l.y, label: l.label }] },
          layer: [
            {
              mark: { type: "rule", color: "#e45756", strokeDash: l.dash },
              encoding: { y: { field: "y", type: "quantitative" } },
            },
            {
              mark: { type: "text", align: "right", dy: -6, x: "width", color: "#e45756" },
              encoding: { y: { field: "y", type: "quantitative" }, text: { field: "label" } },
            },
          ],
        })),
      ],
    },
    plotly: {
      data: [
        {
          type: "scatter",
          mode: "markers",
          name: "cases",
          x: xs,
          y: rows.map((r) => r.diff),
          marker: { color: PALETTE[0], opacity: 0.7 },
        },
        ...lines.map((l) => ({
          type: "scatter",
          mode: "lines",
          name: l.label,
          x: [xLo, xHi],
          y: [l.y, l.y],
          line: { color: "#e45756", dash: l.dash.length ? "dash" : "solid" },
        })),
      ],
      layout: plotlyLayout({ ...o, xLabel, yLabel }, { showlegend: false }),
    },
  };
}

/**
 * A labelled square matrix as coloured cells with their values written in (e.g. distances between
 * sources). `values[i][j]` is row `labels[i]`, column `labels[j]`; NaN cells stay blank.
 */
export function matrixChart(
  labels: readonly string[],
  values: readonly (readonly number[])[],
  o: ChartOptions & { digits?: number; colourTitle?: string },
): Figure {
  if (values.length !== labels.length || values.some((r) => r.length !== labels.length)) {
    throw new RangeError(`matrixChart: need a ${labels.length}×${labels.length} matrix`);
  }
  const digits = o.digits ?? 1;
  const cells = labels.flatMap((row, i) =>
    labels.map((col, j) => ({ row, col, value: values[i][j] }))
  ).filter((c) => Number.isFinite(c.value));
  const side = Math.max(160, 60 * labels.length);
  const finiteValues = cells.map((c) => c.value);
  const [lo, hi] = [Math.min(0, ...finiteValues), Math.max(0, ...finiteValues)];
  const dark = lo + 0.55 * (hi - lo);
  const axis = (field: string, title: string) => ({
    field,
    type: "nominal",
    sort: [...labels],
    title,
  });
  const z = values.map((r) => r.map((v) => (Number.isFinite(v) ? v : null)));
  const text = values.map((r) => r.map((v) => (Number.isFinite(v) ? v.toFixed(digits) : "")));
  return {
    title: o.title,
    vegaLite: {
      ...vlBase({ ...o, width: o.width ?? side, height: o.height ?? side }),
      data: { values: cells },
      encoding: { x: axis("col", o.xLabel ?? ""), y: axis("row", o.yLabel ?? "") },
      layer: [
        {
          mark: "rect",
          encoding: {
            color: {
              field: "value",
              type: "quantitative",
              title: o.colourTitle ?? "",
              scale: { scheme: "blues" },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 11 },
          encoding: {
            text: { field: "value", type: "quantitative", format: `.${digits}f` },
            // White on the darker half of the colour scale, so every value stays legible.
            color: { condition: { test: `datum.value > ${dark}`, value: "white" }, value: "black" },
          },
        },
      ],
    },
    plotly: {
      data: [{
        type: "heatmap",
        x: [...labels],
        y: [...labels],
        z,
        text,
        texttemplate: "%{text}",
        colorscale: "Blues",
        colorbar: { title: { text: o.colourTitle ?? "" } },
      }],
      layout: plotlyLayout(
        { ...o, width: o.width ?? side, height: o.height ?? side },
        { yaxis: { title: { text: o.yLabel ?? "" }, autorange: "reversed" } },
      ),
    },
  };
}
