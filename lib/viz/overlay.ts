/**
 * Annotated images drawn with sharp: the grey ultrasound image with ground-truth landmarks (green),
 * predicted landmarks (blue), their OFD/BPD segments, a fitted ellipse and a mask contour; and a
 * grid composer for galleries. Vector marks go through one SVG composite; the mask contour is
 * painted into the pixels so it stays exactly on the mask's boundary pixels.
 */
import sharp from "sharp";
import { Buffer } from "node:buffer";
import type { Ellipse, GrayImage, Landmarks, Mask } from "../core/types.ts";
import { boundaryMask } from "../geometry/mask.ts";
import { escapeHtml } from "../notebook/table.ts";

export const OVERLAY_COLOURS = {
  truth: "#00e676",
  prediction: "#2979ff",
  ellipse: "#ff9100",
  mask: [255, 64, 255] as [number, number, number],
};

export interface OverlayOptions {
  truth?: Landmarks;
  prediction?: Landmarks;
  ellipse?: Ellipse;
  /** Drawn as its one-pixel boundary; must have the image's size. */
  mask?: Mask;
  /** Also tint the mask's inside with its colour at this opacity (0–1; default 0, outline only). */
  maskFill?: number;
  /** Draw the OFD1–OFD2 and BPD1–BPD2 segments (default true). */
  segments?: boolean;
  /** Text in the top-left corner. */
  caption?: string;
  /** Landmark dot radius in image pixels (default: image width / 160, at least 3). */
  markerRadius?: number;
}

async function toRgb(
  image: GrayImage | Uint8Array,
): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  if (image instanceof Uint8Array) {
    const { data, info } = await sharp(image).removeAlpha().toColourspace("srgb").raw()
      .toBuffer({ resolveWithObject: true });
    const rgb = info.channels === 3
      ? new Uint8Array(data)
      : expandGrey(new Uint8Array(data), info.channels);
    return { rgb, width: info.width, height: info.height };
  }
  const rgb = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.data.length; i++) {
    const v = Math.max(0, Math.min(255, Math.round(image.data[i])));
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = v;
  }
  return { rgb, width: image.width, height: image.height };
}

function expandGrey(data: Uint8Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = data[i * channels];
  return rgb;
}

function landmarkMarks(points: Landmarks, colour: string, r: number, segments: boolean): string {
  const f = (v: number) => v.toFixed(2);
  const stroke = Math.max(1, r / 2.5);
  const lines = segments
    ? [[0, 1], [2, 3]].map(([i, j]) =>
      `<line x1="${f(points[i].x)}" y1="${f(points[i].y)}" x2="${f(points[j].x)}" y2="${
        f(points[j].y)
      }" ` +
      `stroke="${colour}" stroke-width="${f(stroke)}" stroke-opacity="0.8"/>`
    ).join("")
    : "";
  const dots = points.map((p) =>
    `<circle cx="${f(p.x)}" cy="${f(p.y)}" r="${
      f(r)
    }" fill="${colour}" stroke="white" stroke-width="${f(stroke / 2)}"/>`
  ).join("");
  return lines + dots;
}

