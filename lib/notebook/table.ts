/**
 * Render rows of records as plain-text, Markdown or HTML tables. Used by notebooks (`showTable`),
 * the evaluation CLI (console summary) and `summary.md`, so all three format numbers the same way.
 */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

export interface TableOptions {
  /** Column order; defaults to the keys of all rows in first-seen order. */
  columns?: string[];
  /** Decimals shown for non-integer numbers (default 3). */
  digits?: number;
}

export function tableColumns(rows: Row[], columns?: string[]): string[] {
  if (columns) return columns;
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** Integers print as they are, other numbers with `digits` decimals; NaN and missing as "–"/"". */
export function formatCell(value: Cell, digits = 3): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "–";
    if (!Number.isFinite(value)) return value > 0 ? "∞" : "-∞";
    return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  }
  return String(value);
}

function cellMatrix(rows: Row[], opts: TableOptions): { columns: string[]; cells: string[][] } {
  const columns = tableColumns(rows, opts.columns);
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c], opts.digits)));
  return { columns, cells };
}

const isNumeric = (rows: Row[], column: string) =>
  rows.some((r) => typeof r[column] === "number") &&
  rows.every((r) => r[column] === undefined || r[column] === null || typeof r[column] === "number");

/** Fixed-width text table (numbers right-aligned), for consoles and `text/plain`. */
export function textTable(rows: Row[], opts: TableOptions = {}): string {
  const { columns, cells } = cellMatrix(rows, opts);
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const right = columns.map((c) => isNumeric(rows, c));
  const line = (values: string[]) =>
    values.map((v, j) => right[j] ? v.padStart(widths[j]) : v.padEnd(widths[j])).join("  ")
      .trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join(
    "\n",
  );
}

/** GitHub-flavoured Markdown table; `|` inside cells is escaped. */
export function markdownTable(rows: Row[], opts: TableOptions = {}): string {
  const { columns, cells } = cellMatrix(rows, opts);
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const align = columns.map((c) => isNumeric(rows, c) ? "---:" : "---");
  return [
    `| ${columns.map(esc).join(" | ")} |`,
    `| ${align.join(" | ")} |`,
    ...cells.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** A self-contained HTML table (no external CSS), with an optional caption. */
export function htmlTable(rows: Row[], opts: TableOptions & { caption?: string } = {}): string {
  const { columns, cells } = cellMatrix(rows, opts);
  const right = columns.map((c) => isNumeric(rows, c));
  const td = (tag: string, v: string, j: number) =>
    `<${tag} style="text-align:${right[j] ? "right" : "left"}">${escapeHtml(v)}</${tag}>`;
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : "";
  return `<table>${caption}<thead><tr>${
    columns.map((c, j) => td("th", c, j)).join("")
  }</tr></thead>` +
    `<tbody>${cells.map((r) => `<tr>${r.map((v, j) => td("td", v, j)).join("")}</tr>`).join("")}` +
    `</tbody></table>`;
}
