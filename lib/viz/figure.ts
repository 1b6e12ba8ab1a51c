/**
 * A chart as data, twice: a vega-lite spec (rendered to a static SVG/PNG here, without a browser)
 * and an equivalent plotly figure (drawn interactively by JupyterLab / VS Code from its JSON).
 * plotly.js itself cannot run in Deno, so the static image always comes from vega.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import sharp from "sharp";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../core/fs.ts";

export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export interface Figure {
  title: string;
  /** A vega-lite spec with its data inline. */
  vegaLite: Record<string, unknown>;
  plotly: PlotlyFigure;
}

export async function renderSvg(fig: Figure): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile({ background: "white", ...fig.vegaLite } as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG of the static chart; `scale` 2 gives crisp images in notebooks and reports. */
export async function renderPng(fig: Figure, scale = 2): Promise<Uint8Array> {
  const svg = await renderSvg(fig);
  const png = await sharp(new TextEncoder().encode(svg), { density: 72 * scale }).png().toBuffer();
  return new Uint8Array(png);
}

export interface SavedFigure {
  svg: string;
  png: string;
  plotly: string;
}

/** The files of figure `name` in `dir`: `<name>.svg`, `<name>.png`, `<name>.plotly.json`. */
export function figureFiles(dir: string, name: string): SavedFigure {
  return {
    svg: join(dir, `${name}.svg`),
    png: join(dir, `${name}.png`),
    plotly: join(dir, `${name}.plotly.json`),
  };
}

/** Writes figureFiles(dir, name), atomically each. */
export async function saveFigure(fig: Figure, dir: string, name: string): Promise<SavedFigure> {
  const paths = figureFiles(dir, name);
  const svg = await renderSvg(fig);
  const png = await sharp(new TextEncoder().encode(svg), { density: 144 }).png().toBuffer();
  await writeFileAtomic(paths.svg, svg);
  await writeFileAtomic(paths.png, new Uint8Array(png));
  await writeJsonAtomic(paths.plotly, fig.plotly);
  return paths;
}
