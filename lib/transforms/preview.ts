/**
 * Figures and checks for notebook 02 (preprocessing and augmentation), kept here so the notebook's
 * cells only call and show. Every function returns PNG bytes, a Figure or plain rows.
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import sharp from "sharp";
import { Rng } from "../core/rng.ts";
import type { GrayImage, Landmarks, Point, Sample } from "../core/types.ts";
import { loadDataset, loadSample } from "../data/dataset.ts";
import { generatePhantom } from "../data/phantom.ts";
import { writeGrayPng } from "../io/image.ts";
import { dataDir, type DataKind, dataKind } from "../notebook/env.ts";
import { lineChart } from "../viz/charts.ts";
import type { Figure } from "../viz/figure.ts";
import { gridPng, OVERLAY_COLOURS, overlayPng } from "../viz/overlay.ts";
import { ALL_AUGMENTATIONS } from "./catalogue.ts";
import { clahe } from "./clahe.ts";
import { mapToSource } from "./geometric.ts";
import {
  type ClaheAgreement,
  claheAgreement,
  opencvClahe,
  opencvVersion,
} from "./opencv_reference.ts";
import { type AugmentConfig, DEFAULT_AUGMENT, type Pipeline, sampleRng } from "./pipeline.ts";
import type { AugSample, Transform } from "./types.ts";

/**
 * Re-encode as a 256-colour palette PNG: these figures are grey images with a few overlay colours,
 * so nothing visible is lost, and speckle-heavy galleries shrink to a fraction (notebook size).
 */
async function compactPng(png: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(png).png({ palette: true, colours: 256, dither: 0 }).toBuffer(),
  );
}

/** `count` labelled samples: HC18 cases spread over the dataset, or 800×540 phantoms. */
export async function loadPreviewSamples(
  count: number,
): Promise<{ kind: DataKind; samples: Sample[] }> {
  const kind = await dataKind();
  if (kind === "phantoms") {
    const samples = Array.from({ length: count }, (_, i) => {
      const p = generatePhantom(1000 + i, { width: 800, height: 540 });
      return {
        id: `phantom-${1000 + i}`,
        image: p.image,
        landmarks: p.landmarks,
        mask: p.mask,
        group: `${i}`,
      };
    });
    return { kind, samples };
  }
  const records = await loadDataset(await dataDir());
  const step = Math.max(1, Math.floor(records.length / count));
  const picked = Array.from(
    { length: Math.min(count, records.length) },
    (_, i) => records[i * step],
  );
  return { kind, samples: await Promise.all(picked.map(loadSample)) };
}

/** Each image before and after CLAHE, side by side. */
export async function claheComparisonPng(samples: readonly Sample[]): Promise<Uint8Array> {
  const tiles = [];
  for (const s of samples) {
    tiles.push({ png: await overlayPng(s.image), caption: `${s.id}: original` });
    tiles.push({ png: await overlayPng(clahe(s.image)), caption: `${s.id}: CLAHE 2.0, 8×8` });
  }
  return compactPng(await gridPng(tiles, { cols: 2, tileWidth: 360 }));
}

function greyHistogram(img: GrayImage): number[] {
  const counts = new Array(256).fill(0);
  for (const v of img.data) counts[Math.max(0, Math.min(255, Math.round(v)))]++;
  return counts;
}

/** Grey-level histograms before and after CLAHE (level 0, the black background, left out). */
export function claheHistogramFigure(sample: Sample): Figure {
  const levels = Array.from({ length: 255 }, (_, i) => i + 1);
  const share = (img: GrayImage) => {
    const h = greyHistogram(img);
    const total = h.slice(1).reduce((a, b) => a + b, 0);
    return levels.map((l) => (100 * h[l]) / total);
  };
  return lineChart([
    { name: "original", x: levels, y: share(sample.image) },
    { name: "CLAHE", x: levels, y: share(clahe(sample.image)) },
  ], {
    title: `${sample.id}: grey levels 1–255`,
    xLabel: "grey level",
    yLabel: "% of pixels",
    height: 220,
  });
}