/** PNG bytes of `image` (a `GrayImage`, or encoded image bytes) with the requested marks. */
export async function overlayPng(
  image: GrayImage | Uint8Array,
  opts: OverlayOptions = {},
): Promise<Uint8Array> {
  const { rgb, width, height } = await toRgb(image);
  if (opts.mask) {
    if (opts.mask.width !== width || opts.mask.height !== height) {
      throw new RangeError(
        `overlayPng: mask ${opts.mask.width}×${opts.mask.height} vs image ${width}×${height}`,
      );
    }
    const edge = boundaryMask(opts.mask).data;
    const [r, g, b] = OVERLAY_COLOURS.mask;
    const alpha = Math.min(1, Math.max(0, opts.maskFill ?? 0));
    if (alpha > 0) {
      const inside = opts.mask.data;
      for (let i = 0; i < inside.length; i++) {
        if (!inside[i]) continue;
        for (const [c, v] of [[0, r], [1, g], [2, b]]) {
          rgb[3 * i + c] = Math.round((1 - alpha) * rgb[3 * i + c] + alpha * v);
        }
      }
    }
    for (let i = 0; i < edge.length; i++) {
      if (edge[i]) [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]] = [r, g, b];
    }
  }
  const radius = opts.markerRadius ?? Math.max(3, width / 160);
  const segments = opts.segments ?? true;
  const parts: string[] = [];
  if (opts.ellipse) {
    const e = opts.ellipse;
    parts.push(
      `<ellipse cx="${e.cx}" cy="${e.cy}" rx="${e.a}" ry="${e.b}" fill="none" stroke="${OVERLAY_COLOURS.ellipse}" ` +
        `stroke-width="${Math.max(1, radius / 2.5)}" transform="rotate(${
          (e.angle * 180) / Math.PI
        } ${e.cx} ${e.cy})"/>`,
    );
  }
  if (opts.truth) parts.push(landmarkMarks(opts.truth, OVERLAY_COLOURS.truth, radius, segments));
  if (opts.prediction) {
    parts.push(landmarkMarks(opts.prediction, OVERLAY_COLOURS.prediction, radius, segments));
  }
  // Points are in pixel-centre coordinates (pixel (i, j) is centred on (i, j), lib/io); SVG's
  // pixel (i, j) spans [i, i + 1], so the marks move by half a pixel to sit on the same pixels.
  const marks = `<g transform="translate(0.5 0.5)">${parts.join("")}</g>`;
  const caption = opts.caption ? captionSvg(opts.caption, width) : "";
  const base = sharp(rgb, { raw: { width, height, channels: 3 } });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `${marks}${caption}</svg>`;
  const png = await base.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
  return new Uint8Array(png);
}

function captionSvg(text: string, width: number): string {
  const size = Math.max(12, Math.round(width / 40));
  return `<rect x="0" y="0" width="${width}" height="${
    Math.round(size * 1.6)
  }" fill="black" fill-opacity="0.55"/>` +
    `<text x="${size / 2}" y="${Math.round(size * 1.15)}" font-family="DejaVu Sans, sans-serif" ` +
    `font-size="${size}" fill="white">${escapeHtml(text)}</text>`;
}

export interface GridTile {
  png: Uint8Array;
  caption?: string;
}

export interface GridOptions {
  cols: number;
  /** Width of each cell in output pixels (default 320); the height follows the first tile's aspect. */
  tileWidth?: number;
  gap?: number;
}

/** Lays tiles out row by row, each fitted (letterboxed, black) into its cell, captions underneath. */
export async function gridPng(tiles: readonly GridTile[], opts: GridOptions): Promise<Uint8Array> {
  if (tiles.length === 0) throw new RangeError("gridPng: no tiles");
  const cols = Math.max(1, Math.min(opts.cols, tiles.length));
  const rows = Math.ceil(tiles.length / cols);
  const tileW = opts.tileWidth ?? 320;
  const gap = opts.gap ?? 4;
  const first = await sharp(tiles[0].png).metadata();
  const tileH = Math.round((tileW * (first.height ?? 1)) / (first.width ?? 1));
  const hasCaptions = tiles.some((t) => t.caption);
  const fontSize = 13;
  const captionH = hasCaptions ? Math.round(fontSize * 1.6) : 0;
  const cellH = tileH + captionH;
  const width = cols * tileW + (cols + 1) * gap;
  const height = rows * cellH + (rows + 1) * gap;
  const layers = await Promise.all(tiles.map(async (t, k) => {
    const left = gap + (k % cols) * (tileW + gap);
    const top = gap + Math.floor(k / cols) * (cellH + gap);
    const input = await sharp(t.png).resize(tileW, tileH, { fit: "contain", background: "#000" })
      .png().toBuffer();
    return { input, left, top };
  }));
  const captions = tiles.map((t, k) => {
    if (!t.caption) return "";
    const x = gap + (k % cols) * (tileW + gap) + 4;
    const y = gap + Math.floor(k / cols) * (cellH + gap) + tileH + fontSize + 3;
    return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${
      escapeHtml(t.caption)
    }</text>`;
  }).join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${captions}</svg>`;
  const png = await sharp({ create: { width, height, channels: 3, background: "#ffffff" } })
    .composite([...layers, { input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
  return new Uint8Array(png);
}
