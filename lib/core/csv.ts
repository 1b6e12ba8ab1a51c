/**
 * Minimal RFC 4180 CSV: comma separator, double-quoted fields with "" escapes, LF or CRLF line
 * ends, optional UTF-8 BOM, optional final newline. Enough for label files and result tables
 * without pulling in a dependency.
 */
import { InputError, unreadable } from "./errors.ts";

export interface CsvTable {
  header: string[];
  /** Data rows as string cells; `lines[i]` is the 1-based file line where rows[i] starts. */
  rows: string[][];
  lines: number[];
}

/**
 * Parse CSV text; the first record is the header. Blank records are skipped: empty lines, lines of
 * spaces or tabs (an editor's trailing line) and lines of empty cells (`,,,`, a spreadsheet's
 * cleared row); a quoted empty field `""` is a row.
 */
export function parseCsv(text: string, file = "<csv>"): CsvTable {
  const records: string[][] = [];
  const starts: number[] = [];
  let field = "";
  let record: string[] = [];
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let fieldStarted = false;
  let sawQuote = false;
  const endRecord = () => {
    record.push(field);
    if (sawQuote || record.some((f) => f.trim() !== "")) {
      records.push(record);
      starts.push(recordLine);
    }
    record = [];
    field = "";
    fieldStarted = false;
    sawQuote = false;
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      fieldStarted = true;
      sawQuote = true;
    } else if (ch === ",") {
      record.push(field);
      field = "";
      fieldStarted = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw new InputError("unterminated quoted field", file, recordLine);
  if (fieldStarted || field !== "" || record.length > 0) endRecord();
  if (records.length === 0) throw new InputError("empty CSV file (no header)", file);
  const [header, ...rows] = records;
  return { header: header.map((h) => h.trim()), rows, lines: starts.slice(1) };
}

export async function readCsv(path: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw unreadable(err, path, "CSV", "CSV file not found");
  }
  return parseCsv(text, path);
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

/** CSV text with LF line ends and a final newline; numbers are written with full precision. */
export function formatCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | undefined | null)[])[],
): string {
  const line = (cells: readonly (string | number | undefined | null)[]) =>
    cells.map((c) => quote(c === undefined || c === null ? "" : String(c))).join(",");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}
