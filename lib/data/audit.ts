/**
 * Label audit: finds landmark rows that are probably wrong before they poison training.
 *
 * `auditLabels` is a pure function over rows already in memory (landmarks as written, image size,
 * optional mask); `auditLabelFiles` gathers those from a prototype CSV + folders, reporting
 * unreadable rows, missing files and duplicate ids as issues instead of stopping at the first.
 *
 * Checks and their default thresholds (all overridable):
 * - unparseable           the row cannot be read as the loader reads it (a cell missing, a
 *                         coordinate not a number, empty name, pixel size or HC not > 0)    error
 * - duplicate_id          the image name appeared on an earlier row                         error
 * - missing_image         image file absent or undecodable                                  error
 * - outside_image         a point outside the image extent [−½, W − ½] × [−½, H − ½]        error
 * - degenerate_axis       OFD or BPD shorter than 1 px (coincident ends)                    error
 * - bpd_longer_than_ofd   BPD longer than OFD: the pairs are probably swapped               error
 * - not_perpendicular     axes more than 10° from perpendicular                             warning
 * - midpoint_mismatch     axis midpoints further apart than 10 % of the OFD length          warning
 * - missing_mask          a mask folder was given but this row's mask is absent, unreadable,
 *                         empty, or not the image's size                                   warning
 * - far_from_mask         a point further than max(3 px, 2 % of OFD) from the mask boundary warning
 * - duplicate_labels      same landmarks (up to order within pairs) as an earlier row with
 *                         another id: a copy-paste slip, or a near-duplicate image (HC18 has
 *                         a few, e.g. 243_HC / 243_3HC, with byte-identical annotations)   warning
 */
import { basename, dirname, join } from "node:path";
import { readCsv } from "../core/csv.ts";
import { InputError } from "../core/errors.ts";
import { exists } from "../core/fs.ts";
import type { Landmarks, Mask, Point } from "../core/types.ts";
import { readGray, readMask } from "../io/image.ts";
import { sameUpToOrder } from "./landmark_order.ts";
import { mapPool } from "./pool.ts";
import {
  maskFileName,
  parsePrototypeRow,
  prototypeColumns,
  type PrototypeRow,
  RowProblem,
} from "./prototype_csv.ts";

export const AUDIT_CODES = [
  "unparseable",
  "duplicate_id",
  "missing_image",
  "outside_image",
  "degenerate_axis",
  "bpd_longer_than_ofd",
  "not_perpendicular",
  "midpoint_mismatch",
  "missing_mask",
  "far_from_mask",
  "duplicate_labels",
] as const;
export type AuditCode = typeof AUDIT_CODES[number];
export type Severity = "error" | "warning";

const SEVERITY: Record<AuditCode, Severity> = {
  unparseable: "error",
  duplicate_id: "error",
  missing_image: "error",
  outside_image: "error",
  degenerate_axis: "error",
  bpd_longer_than_ofd: "error",
  not_perpendicular: "warning",
  midpoint_mismatch: "warning",
  missing_mask: "warning",
  far_from_mask: "warning",
  duplicate_labels: "warning",
};

export interface AuditThresholds {
  /** Largest allowed deviation of the axis angle from 90°, degrees. */
  perpendicularDeg: number;
  /** Largest allowed distance between the axis midpoints, as a fraction of the OFD length. */
  midpointFractionOfOfd: number;
  /** Distance to the mask boundary allowed: max(px, fraction × OFD length). */
  maskDistancePx: number;
  maskDistanceFractionOfOfd: number;
}

export const DEFAULT_THRESHOLDS: AuditThresholds = {
  perpendicularDeg: 10,
  midpointFractionOfOfd: 0.1,
  maskDistancePx: 3,
  maskDistanceFractionOfOfd: 0.02,
};

export interface AuditInput {
  /** 1-based line in the label file. */
  row: number;
  id: string;
  /** As written (not canonicalised); absent when the row could not be parsed. */
  landmarks?: Landmarks;
  parseError?: string;
  /** Image size; null when the image is missing or unreadable; absent when not checked. */
  image?: { width: number; height: number } | null;
  /** Why the image is null (default: missing or unreadable). */
  imageProblem?: string;
  /** Mask; null when expected but missing or unusable; undefined when masks are not checked. */
  mask?: Mask | null;
  /** Why the mask is null (default: missing or unreadable). */
  maskProblem?: string;
}

export interface AuditIssue {
  code: AuditCode;
  severity: Severity;
  message: string;
}

export interface AuditRowReport {
  row: number;
  id: string;
  issues: AuditIssue[];
}

export interface AuditReport {
  checked: number;
  /** Rows with at least one issue, in file order. */
  flagged: AuditRowReport[];
  summary: Record<AuditCode, number>;
  errors: number;
  warnings: number;
  thresholds: AuditThresholds;
}

