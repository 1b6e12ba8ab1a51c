/**
 * Tables and figures for notebook 01 (data exploration), so the notebook's cells only call and
 * show. Works on any dataset folder (HC18 import or phantoms); summary statistics use danfojs.
 */
import { isAbsolute, resolve } from "node:path";
import * as dfd from "danfojs";
import sharp from "sharp";
import { LANDMARK_NAMES, type SampleRecord } from "../core/types.ts";
import { auditLabelFiles, type AuditReport } from "../data/audit.ts";
import { type DatasetInfo, readDatasetInfo } from "../data/dataset.ts";
import { mapPool } from "../data/pool.ts";
import { measuresFromLandmarks } from "../geometry/measures.ts";
import type { Series } from "../viz/charts.ts";
import { gridPng, overlayPng } from "../viz/overlay.ts";
import type { Row } from "./table.ts";

/** One case's sizes and measures; mm columns are NaN when the pixel size is unknown. */
export interface CaseRow {
  id: string;
  group: string;
  width: number;
  height: number;
  pixelSizeMm: number;
  ofdPx: number;
  bpdPx: number;
  hcPx: number;
  ofdMm: number;
  bpdMm: number;
  hcMm: number;
}

/** Measures from the landmarks (HC = perimeter of the ellipse with the OFD and BPD axes). */
export function caseRow(rec: SampleRecord, width: number, height: number): CaseRow {
  const px = measuresFromLandmarks(rec.landmarks, 1); // a 1 mm pixel gives the lengths in px
  const mm = rec.pixelSizeMm ? measuresFromLandmarks(rec.landmarks, rec.pixelSizeMm) : undefined;
  return {
    id: rec.id,
    group: rec.group,
    width,
    height,
    pixelSizeMm: rec.pixelSizeMm ?? NaN,
    ofdPx: px.ofdMm,
    bpdPx: px.bpdMm,
    hcPx: px.hcMm,
    ofdMm: mm?.ofdMm ?? NaN,
    bpdMm: mm?.bpdMm ?? NaN,
    hcMm: mm?.hcMm ?? NaN,
  };
}

/** Case rows for all records; image sizes come from the PNG headers (no pixel decoding). */
export function caseRows(records: readonly SampleRecord[]): Promise<CaseRow[]> {
  return mapPool(records, 8, async (rec) => {
    const { width, height } = await sharp(rec.imagePath).metadata();
    return caseRow(rec, width ?? NaN, height ?? NaN);
  });
}

/**
 * count / mean / std / min / median / max per column (danfojs `describe`), one row per column.
 * NaN values (e.g. mm without a pixel size) are left out of that column's statistics.
 */
export function describeColumns(rows: readonly CaseRow[], columns: (keyof CaseRow)[]): Row[] {
  return columns.map((column) => {
    const values = rows.map((r) => r[column] as number).filter(Number.isFinite);
    if (values.length === 0) return { column, count: 0 };
    const d = new dfd.Series(values).describe();
    const stat = (name: string) => d.at(name) as number;
    return {
      column,
      count: stat("count"),
      mean: stat("mean"),
      std: values.length > 1 ? stat("std") : NaN,
      min: stat("min"),
      median: stat("median"),
      max: stat("max"),
    };
  });
}

/**
 * How many images have each size (`W×H`), most common first. Counted here, not with danfojs:
 * its `valueCounts` turns the label "800×540" into "800" (it parses leading digits as numbers).
 */
export function imageSizeCounts(rows: readonly CaseRow[]): Row[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    counts.set(`${r.width}×${r.height}`, (counts.get(`${r.width}×${r.height}`) ?? 0) + 1);
  }
  return [...counts.entries()].map(([size, images]) => ({ size, images }))
    .sort((a, b) => b.images - a.images || a.size.localeCompare(b.size));
}

/** Number of groups (pregnancies in HC18) by how many images they hold. */
export function groupSizeCounts(rows: readonly CaseRow[]): Row[] {
  const perGroup = new Map<string, number>();
  for (const r of rows) perGroup.set(r.group, (perGroup.get(r.group) ?? 0) + 1);
  const bySize = new Map<number, number>();
  for (const n of perGroup.values()) bySize.set(n, (bySize.get(n) ?? 0) + 1);
  return [...bySize.entries()].sort((a, b) => a[0] - b[0])
    .map(([images, groups]) => ({ "images per group": images, groups }));
}

/**
 * Landmark positions as fractions of the image size, one series per landmark, with y flipped
 * (1 − y/H) so the scatter plot shows the image's top at the top.
 */
export function landmarkPositionSeries(
  records: readonly SampleRecord[],
  rows: readonly CaseRow[],
): Series[] {
  return LANDMARK_NAMES.map((name, k) => ({
    name,
    x: records.map((r, i) => r.landmarks[k].x / rows[i].width),
    y: records.map((r, i) => 1 - r.landmarks[k].y / rows[i].height),
  }));
}

/** `count` records spread evenly over the list (first, …, last), for galleries. */
export function spreadPick<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  if (count <= 1) return items.slice(0, Math.max(0, count));
  return Array.from(
    { length: count },
    (_, i) => items[Math.round(i * (items.length - 1) / (count - 1))],
  );
}

/** A grid of images with their ground-truth landmarks (green) and OFD/BPD segments. */
export async function landmarkGridPng(
  records: readonly SampleRecord[],
  cols = 4,
  tileWidth = 280,
): Promise<Uint8Array> {
  const tiles = await mapPool(records, 4, async (r) => ({
    png: await overlayPng(await Deno.readFile(r.imagePath), { truth: r.landmarks }),
    caption: r.id,
  }));
  return gridPng(tiles, { cols, tileWidth });
}

/** The label audit of a dataset folder (labels, images and masks named in its dataset.json). */
export async function auditDataset(dir: string): Promise<AuditReport> {
  const info = await readDatasetInfo(dir);
  const inDir = (p: string) => isAbsolute(p) ? p : resolve(dir, p);
  return auditLabelFiles(
    inDir(info.labels),
    inDir(info.imageDir),
    info.maskDir ? inDir(info.maskDir) : undefined,
  );
}

/** The audit's issue counts, one row per code that occurred. */
export function auditSummaryRows(report: AuditReport): Row[] {
  const severityOf = new Map<string, string>();
  for (const r of report.flagged) for (const i of r.issues) severityOf.set(i.code, i.severity);
  return Object.entries(report.summary).filter(([, n]) => n > 0)
    .map(([code, count]) => ({ code, severity: severityOf.get(code) ?? "", count }));
}

/** The first rows the audit flagged, one row per issue. */
export function auditExampleRows(report: AuditReport, rows = 10): Row[] {
  return report.flagged.slice(0, rows).flatMap((r) =>
    r.issues.map((i) => ({ row: r.row, id: r.id, code: i.code, message: i.message }))
  );
}

/** One line on the data a notebook reads: mode, kind, source, licence, images and groups. */
export function datasetHeadlineMarkdown(
  mode: string,
  kind: string,
  info: DatasetInfo,
  records: readonly SampleRecord[],
): string {
  const groups = new Set(records.map((r) => r.group)).size;
  return `**Mode:** ${mode} · **data:** ${kind} (\`${info.name}\`, source: ${info.source}` +
    `${
      info.licence ? `, licence: ${info.licence}` : ""
    }) · **${records.length} labelled images** ` +
    `in **${groups} groups**.`;
}
