/**
 * Show figures, images, tables and Markdown in a Deno Jupyter notebook.
 *
 * Each output is a MIME bundle with a static part that survives without a kernel (PNG for figures,
 * HTML for tables) so nbconvert's HTML and GitHub show it, plus the plotly JSON that JupyterLab and
 * VS Code draw interactively. Figure bundles carry no `text/html` on purpose: nbconvert prefers
 * `text/html` over `image/png` and would show only that.
 *
 * `Deno.jupyter` exists only inside the kernel (touching it elsewhere throws), so every function
 * here returns the bundle and displays it only when a kernel is present; library code that calls
 * these stays importable and testable from `deno test`.
 */
import { Buffer } from "node:buffer";
import { type Figure, renderPng } from "../viz/figure.ts";
import { htmlTable, markdownTable, type Row, type TableOptions, textTable } from "./table.ts";

const encodeBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export type MimeBundle = Record<string, string | object>;

interface JupyterApi {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

function jupyterApi(): JupyterApi | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    const api = (Deno as any).jupyter as JupyterApi | undefined;
    return typeof api?.display === "function" ? api : undefined;
  } catch {
    return undefined;
  }
}

/** True inside a Deno Jupyter kernel. */
export function inJupyter(): boolean {
  return jupyterApi() !== undefined;
}

/** Displays a raw MIME bundle when running in a kernel; does nothing elsewhere. */
export async function displayBundle(bundle: MimeBundle): Promise<void> {
  await jupyterApi()?.display(bundle, { raw: true });
}

export async function figureBundle(fig: Figure, scale = 2): Promise<MimeBundle> {
  return {
    "image/png": encodeBase64(await renderPng(fig, scale)),
    "application/vnd.plotly.v1+json": fig.plotly,
    "text/plain": fig.title,
  };
}

export function pngBundle(png: Uint8Array, caption = "image"): MimeBundle {
  return { "image/png": encodeBase64(png), "text/plain": caption };
}

export function tableBundle(
  rows: Row[],
  opts: TableOptions & { caption?: string } = {},
): MimeBundle {
  const text = textTable(rows, opts);
  return {
    "text/html": htmlTable(rows, opts),
    "text/markdown": markdownTable(rows, opts),
    "text/plain": opts.caption ? `${opts.caption}\n${text}` : text,
  };
}

export function markdownBundle(markdown: string): MimeBundle {
  return { "text/markdown": markdown, "text/plain": markdown };
}

// The show* functions resolve to nothing, so that `await showX(...)` as a cell's last expression
// adds no execute_result echoing the bundle.

/** A chart: static PNG for saved notebooks, plotly for live ones. */
export async function showFigure(fig: Figure, scale = 2): Promise<void> {
  await displayBundle(await figureBundle(fig, scale));
}

/** PNG bytes, e.g. from `overlayPng` or `gridPng`. */
export function showPng(png: Uint8Array, caption = "image"): Promise<void> {
  return displayBundle(pngBundle(png, caption));
}

/** An HTML table (with Markdown and text twins) of plain records. */
export function showTable(
  rows: Row[],
  opts: TableOptions & { caption?: string } = {},
): Promise<void> {
  return displayBundle(tableBundle(rows, opts));
}

export function showMarkdown(markdown: string): Promise<void> {
  return displayBundle(markdownBundle(markdown));
}
