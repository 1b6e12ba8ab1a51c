import assert from "node:assert/strict";
import { join } from "node:path";
import type { Landmarks, Mask } from "../../lib/core/types.ts";
import {
  AUDIT_CODES,
  type AuditCode,
  type AuditInput,
  auditLabelFiles,
  auditLabels,
  formatAuditReport,
  maskBoundary,
} from "../../lib/data/audit.ts";
import { fillEllipse } from "../../lib/data/hc18.ts";
import { maskFileName } from "../../lib/data/prototype_csv.ts";
import { ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";
import { writeGrayPng, writeMaskPng } from "../../lib/io/image.ts";

const L = (...c: number[]): Landmarks => [
  { x: c[0], y: c[1] },
  { x: c[2], y: c[3] },
  { x: c[4], y: c[5] },
  { x: c[6], y: c[7] },
];
const IMAGE = { width: 200, height: 100 };
const HEAD = { cx: 100, cy: 50, a: 60, b: 40, angle: 0 };
const GOOD = ellipseToLandmarks(HEAD); // (40,50) (160,50) (100,10) (100,90)
const MASK: Mask = fillEllipse(HEAD, 200, 100);

const codesOf = (inputs: AuditInput[]) =>
  auditLabels(inputs).flagged.map((r) => [r.id, r.issues.map((i) => i.code)]);

Deno.test("each planted fault is flagged with its code, and only that code", () => {
  const cases: [string, Partial<AuditInput>, AuditCode[]][] = [
    ["clean", {}, []],
    ["clean, reversed order", { landmarks: L(160, 50, 40, 50, 100, 90, 100, 10) }, []],
    ["outside right", { landmarks: L(40, 50, 200, 50, 100, 10, 100, 90), mask: undefined }, [
      "outside_image",
      "midpoint_mismatch",
    ]],
    ["on the extent edge is inside", {
      landmarks: L(-0.5, 50, 199.5, 50, 99.5, 10, 99.5, 90),
      mask: undefined,
    }, []],
    ["swapped pairs", { landmarks: L(100, 10, 100, 90, 40, 50, 160, 50) }, ["bpd_longer_than_ofd"]],
    // BPD tilted by 15° about the same midpoint.
    ["tilted 15°", {
      landmarks: L(
        40,
        50,
        160,
        50,
        100 - 40 * Math.sin(Math.PI / 12),
        50 - 40 * Math.cos(Math.PI / 12),
        100 + 40 * Math.sin(Math.PI / 12),
        50 + 40 * Math.cos(Math.PI / 12),
      ),
      mask: undefined,
    }, ["not_perpendicular"]],
    ["tilted 8° is allowed", {
      landmarks: L(
        40,
        50,
        160,
        50,
        100 - 40 * Math.sin(0.1396),
        50 - 40 * Math.cos(0.1396),
        100 + 40 * Math.sin(0.1396),
        50 + 40 * Math.cos(0.1396),
      ),
      mask: undefined,
    }, []],
    // BPD moved 15 px along the OFD: 12.5 % of OFD (120 px) > 10 %.
    ["midpoints apart", { landmarks: L(40, 50, 160, 50, 115, 10, 115, 90), mask: undefined }, [
      "midpoint_mismatch",
    ]],
    ["midpoints 8 px apart is allowed", {
      landmarks: L(40, 50, 160, 50, 108, 10, 108, 90),
      mask: undefined,
    }, []],
    ["coincident ends", { landmarks: L(40, 50, 40, 50, 100, 10, 100, 90) }, ["degenerate_axis"]],
    ["unparseable", { landmarks: undefined, parseError: "column ofd_1_x bad" }, ["unparseable"]],
    ["missing image", { image: null }, ["missing_image"]],
    ["missing mask", { mask: null }, ["missing_mask"]],
    // OFD2 pulled 10 px inside the skull: more than max(3, 2 % × 110) px from the boundary.
    ["far from mask", { landmarks: L(40, 50, 150, 50, 95, 10, 95, 90) }, ["far_from_mask"]],
  ];
  for (const [id, patch, expected] of cases) {
    const input: AuditInput = { row: 2, id, landmarks: GOOD, image: IMAGE, mask: MASK, ...patch };
    const report = auditLabels([input]);
    const got = report.flagged.flatMap((r) => r.issues.map((i) => i.code));
    assert.deepEqual(got.sort(), [...expected].sort(), id);
    for (const code of AUDIT_CODES) {
      assert.equal(
        report.summary[code],
        expected.filter((c) => c === code).length,
        `${id} ${code}`,
      );
    }
  }
});

Deno.test("duplicate ids and duplicate labels across rows", () => {
  const base = { image: IMAGE, landmarks: GOOD };
  const other = L(30, 40, 170, 60, 100, 15, 100, 85);
  assert.deepEqual(
    codesOf([
      { ...base, row: 2, id: "a.png" },
      { ...base, row: 3, id: "b.png", landmarks: other },
      { ...base, row: 4, id: "a.png", landmarks: L(1, 1, 9, 1, 5, 0, 5, 2) },
      { ...base, row: 5, id: "c.png", landmarks: L(160, 50, 40, 50, 100, 10, 100, 90) },
    ]),
    [["a.png", ["duplicate_id"]], ["c.png", ["duplicate_labels"]]],
  );
});

Deno.test("thresholds are configurable and reported; summary counts and errors/warnings", () => {
  const tilted = L(
    40,
    50,
    160,
    50,
    100 - 40 * Math.sin(0.1396),
    50 - 40 * Math.cos(0.1396),
    100 + 40 * Math.sin(0.1396),
    50 + 40 * Math.cos(0.1396),
  );
  const input = { row: 2, id: "t", landmarks: tilted, image: IMAGE };
  assert.equal(auditLabels([input]).flagged.length, 0);
  const strict = auditLabels([input, { ...input, row: 3, id: "u", image: null }], {
    perpendicularDeg: 5,
  });
  assert.equal(strict.thresholds.perpendicularDeg, 5);
  assert.equal(strict.summary.not_perpendicular, 2);
  assert.equal(strict.summary.missing_image, 1);
  assert.equal(strict.errors, 1);
  assert.equal(strict.summary.duplicate_labels, 1); // u repeats t's landmarks
  assert.equal(strict.warnings, 3);
  const text = formatAuditReport(strict);
  assert.match(text, /row 3 u: error missing_image/);
  assert.match(text, /2 rows checked, 2 flagged \(1 errors, 3 warnings\)/);
  assert.match(text, /not_perpendicular\s+2/);
});

Deno.test("maskBoundary: ring of a filled square", () => {
  const data = new Uint8Array(25);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) data[y * 5 + x] = 1;
  const pts = maskBoundary({ width: 5, height: 5, data });
  assert.equal(pts.length, 8);
  assert.ok(!pts.some((p) => p.x === 2 && p.y === 2));
});

