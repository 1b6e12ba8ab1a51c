/**
 * Landmark label files in the prototype's CSV format:
 *
 *   image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y[,pixel_size_mm,hc_mm,group]
 *
 * Coordinates are pixels of the named image (pixel centres at integers). The last three columns
 * are optional (the column may be absent, or a cell empty); any further columns are ignored.
 * Column names are matched trimmed and in any case; a name given twice is an error.
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

/** A decimal number, as a spreadsheet writes it: no hex (`0x16C`), no blanks, no `Infinity`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Why one row cannot be read; the loader names file and row, the audit lists it per row. */
export class RowProblem extends Error {
  constructor(readonly problem: string, readonly value: string) {
    super(`${problem} (value: ${JSON.stringify(value)})`);
    this.name = "RowProblem";
  }
}

function parseNumber(cell: string, column: string): number {
  const text = cell.trim();
  if (!DECIMAL.test(text)) throw new RowProblem(`column ${column} is not a finite number`, cell);
  return Number(text);
}

function headerHint(header: readonly string[]): string {
  const text = header.join(",");
  if (text.includes("\u0000")) return "; the file looks UTF-16: save it as UTF-8";
  if (header.length === 1 && /[;\t]/.test(text)) {
    return `; the file looks ${
      text.includes(";") ? "semicolon" : "tab"
    }-separated: save it with commas`;
  }
  return "";
}

/**
 * Column positions of a prototype-format header. Names are compared trimmed and in lower case; an
 * empty name (a trailing comma) is an unnamed column and ignored; a name given twice is an error,
 * since either cell could be the one meant.
 */
export function prototypeColumns(header: readonly string[], csvPath: string): Map<string, number> {
  const col = new Map<string, number>();
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    if (name === "") return;
    if (col.has(name)) {
      throw new InputError(
        `column "${name}" appears twice in the header (columns ${col.get(name)! + 1} and ${i + 1})`,
        csvPath,
        1,
        raw,
      );
    }
    col.set(name, i);
  });
  for (const name of PROTOTYPE_HEADER) {
    if (!col.has(name)) {
      throw new InputError(
        `missing column "${name}" in the header ${JSON.stringify(header.join(","))}` +
          headerHint(header),
        csvPath,
        1,
      );
    }
  }
  return col;
}

/** One label row as written: landmarks not reordered. */
export interface PrototypeRow {
  id: string;
  landmarks: Landmarks;
  pixelSizeMm?: number;
  hcMm?: number;
  group: string;
}

/** Parses the cells of one row; throws RowProblem saying what is wrong with which value. */
export function parsePrototypeRow(
  cells: readonly string[],
  col: Map<string, number>,
): PrototypeRow {
  // Cells of the columns read; a short row may leave out columns that are ignored anyway.
  const read = [...PROTOTYPE_HEADER, ...OPTIONAL_COLUMNS].filter((n) => col.has(n));
  const needed = Math.max(...read.map((n) => col.get(n)!)) + 1;
  if (cells.length < needed) {
    throw new RowProblem(`expected ${needed} cells, found ${cells.length}`, cells.join(","));
  }
  const cell = (name: string) => cells[col.get(name)!];
  const id = cell("image_name").trim();
  if (id === "") throw new RowProblem("empty image_name", "");
  const v = LANDMARK_COLUMNS.map((c) => parseNumber(cell(c), c));
  const optional = (name: string, ok: (v: number) => boolean, rule: string) => {
    if (!col.has(name) || cell(name).trim() === "") return undefined;
    const value = parseNumber(cell(name), name);
    if (!ok(value)) throw new RowProblem(`${name} must be ${rule}`, cell(name));
    return value;
  };
  const pixelSizeMm = optional("pixel_size_mm", (v) => v > 0, "> 0");
  // 0 is what `predict` writes for an image where it found no head; a label's HC is never 0, but
  // evaluate reads predictions with this same parser.
  const hcMm = optional("hc_mm", (v) => v >= 0, "≥ 0");
  const group = col.has("group") && cell("group").trim() !== ""
    ? cell("group").trim()
    : groupOf(id);
  return {
    id,
    landmarks: [
      { x: v[0], y: v[1] },
      { x: v[2], y: v[3] },
      { x: v[4], y: v[5] },
      { x: v[6], y: v[7] },
    ],
    ...(pixelSizeMm !== undefined ? { pixelSizeMm } : {}),
    ...(hcMm !== undefined ? { hcMm } : {}),
    group,
  };
}

/** Read a prototype-format label file into records whose paths point into imageDir (/maskDir). */
export async function loadPrototypeCsv(
  csvPath: string,
  imageDir: string,
  opts: PrototypeCsvOptions = {},
): Promise<SampleRecord[]> {
  const table = await readCsv(csvPath);
  const col = prototypeColumns(table.header, csvPath);
  if (table.rows.length === 0) throw new InputError("no label rows below the header", csvPath);
  const records: SampleRecord[] = [];
  const seen = new Map<string, number>();
  table.rows.forEach((cells, r) => {
    const row = table.lines[r];
    let parsed: PrototypeRow;
    try {
      parsed = parsePrototypeRow(cells, col);
    } catch (err) {
      if (err instanceof RowProblem) throw new InputError(err.problem, csvPath, row, err.value);
      throw err;
    }
    const { id, landmarks, ...rest } = parsed;
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new InputError(`duplicate image_name (first at row ${previous})`, csvPath, row, id);
    }
    seen.set(id, row);
    records.push({
      id,
      imagePath: resolve(imageDir, id),
      landmarks: opts.canonical === false ? landmarks : canonicalize(landmarks),
      ...(opts.maskDir ? { maskPath: resolve(opts.maskDir, maskFileName(id)) } : {}),
      ...rest,
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
