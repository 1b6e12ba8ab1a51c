import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import type { Landmarks, SampleRecord } from "../../lib/core/types.ts";
import type { AuditReport } from "../../lib/data/audit.ts";
import { loadDataset } from "../../lib/data/dataset.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import {
  auditDataset,
  auditSummaryRows,
  type CaseRow,
  caseRow,
  caseRows,
  describeColumns,
  groupSizeCounts,
  imageSizeCounts,
  landmarkGridPng,
  landmarkPositionSeries,
  spreadPick,
} from "../../lib/notebook/exploration.ts";

// OFD 100 px along x, BPD 80 px along y, both through (50, 0).
const CROSS: Landmarks = [{ x: 0, y: 0 }, { x: 100, y: 0 }, { x: 50, y: -40 }, { x: 50, y: 40 }];

function record(id: string, group: string, pixelSizeMm?: number): SampleRecord {
  return { id, imagePath: `/nonexistent/${id}`, landmarks: CROSS, group, pixelSizeMm };
}

function row(width: number, height: number, group: string, hcMm = NaN): CaseRow {
  return { ...caseRow(record("x", group), width, height), hcMm };
}

Deno.test("caseRow: OFD, BPD and HC (Ramanujan II) in px and mm", () => {
  const r = caseRow(record("a.png", "a", 0.2), 800, 540);
  assert.equal(r.ofdPx, 100);
  assert.equal(r.bpdPx, 80);
  // π(a+b)(1 + 3h/(10 + √(4−3h))), a = 50, b = 40, h = (10/90)², computed independently.
  assert.ok(Math.abs(r.hcPx - 283.61667888974296) < 1e-9);
  assert.ok(Math.abs(r.ofdMm - 20) < 1e-12);
  assert.ok(Math.abs(r.bpdMm - 16) < 1e-12);
  assert.ok(Math.abs(r.hcMm - 56.72333577794859) < 1e-9);
  assert.deepEqual([r.width, r.height, r.pixelSizeMm], [800, 540, 0.2]);
  const unknown = caseRow(record("b.png", "b"), 800, 540);
  assert.ok(Number.isNaN(unknown.hcMm) && Number.isNaN(unknown.pixelSizeMm));
  assert.equal(unknown.hcPx, r.hcPx);
});

Deno.test("describeColumns: danfojs statistics per column, NaN left out", () => {
  const rows = [1, 2, 3, 4].map((v) => row(800, 540, "g", v));
  rows.push(row(800, 540, "g")); // hcMm NaN
  const [hc] = describeColumns(rows, ["hcMm"]);
  assert.equal(hc.column, "hcMm");
  assert.equal(hc.count, 4);
  assert.equal(hc.mean, 2.5);
  assert.equal(hc.median, 2.5);
  assert.equal(hc.min, 1);
  assert.equal(hc.max, 4);
  assert.ok(Math.abs((hc.std as number) - 1.2909944487358056) < 1e-12, "sample std (n − 1)");
  const [one] = describeColumns([row(800, 540, "g", 7)], ["hcMm"]);
  assert.equal(one.count, 1);
  assert.ok(Number.isNaN(one.std), "one value has no sample std");
  assert.deepEqual(describeColumns([row(800, 540, "g")], ["hcMm"]), [{ column: "hcMm", count: 0 }]);
});

Deno.test("imageSizeCounts and groupSizeCounts", () => {
  const rows = [
    row(800, 540, "001"),
    row(700, 560, "002"),
    row(800, 540, "002"),
    row(800, 540, "003"),
    row(750, 540, "003"),
    row(800, 540, "003"),
  ];
  assert.deepEqual(imageSizeCounts(rows), [
    { size: "800×540", images: 4 },
    { size: "700×560", images: 1 },
    { size: "750×540", images: 1 },
  ]);
  assert.deepEqual(groupSizeCounts(rows), [
    { "images per group": 1, groups: 1 },
    { "images per group": 2, groups: 1 },
    { "images per group": 3, groups: 1 },
  ]);
});

Deno.test("landmarkPositionSeries: fractions of the image size, y flipped so up is up", () => {
  const series = landmarkPositionSeries([record("a", "a")], [row(200, 80, "a")]);
  assert.deepEqual(series.map((s) => s.name), ["OFD1", "OFD2", "BPD1", "BPD2"]);
  assert.deepEqual(series.map((s) => [s.x[0], s.y[0]]), [[0, 1], [0.5, 1], [0.25, 1.5], [
    0.25,
    0.5,
  ]]);
});

Deno.test("spreadPick: evenly spread, first and last included", () => {
  const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.deepEqual(spreadPick(items, 4), [0, 3, 6, 9]);
  assert.deepEqual(spreadPick(items, 1), [0]);
  assert.deepEqual(spreadPick(items, 0), []);
  assert.deepEqual(spreadPick(items, 20), items);
});

Deno.test("auditSummaryRows: one row per code that occurred, with its severity", () => {
  const report = {
    checked: 3,
    flagged: [
      { row: 2, id: "a", issues: [{ code: "outside_image", severity: "error", message: "" }] },
      {
        row: 3,
        id: "b",
        issues: [{ code: "not_perpendicular", severity: "warning", message: "" }],
      },
    ],
    summary: { outside_image: 1, not_perpendicular: 1, duplicate_id: 0 },
    errors: 1,
    warnings: 1,
  } as unknown as AuditReport;
  assert.deepEqual(auditSummaryRows(report), [
    { code: "outside_image", severity: "error", count: 1 },
    { code: "not_perpendicular", severity: "warning", count: 1 },
  ]);
});

Deno.test("caseRows, landmarkGridPng and auditDataset on a small phantom dataset", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ds = join(dir, "phantoms");
    await writePhantomDataset(ds, { count: 3, seed: 5, width: 120, height: 80 });
    const records = await loadDataset(ds);
    const rows = await caseRows(records);
    assert.deepEqual(rows.map((r) => [r.width, r.height]), [[120, 80], [120, 80], [120, 80]]);
    assert.ok(rows.every((r) => r.hcMm > 0 && r.ofdPx >= r.bpdPx));
    const png = await landmarkGridPng(records, 2, 60);
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, "png");
    assert.equal(meta.width, 2 * 60 + 3 * 4, "two 60 px columns and three 4 px gaps");
    const report = await auditDataset(ds);
    assert.equal(report.checked, 3);
    assert.equal(report.errors, 0, "phantom labels are exact");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