const POINT_NAMES = ["OFD1", "OFD2", "BPD1", "BPD2"];
const dist = (p: Point, q: Point) => Math.hypot(p.x - q.x, p.y - q.y);
const mid = (p: Point, q: Point): Point => ({ x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 });
const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/** Centres of mask pixels that are inside and touch the outside (4-neighbourhood or the border). */
export function maskBoundary(mask: Mask): Point[] {
  const { width: w, height: h, data } = mask;
  const pts: Point[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!data[i]) continue;
      if (
        x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
        !data[i - 1] || !data[i + 1] || !data[i - w] || !data[i + w]
      ) pts.push({ x, y });
    }
  }
  return pts;
}

function nearest(p: Point, pts: readonly Point[]): number {
  let best = Infinity;
  for (const q of pts) {
    const d = (p.x - q.x) ** 2 + (p.y - q.y) ** 2;
    if (d < best) best = d;
  }
  return Math.sqrt(best);
}

function checkGeometry(l: Landmarks, t: AuditThresholds, issue: (c: AuditCode, m: string) => void) {
  const [o1, o2, b1, b2] = l;
  const ofd = dist(o1, o2);
  const bpd = dist(b1, b2);
  if (ofd < 1 || bpd < 1) {
    issue("degenerate_axis", `axis lengths OFD ${fmt(ofd)} px, BPD ${fmt(bpd)} px`);
    return;
  }
  if (bpd > ofd) issue("bpd_longer_than_ofd", `BPD ${fmt(bpd)} px > OFD ${fmt(ofd)} px`);
  const cos = Math.abs((o2.x - o1.x) * (b2.x - b1.x) + (o2.y - o1.y) * (b2.y - b1.y)) / (ofd * bpd);
  const offDeg = 90 - (Math.acos(Math.min(1, cos)) * 180) / Math.PI;
  if (offDeg > t.perpendicularDeg) {
    issue(
      "not_perpendicular",
      `axes ${fmt(offDeg)}° from perpendicular (limit ${t.perpendicularDeg}°)`,
    );
  }
  const gap = dist(mid(o1, o2), mid(b1, b2));
  if (gap > t.midpointFractionOfOfd * ofd) {
    issue(
      "midpoint_mismatch",
      `midpoints ${fmt(gap)} px apart = ${fmt((100 * gap) / ofd)} % of OFD (limit ${
        100 * t.midpointFractionOfOfd
      } %)`,
    );
  }
}

/** Audit rows in memory. Pure: the same inputs give the same report. */
export function auditLabels(
  inputs: readonly AuditInput[],
  thresholds: Partial<AuditThresholds> = {},
): AuditReport {
  const t = { ...DEFAULT_THRESHOLDS, ...thresholds };
  const summary = Object.fromEntries(AUDIT_CODES.map((c) => [c, 0])) as Record<AuditCode, number>;
  const flagged: AuditRowReport[] = [];
  const firstRowOfId = new Map<string, number>();
  const earlier: { row: number; id: string; landmarks: Landmarks }[] = [];
  let errors = 0, warnings = 0;

  for (const input of inputs) {
    const issues: AuditIssue[] = [];
    const issue = (code: AuditCode, message: string) => {
      issues.push({ code, severity: SEVERITY[code], message });
      summary[code]++;
      if (SEVERITY[code] === "error") errors++;
      else warnings++;
    };
    const seenAt = firstRowOfId.get(input.id);
    if (seenAt !== undefined) issue("duplicate_id", `"${input.id}" first listed at row ${seenAt}`);
    else firstRowOfId.set(input.id, input.row);
    if (input.image === null) {
      issue("missing_image", input.imageProblem ?? "image file missing or unreadable");
    }
    if (input.mask === null) {
      issue("missing_mask", input.maskProblem ?? "mask file missing or unreadable");
    }

    const l = input.landmarks;
    if (!l) {
      issue("unparseable", input.parseError ?? "landmarks could not be read");
    } else {
      if (input.image) {
        const { width, height } = input.image;
        const outside = l
          .map((p, k) => ({ p, k }))
          .filter(({ p }) => p.x < -0.5 || p.y < -0.5 || p.x > width - 0.5 || p.y > height - 0.5);
        if (outside.length) {
          issue(
            "outside_image",
            outside.map(({ p, k }) => `${POINT_NAMES[k]} (${fmt(p.x)}, ${fmt(p.y)})`).join(", ") +
              ` outside ${width}×${height}`,
          );
        }
      }
      checkGeometry(l, t, issue);
      if (input.mask) {
        const boundary = maskBoundary(input.mask);
        const limit = Math.max(t.maskDistancePx, t.maskDistanceFractionOfOfd * dist(l[0], l[1]));
        const far = l.map((p, k) => ({ k, d: nearest(p, boundary) })).filter(({ d }) => d > limit);
        if (far.length) {
          issue(
            "far_from_mask",
            far.map(({ k, d }) => `${POINT_NAMES[k]} ${fmt(d)} px`).join(", ") +
              ` from the mask boundary (limit ${fmt(limit)} px)`,
          );
        }
      }
      // A repeated id is already an error; comparing its labels again would only add noise.
      if (seenAt === undefined) {
        const twin = earlier.find((e) => sameUpToOrder(e.landmarks, l, 1e-6));
        if (twin) issue("duplicate_labels", `same landmarks as "${twin.id}" (row ${twin.row})`);
        earlier.push({ row: input.row, id: input.id, landmarks: l });
      }
    }
    if (issues.length) flagged.push({ row: input.row, id: input.id, issues });
  }
  return { checked: inputs.length, flagged, summary, errors, warnings, thresholds: t };
}

