/**
 * Landmark label files in the prototype's CSV format:
 *
 *   image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y[,pixel_size_mm,hc_mm,group]
 *
 * Coordinates are pixels of the named image (pixel centres at integers). The last three columns
 * are optional (the column may be absent, or a cell empty); any further columns are ignored.
 * Group: the `group` cell when present, else the HC18 number prefix (`014_2HC.png` → `014`), else
 * the image name. Row numbers in errors are 1-based line numbers of the file (header = line 1).
 */
import { parse as parsePath, resolve } from "node:path";
import { InputError } from "../core/errors.ts";
import { formatCsv, readCsv } from "../core/csv.ts";
import { exists } from "../core/fs.ts";
import type { Landmarks, SampleRecord } from "../core/types.ts";
import { canonicalize } from "./landmark_order.ts";

export const LANDMARK_COLUMNS = [
  "ofd_1_x",
  "ofd_1_y",
  "ofd_2_x",
  "ofd_2_y",
  "bpd_1_x",
  "bpd_1_y",
  "bpd_2_x",
  "bpd_2_y",
] as const;
export const PROTOTYPE_HEADER = ["image_name", ...LANDMARK_COLUMNS] as const;
export const OPTIONAL_COLUMNS = ["pixel_size_mm", "hc_mm", "group"] as const;

/** Group of a case: HC18 number prefix (`^(\d+)_`), else the id itself. */
export function groupOf(id: string): string {
  return /^(\d+)_/.exec(id)?.[1] ?? id;
}

/** Mask file name convention of dataset folders: `<stem>_mask.png`. */
export function maskFileName(id: string): string {
  return `${parsePath(id).name}_mask.png`;
}

export interface PrototypeCsvOptions {
  /** Folder of `<stem>_mask.png` masks; each must exist. */
  maskDir?: string;
  /** Check that every image file exists (default true). */
  checkFiles?: boolean;
  /** Put landmarks in canonical order (default true; the label audit reads them as written). */
  canonical?: boolean;
}

function parseNumber(cell: string, file: string, row: number, column: string): number {
  const text = cell.trim();
  const value = text === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new InputError(`column ${column} is not a finite number`, file, row, cell);
  }
  return value;
}

/** Read a prototype-format label file into records whose paths point into imageDir (/maskDir). */
export async function loadPrototypeCsv(
  csvPath: string,
  imageDir: string,
  opts: PrototypeCsvOptions = {},
): Promise<SampleRecord[]> {
  const table = await readCsv(csvPath);
  const col = new Map(table.header.map((name, i) => [name, i]));
  for (const name of PROTOTYPE_HEADER) {
    if (!col.has(name)) throw new InputError(`missing column "${name}"`, csvPath, 1, name);
  }
  const records: SampleRecord[] = [];
  const seen = new Map<string, number>();
  table.rows.forEach((cells, r) => {
    const row = table.lines[r];
    if (cells.length < table.header.length) {
      throw new InputError(
        `expected ${table.header.length} cells, found ${cells.length}`,
        csvPath,
        row,
        cells.join(","),
      );
    }
    const cell = (name: string) => cells[col.get(name)!];
    const id = cell("image_name").trim();
    if (id === "") throw new InputError("empty image_name", csvPath, row, "");
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new InputError(`duplicate image_name (first at row ${previous})`, csvPath, row, id);
    }
    seen.set(id, row);
    const v = LANDMARK_COLUMNS.map((c) => parseNumber(cell(c), csvPath, row, c));
    const raw: Landmarks = [
      { x: v[0], y: v[1] },
      { x: v[2], y: v[3] },
      { x: v[4], y: v[5] },
      { x: v[6], y: v[7] },
    ];
    const optional = (name: string) =>
      col.has(name) && cell(name).trim() !== ""
        ? parseNumber(cell(name), csvPath, row, name)
        : undefined;
    const pixelSizeMm = optional("pixel_size_mm");
    if (pixelSizeMm !== undefined && !(pixelSizeMm > 0)) {
      throw new InputError("pixel_size_mm must be > 0", csvPath, row, cell("pixel_size_mm"));
    }
    const hcMm = optional("hc_mm");
    const group = col.has("group") && cell("group").trim() !== ""
      ? cell("group").trim()
      : groupOf(id);
    records.push({
      id,
      imagePath: resolve(imageDir, id),
      landmarks: opts.canonical === false ? raw : canonicalize(raw),
      ...(opts.maskDir ? { maskPath: resolve(opts.maskDir, maskFileName(id)) } : {}),
      ...(pixelSizeMm !== undefined ? { pixelSizeMm } : {}),
      ...(hcMm !== undefined ? { hcMm } : {}),
      group,
    });
  });
  if (opts.checkFiles !== false) await checkFilesExist(records, csvPath, table.lines);
  return records;
}

async function checkFilesExist(records: SampleRecord[], csvPath: string, lines: number[]) {
  const found = await Promise.all(
    records.map(async (
      r,
    ) => [await exists(r.imagePath), r.maskPath ? await exists(r.maskPath) : true]),
  );
  found.forEach(([image, mask], i) => {
    if (!image) {
      throw new InputError("image file not found", csvPath, lines[i], records[i].imagePath);
    }
    if (!mask) throw new InputError("mask file not found", csvPath, lines[i], records[i].maskPath);
  });
}

/** Prototype CSV text for records (with pixel_size_mm, hc_mm, group columns). */
export function formatPrototypeCsv(records: readonly SampleRecord[]): string {
  return formatCsv(
    [...PROTOTYPE_HEADER, ...OPTIONAL_COLUMNS],
    records.map((r) => [
      r.id,
      ...r.landmarks.flatMap((p) => [p.x, p.y]),
      r.pixelSizeMm,
      r.hcMm,
      r.group,
    ]),
  );
}