Deno.test("auditLabelFiles: reads a CSV with planted faults without stopping at the first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit_test_" });
  try {
    const img = { width: 200, height: 100, data: new Float32Array(20000) };
    for (const id of ["ok.png", "swap.png", "nan.png"]) {
      await writeGrayPng(join(dir, "img", id), img);
    }
    await writeMaskPng(join(dir, "masks", maskFileName("ok.png")), MASK);
    const g = GOOD.flatMap((p) => [p.x, p.y]).join(",");
    await Deno.writeTextFile(
      join(dir, "labels.csv"),
      "image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y,extra\n" +
        `ok.png,${g},x\n` +
        "swap.png,100,10,100,90,40,50,160,50,\n" +
        "nan.png,40,50,NaN,50,100,10,100,90,\n" +
        `gone.png,${g},\n` +
        `ok.png,${g},\n`,
    );
    const report = await auditLabelFiles(
      join(dir, "labels.csv"),
      join(dir, "img"),
      join(dir, "masks"),
    );
    assert.equal(report.checked, 5);
    assert.deepEqual(
      report.flagged.map((r) => [r.row, r.id, r.issues.map((i) => i.code).sort()]),
      [
        [3, "swap.png", ["bpd_longer_than_ofd", "missing_mask"]],
        [4, "nan.png", ["missing_mask", "unparseable"]],
        [5, "gone.png", ["duplicate_labels", "missing_image", "missing_mask"]],
        [6, "ok.png", ["duplicate_id"]],
      ],
    );
    assert.match(
      report.flagged[1].issues.find((i) => i.code === "unparseable")!.message,
      /ofd_2_x.*"NaN"/,
    );
    await Deno.writeTextFile(join(dir, "bad.csv"), "image_name,ofd_1_x\nok.png,1\n");
    await assert.rejects(
      auditLabelFiles(join(dir, "bad.csv"), join(dir, "img")),
      /missing column "ofd_1_y"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("auditLabelFiles reads rows as the loader does, decodes images, and says what is wrong with a mask", async () => {
  const dir = await Deno.makeTempDir({ prefix: "audit_test_" });
  try {
    const img = { width: 200, height: 100, data: new Float32Array(20000) };
    for (const id of ["ok.png", "px.png", "small.png", "empty.png", "far.png"]) {
      await writeGrayPng(join(dir, "img", id), img);
    }
    const whole = await Deno.readFile(join(dir, "img", "ok.png"));
    await Deno.writeFile(join(dir, "img", "cut.png"), whole.slice(0, 60)); // header intact
    for (const id of ["ok.png", "px.png", "cut.png", "far.png"]) {
      await writeMaskPng(join(dir, "masks", maskFileName(id)), MASK);
    }
    await writeMaskPng(join(dir, "masks", maskFileName("small.png")), {
      width: 100,
      height: 50,
      data: new Uint8Array(5000).fill(1),
    });
    await writeMaskPng(join(dir, "masks", maskFileName("empty.png")), {
      width: 200,
      height: 100,
      data: new Uint8Array(20000),
    });
    const g = GOOD.flatMap((p) => [p.x, p.y]).join(",");
    // Both BPD ends 15 px inside the skull: still a plausible head, but off the mask's edge. The
    // nearest boundary pixels are (99, 11) and (101, 11): (100, 10) is one too, but 15 px away.
    const off = [GOOD[0], GOOD[1], { x: 100, y: 25 }, { x: 100, y: 75 }]
      .flatMap((p) => [p.x, p.y]).join(",");
    await Deno.writeTextFile(
      join(dir, "labels.csv"),
      "image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y,pixel_size_mm\n" +
        `ok.png,${g},0.1\n` +
        `px.png,${g},-0.07\n` +
        `cut.png,${g},0.1\n` +
        `small.png,${g},0.1\n` +
        `empty.png,${g},0.1\n` +
        `far.png,${off},0.1\n` +
        `OK.png,${g},0.1\n`,
    );
    const report = await auditLabelFiles(
      join(dir, "labels.csv"),
      join(dir, "img"),
      join(dir, "masks"),
    );
    // Every row has the same landmarks on purpose; duplicate_labels is tested above.
    const messages = new Map(
      report.flagged.map((r) => [
        r.id,
        r.issues.filter((i) => i.code !== "duplicate_labels").map((i) => `${i.code}: ${i.message}`),
      ]),
    );
    assert.deepEqual([...messages.keys()], [
      "px.png",
      "cut.png",
      "small.png",
      "empty.png",
      "far.png",
      "OK.png",
    ]);
    assert.deepEqual(messages.get("px.png"), [
      'unparseable: pixel_size_mm must be > 0 (value: "-0.07")',
    ]);
    // An unreadable image names itself and sharp's reason; a missing one its path, and the file of
    // the same name up to case that is there instead.
    const [cut] = messages.get("cut.png")!;
    assert.ok(
      cut.startsWith(`missing_image: ${join(dir, "img", "cut.png")}: cannot read image:`),
      cut,
    );
    assert.deepEqual(messages.get("OK.png"), [
      `missing_image: no file ${
        join(dir, "img", "OK.png")
      } (there is ok.png: names are case-sensitive)`,
      "missing_mask: mask file missing or unreadable",
    ]);
    assert.deepEqual(messages.get("small.png"), [
      "missing_mask: mask is 100×50 but the image 200×100",
    ]);
    assert.deepEqual(messages.get("empty.png"), ["missing_mask: mask is empty"]);
    assert.equal(messages.get("far.png")!.length, 1);
    assert.match(
      messages.get("far.png")![0],
      /^far_from_mask: BPD1 14.04 px, BPD2 14.04 px from the mask boundary \(limit 3 px\)$/,
    );

    await assert.rejects(
      auditLabelFiles(join(dir, "labels.csv"), join(dir, "no-such-folder")),
      /no-such-folder: image folder not found/,
    );
    await Deno.writeTextFile(
      join(dir, "twice.csv"),
      "image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y,OFD_1_X\n",
    );
    await assert.rejects(
      auditLabelFiles(join(dir, "twice.csv"), join(dir, "img")),
      /column "ofd_1_x" appears twice/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