/**
 * The checks that need no pixels (axes, pair order, duplicates) over records already loaded, e.g.
 * a training set. Records carry no file line, so `row` is the position in `records`, from 1.
 */
export function auditRecordGeometry(
  records: readonly { id: string; landmarks: Landmarks }[],
): AuditReport {
  return auditLabels(records.map((r, i) => ({ row: i + 1, id: r.id, landmarks: r.landmarks })));
}

/** One line: the counts and the first few flagged ids with their codes. */
export function auditSummaryLine(report: AuditReport, shown = 5): string {
  const rows = report.flagged.slice(0, shown).map((r) =>
    `${r.id} (${r.issues.map((i) => i.code).join(", ")})`
  );
  const more = report.flagged.length > shown ? `, … ${report.flagged.length - shown} more` : "";
  return `${report.errors} errors, ${report.warnings} warnings` +
    (rows.length ? `: ${rows.join(", ")}${more}` : "");
}

/** Human-readable report: one line per issue, then counts per code. */
export function formatAuditReport(report: AuditReport): string {
  const lines: string[] = [];
  for (const r of report.flagged) {
    for (const i of r.issues) {
      lines.push(`row ${r.row} ${r.id}: ${i.severity} ${i.code}: ${i.message}`);
    }
  }
  if (lines.length) lines.push("");
  lines.push(
    `${report.checked} rows checked, ${report.flagged.length} flagged ` +
      `(${report.errors} errors, ${report.warnings} warnings)`,
  );
  for (const code of AUDIT_CODES) {
    if (report.summary[code]) lines.push(`  ${code.padEnd(20)} ${report.summary[code]}`);
  }
  return lines.join("\n");
}

/**
 * Size of the image at `path` after a full decode (a PNG cut short has an intact header), or why
 * there is none: the path, and a file of the same name up to case when that is what exists.
 */
async function imageSize(
  path: string,
): Promise<{ image: { width: number; height: number } | null; imageProblem?: string }> {
  try {
    const { width, height } = await readGray(path);
    return { image: { width, height } };
  } catch (err) {
    if (await exists(path)) return { image: null, imageProblem: (err as Error).message };
    const name = basename(path).toLowerCase();
    let alike: string | undefined;
    try {
      for await (const e of Deno.readDir(dirname(path))) {
        if (e.name.toLowerCase() === name) alike = e.name;
      }
    } catch { /* no folder: the path says enough */ }
    return {
      image: null,
      imageProblem: `no file ${path}` +
        (alike ? ` (there is ${alike}: names are case-sensitive)` : ""),
    };
  }
}

async function requireFolder(dir: string, what: string): Promise<void> {
  const stat = await Deno.stat(dir).catch(() => null);
  if (!stat?.isDirectory) throw new InputError(`${what} folder not found`, dir);
}

/** The row's mask, or why it cannot be used. */
async function rowMask(
  path: string,
  image: { width: number; height: number } | null,
): Promise<{ mask: Mask | null; maskProblem?: string }> {
  const mask = await readMask(path).catch(() => null);
  if (!mask) return { mask: null };
  if (image && (mask.width !== image.width || mask.height !== image.height)) {
    return {
      mask: null,
      maskProblem:
        `mask is ${mask.width}×${mask.height} but the image ${image.width}×${image.height}`,
    };
  }
  if (!mask.data.some((v) => v)) return { mask: null, maskProblem: "mask is empty" };
  return { mask };
}

/**
 * Audit a prototype-format label file against its images (and masks `<stem>_mask.png` in maskDir).
 * Rows are read as `loadPrototypeCsv` reads them, so a file that passes loads. Throws InputError
 * only when the file itself is unusable (unreadable, header wrong, no rows, folder missing).
 */
export async function auditLabelFiles(
  csvPath: string,
  imageDir: string,
  maskDir?: string,
  thresholds: Partial<AuditThresholds> = {},
): Promise<AuditReport> {
  const table = await readCsv(csvPath);
  const col = prototypeColumns(table.header, csvPath);
  if (table.rows.length === 0) throw new InputError("no label rows below the header", csvPath);
  await requireFolder(imageDir, "image");
  if (maskDir) await requireFolder(maskDir, "mask");
  const inputs = await mapPool(table.rows, 8, async (cells, r): Promise<AuditInput> => {
    const row = table.lines[r];
    let parsed: PrototypeRow | undefined;
    let parseError: string | undefined;
    try {
      parsed = parsePrototypeRow(cells, col);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      parseError = err.message;
    }
    const id = parsed?.id ?? (cells[col.get("image_name")!] ?? "").trim();
    const { image, imageProblem } = id ? await imageSize(join(imageDir, id)) : { image: null };
    const mask = maskDir && id ? await rowMask(join(maskDir, maskFileName(id)), image) : {};
    return { row, id, landmarks: parsed?.landmarks, parseError, image, imageProblem, ...mask };
  });
  return auditLabels(inputs, thresholds);
}