/** Our CLAHE against cv2's on these images (written as 8-bit PNGs for cv2); null without cv2. */
export async function claheAgreementRows(
  samples: readonly Sample[],
): Promise<{ opencv: string; rows: ClaheAgreement[] } | null> {
  const version = await opencvVersion();
  if (!version) return null;
  const dir = await Deno.makeTempDir({ prefix: "clahe_check_" });
  try {
    const paths = [];
    for (const s of samples) {
      const path = join(dir, `${s.id.replace(/\.png$/i, "").replace(/[^\w.-]/g, "_")}.png`);
      await writeGrayPng(path, s.image);
      paths.push(path);
    }
    return { opencv: version, rows: (await opencvClahe(paths)).map(claheAgreement) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every augmentation once, forced on (p = 1), with its default range. */
export const GALLERY_TRANSFORMS: readonly Transform[] = ALL_AUGMENTATIONS;

async function sampleTile(s: AugSample, caption: string) {
  return { png: await overlayPng(s.image, { truth: s.landmarks, mask: s.mask }), caption };
}

/** The sample, then each gallery transform applied to it, landmarks (green) and mask contour drawn. */
export async function augmentationGalleryPng(sample: AugSample, seed: number): Promise<Uint8Array> {
  const tiles = [await sampleTile(sample, "input")];
  for (const t of GALLERY_TRANSFORMS) {
    tiles.push(await sampleTile(t(sample, new Rng(seed)), t.label));
  }
  return compactPng(await gridPng(tiles, { cols: 4, tileWidth: 200 }));
}

/** `n` draws of a pipeline's random part on one preprocessed sample. */
export async function pipelineGalleryPng(
  pipe: Pipeline,
  sample: AugSample,
  n: number,
  seed: number,
): Promise<Uint8Array> {
  const tiles = [];
  for (let i = 0; i < n; i++) {
    const out = pipe.augment(sample, sampleRng(seed, 0, i));
    const note = out.skipped.length ? ` (skipped ${out.skipped.length})` : "";
    tiles.push(await sampleTile(out, `draw ${i}${note}`));
  }
  return compactPng(await gridPng(tiles, { cols: 4, tileWidth: 200 }));
}

export interface MapBackCheck {
  /** The original image, originals as green rings, mapped-back points as red dots. */
  png: Uint8Array;
  /** 24 px around each original landmark, enlarged 10×. */
  zoomPng: Uint8Array;
  rows: Record<string, number>[];
}

/** Distance from each point of `b` to its partner in `a` (ends matched within each pair). */
function pairedDistances(a: Landmarks, b: Landmarks): number[] {
  const d = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);
  const out: number[] = [];
  for (const i of [0, 2]) {
    const straight = [d(a[i], b[i]), d(a[i + 1], b[i + 1])];
    const swapped = [d(a[i], b[i + 1]), d(a[i + 1], b[i])];
    out.push(...(Math.max(...straight) <= Math.max(...swapped) ? straight : swapped));
  }
  return out;
}

function pointsSvg(
  width: number,
  height: number,
  rings: Point[],
  dots: Point[],
  zoom: number,
  r: number,
): string {
  const f = (v: number) => ((v + 0.5) * zoom).toFixed(2); // pixel centre k sits at (k + ½)·zoom
  const ring = rings.map((p) =>
    `<circle cx="${f(p.x)}" cy="${f(p.y)}" r="${
      (r * 2.2).toFixed(1)
    }" fill="none" stroke="${OVERLAY_COLOURS.truth}" stroke-width="${(r * 0.6).toFixed(1)}"/>`
  );
  const dot = dots.map((p) =>
    `<circle cx="${f(p.x)}" cy="${f(p.y)}" r="${(r * 0.7).toFixed(1)}" fill="#ff1744"/>`
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${
    ring.join("")
  }${dot.join("")}</svg>`;
}

function greyPng(img: GrayImage): sharp.Sharp {
  const u8 = Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, Math.round(v))));
  return sharp(u8, { raw: { width: img.width, height: img.height, channels: 1 } }).toColourspace(
    "srgb",
  );
}

/**
 * Runs the full training pipeline `n` times on one sample and carries every augmented landmark
 * back to the original image through the recorded maps (augmentations, then the letterbox).
 */
export async function mapBackCheck(
  pipe: Pipeline,
  sample: Sample,
  n: number,
  seed: number,
): Promise<MapBackCheck> {
  const back: Point[] = [];
  const dists: number[] = [];
  let skipped = 0;
  let geometric = 0;
  for (let i = 0; i < n; i++) {
    const out = pipe.run(sample, sampleRng(seed, 0, i));
    skipped += out.skipped.length;
    geometric += out.maps.length - 1; // the letterbox is always there
    const mapped = mapToSource(out.maps, out.landmarks) as Landmarks;
    back.push(...mapped);
    dists.push(...pairedDistances(sample.landmarks, mapped));
  }
  const { width, height } = sample.image;
  const r = Math.max(2, width / 250);
  const main = await greyPng(sample.image)
    .composite([{
      input: Buffer.from(pointsSvg(width, height, sample.landmarks, back, 1, r)),
      top: 0,
      left: 0,
    }])
    .png().toBuffer();
  const zoom = 10, half = 12;
  const tiles = [];
  for (const [k, c] of sample.landmarks.entries()) {
    const left = Math.max(0, Math.min(width - 2 * half, Math.round(c.x) - half));
    const top = Math.max(0, Math.min(height - 2 * half, Math.round(c.y) - half));
    const shiftBy = (p: Point) => ({ x: p.x - left, y: p.y - top });
    const svg = pointsSvg(
      2 * half * zoom,
      2 * half * zoom,
      [shiftBy(c)],
      back.map(shiftBy),
      zoom,
      3,
    );
    const crop = await greyPng(sample.image).extract({
      left,
      top,
      width: 2 * half,
      height: 2 * half,
    })
      .resize(2 * half * zoom, 2 * half * zoom, { kernel: "nearest" }).png().toBuffer();
    const png = await sharp(crop).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png()
      .toBuffer();
    tiles.push({ png: new Uint8Array(png), caption: ["OFD1", "OFD2", "BPD1", "BPD2"][k] });
  }
  const rows = [{
    augmentations: n,
    "geometric transforms applied": geometric,
    "skipped (out-of-image policy)": skipped,
    "max distance px": Math.max(...dists),
    "mean distance px": dists.reduce((a, b) => a + b, 0) / dists.length,
  }];
  return {
    png: await compactPng(new Uint8Array(main)),
    zoomPng: await gridPng(tiles, { cols: 4, tileWidth: 240 }),
    rows,
  };
}

/** The augmentation settings as a two-column table (defaults unless given). */
export function augmentSettingRows(
  config: AugmentConfig = DEFAULT_AUGMENT,
): { key: string; value: string }[] {
  return Object.entries(config).map(([key, value]) => ({ key, value: String(value) }));
}
