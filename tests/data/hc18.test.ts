import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../../lib/core/errors.ts";
import { exists } from "../../lib/core/fs.ts";
import type { Ellipse } from "../../lib/core/types.ts";
import { loadDataset, loadSample } from "../../lib/data/dataset.ts";
import {
  fillEllipse,
  fitHc18Case,
  importHc18,
  listHc18TestSet,
  listHc18Training,
} from "../../lib/data/hc18.ts";
import { ellipsePerimeter, ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";
import { writeGrayPng } from "../../lib/io/image.ts";
import { mapPool } from "../../lib/data/pool.ts";
import { writeHc18Training } from "./hc18_folder.ts";

const CASES: [string, Ellipse, number][] = [
  ["000_HC.png", { cx: 100.3, cy: 70.6, a: 60.2, b: 45.1, angle: 0.4 }, 0.1],
  ["000_2HC.png", { cx: 95, cy: 75, a: 40, b: 33.5, angle: 2.5 }, 0.25],
  ["007_HC.png", { cx: 100.7, cy: 68.1, a: 75.5, b: 55, angle: 3 }, 0.07],
];

/** A miniature HC18 folder: 200×140 images, annotations, both CSVs. */
async function fakeHc18(dir: string) {
  await writeHc18Training(
    dir,
    CASES.map(([id, ellipse, pixelSizeMm]) => ({
      id,
      ellipse,
      pixelSizeMm,
      image: { width: 200, height: 140, data: new Float32Array(28000).fill(50) },
    })),
  );
  await writeGrayPng(join(dir, "test_set", "000_HC.png"), {
    width: 4,
    height: 4,
    data: new Float32Array(16),
  });
  await Deno.writeTextFile(
    join(dir, "test_set", "test_set_pixel_size.csv"),
    "filename,pixel size(mm)\n000_HC.png,0.2",
  );
}

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "hc18_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("outline fit recovers drawn ellipses (2.5 px outline) and their HC", async () => {
  await withTmp(async (dir) => {
    await fakeHc18(dir);
    const cases = await listHc18Training(dir);
    assert.deepEqual(cases.map((c) => c.id), CASES.map((c) => c[0]));
    for (const [i, c] of cases.entries()) {
      const truth = CASES[i][1];
      const fit = await fitHc18Case(c);
      const e = fit.ellipse;
      assert.ok(
        Math.hypot(e.cx - truth.cx, e.cy - truth.cy) < 0.02,
        `${c.id} centre ${JSON.stringify(e)}`,
      );
      // The outer half of a thick outline has more pixels than the inner half, which biases the
      // axes outwards by ~0.06 px at b = 33 px (less for larger heads): hence 0.1 px, and HC within
      // the importer's 0.1 mm acceptance limit.
      assert.ok(Math.abs(e.a - truth.a) < 0.1 && Math.abs(e.b - truth.b) < 0.1, `${c.id} axes`);
      assert.ok(Math.abs(fit.hcDiffMm) < 0.1, `${c.id} HC diff ${fit.hcDiffMm}`);
      assert.equal(fit.record.group, c.id.slice(0, 3));
      assert.deepEqual(fit.mask, fillEllipse(e, 200, 140));
    }
  });
});

Deno.test("importHc18 writes a loadable dataset folder; test set listing", async () => {
  await withTmp(async (dir) => {
    const src = join(dir, "hc18");
    await fakeHc18(src);
    const out = join(dir, "data", "hc18");
    const report = await importHc18(src, out);
    assert.equal(report.cases, 3);
    assert.ok(report.maxAbsHcDiffMm < 0.1);
    const recs = await loadDataset(out);
    assert.deepEqual(recs.map((r) => r.group), ["000", "000", "007"]);
    assert.equal(recs[0].imagePath, resolve(src, "training_set", "000_HC.png"));
    const s = await loadSample(recs[2]);
    assert.equal(s.mask!.width, 200);
    const area = s.mask!.data.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(area - Math.PI * 75.5 * 55) < ellipsePerimeter({ a: 75.5, b: 55 }) / 2);
    const expected = ellipseToLandmarks(CASES[2][1]);
    recs[2].landmarks.forEach((p, k) =>
      assert.ok(Math.hypot(p.x - expected[k].x, p.y - expected[k].y) < 0.1)
    );
    assert.ok(await exists(join(out, "hc18_fit.csv")));
    // A re-import replaces the folder (no leftovers beside it).
    await importHc18(src, out);
    assert.deepEqual([...Deno.readDirSync(join(dir, "data"))].map((d) => d.name), ["hc18"]);

    assert.deepEqual(await listHc18TestSet(src), [
      { id: "000_HC.png", imagePath: join(src, "test_set", "000_HC.png"), pixelSizeMm: 0.2 },
    ]);
  });
});

Deno.test("the test set: a row listed twice, or a PNG the CSV does not list, is an error", async () => {
  await withTmp(async (dir) => {
    await fakeHc18(dir);
    const csv = join(dir, "test_set", "test_set_pixel_size.csv");
    const listed = await Deno.readTextFile(csv);
    await Deno.writeTextFile(csv, listed.trimEnd() + "\r\n000_HC.png,0.3\r\n");
    await assert.rejects(
      listHc18TestSet(dir),
      (e: Error) =>
        e instanceof InputError &&
        /row 3: file listed twice \(value: "000_HC.png"\)/.test(e.message),
    );
    await Deno.writeTextFile(csv, listed);
    await Deno.copyFile(join(dir, "test_set", "000_HC.png"), join(dir, "test_set", "002_HC.PNG"));
    await Deno.writeTextFile(join(dir, "test_set", "notes.txt"), "not an image");
    await assert.rejects(
      listHc18TestSet(dir),
      (e: Error) =>
        e instanceof InputError && /1 test image\(s\) not listed.*: 002_HC\.PNG$/.test(e.message),
    );
  });
});

Deno.test("HC18 release variants: test CSV beside test_set/, hidden files, header spelling, unlisted images", async () => {
  await withTmp(async (dir) => {
    await fakeHc18(dir);
    // Zenodo keeps test_set_pixel_size.csv beside the folder, not in it.
    await Deno.rename(
      join(dir, "test_set", "test_set_pixel_size.csv"),
      join(dir, "test_set_pixel_size.csv"),
    );
    // A macOS resource fork is no test image.
    await Deno.writeFile(join(dir, "test_set", "._000_HC.png"), new Uint8Array([0, 5, 22, 7]));
    assert.deepEqual(await listHc18TestSet(dir), [
      { id: "000_HC.png", imagePath: join(dir, "test_set", "000_HC.png"), pixelSizeMm: 0.2 },
    ]);
    // Headers match up to case and spaces; a missing one is named with the header found.
    const csv = join(dir, "training_set_pixel_size_and_HC.csv");
    const rows = (await Deno.readTextFile(csv)).trimEnd().split("\n");
    await Deno.writeTextFile(
      csv,
      ["Filename, Pixel Size (mm),Head Circumference (mm)", ...rows.slice(1)].join("\n"),
    );
    assert.equal((await listHc18Training(dir)).length, 3);
    await Deno.writeTextFile(
      csv,
      ["image,pixel size(mm),head circumference (mm)", ...rows.slice(1)].join("\n"),
    );
    await assert.rejects(
      listHc18Training(dir),
      (e: Error) =>
        e instanceof InputError && /missing column "filename"/.test(e.message) &&
        e.message.includes('"image"'),
    );
    // A case the CSV leaves out is reported, not imported.
    await Deno.writeTextFile(csv, [rows[0], rows[1], rows[3]].join("\n") + "\n");
    const report = await importHc18(dir, join(dir, "out"));
    assert.equal(report.cases, 2);
    assert.deepEqual(report.unlisted, ["000_2HC.png"]);
  });
});

Deno.test("an annotation of another size than its image stops the import, naming both sizes", async () => {
  await withTmp(async (dir) => {
    await fakeHc18(dir);
    const annotation = join(dir, "training_set", "007_HC_Annotation.png");
    await writeGrayPng(annotation, { width: 100, height: 70, data: new Float32Array(7000) });
    await assert.rejects(
      importHc18(dir, join(dir, "out")),
      (e: Error) =>
        e instanceof InputError && e.message.includes(annotation) &&
        /annotation is 100×70 but its image is 200×140/.test(e.message),
    );
  });
});

Deno.test("missing annotation and bad CSV values are InputErrors", async () => {
  await withTmp(async (dir) => {
    await fakeHc18(dir);
    await Deno.remove(join(dir, "training_set", "007_HC_Annotation.png"));
    await assert.rejects(
      listHc18Training(dir),
      (e: Error) =>
        e instanceof InputError && e.message.includes("007_HC_Annotation.png") &&
        e.message.includes("row 4"),
    );
    await Deno.writeTextFile(
      join(dir, "training_set_pixel_size_and_HC.csv"),
      "filename,pixel size(mm),head circumference (mm)\n000_HC.png,x,3\n",
    );
    await assert.rejects(
      listHc18Training(dir),
      (e: Error) => e instanceof InputError && e.message.includes('"x"'),
    );
  });
});

Deno.test("a case listed twice, and an HC the outline does not reproduce, stop the import", async () => {
  await withTmp(async (dir) => {
    const src = join(dir, "hc18"), out = join(dir, "data");
    await fakeHc18(src);
    await importHc18(src, out);
    const labels = await Deno.readTextFile(join(out, "labels.csv"));
    const csv = join(src, "training_set_pixel_size_and_HC.csv");
    const rows = (await Deno.readTextFile(csv)).trimEnd().split("\n");

    await Deno.writeTextFile(csv, [...rows, rows[2]].join("\n") + "\n");
    await assert.rejects(
      importHc18(src, out),
      (e: Error) =>
        e instanceof InputError && /listed twice/.test(e.message) && e.message.includes("row 5") &&
        e.message.includes("000_2HC.png"),
    );

    // 007_HC's CSV HC 1.5 mm off its outline: refused, naming the case and row; nothing replaced.
    const [id, px, hc] = rows[3].split(",");
    rows[3] = [id, px, (Number(hc) + 1.5).toFixed(2)].join(",");
    await Deno.writeTextFile(csv, rows.join("\n") + "\n");
    await assert.rejects(
      importHc18(src, out),
      (e: Error) =>
        e instanceof InputError && e.message.includes("row 4: 1 case(s)") &&
        e.message.includes("007_HC.png (row 4") && e.message.includes("--hc-tolerance"),
    );
    assert.equal(await Deno.readTextFile(join(out, "labels.csv")), labels);
    // A wider tolerance accepts it, with the CSV's HC in the labels.
    const report = await importHc18(src, out, { hcToleranceMm: 2 });
    assert.ok(Math.abs(report.maxAbsHcDiffMm - 1.5) < 0.1, `${report.maxAbsHcDiffMm}`);
    assert.notEqual(await Deno.readTextFile(join(out, "labels.csv")), labels);
  });
});

const HC18 = resolve(fileURLToPath(new URL("../..", import.meta.url)), "../shared/data/hc18");
const haveHc18 = await exists(join(HC18, "training_set_pixel_size_and_HC.csv"));

Deno.test({
  name: "HC18 data: every fitted outline reproduces the CSV HC within 0.1 mm",
  ignore: !haveHc18,
  async fn() {
    const cases = await listHc18Training(HC18);
    assert.equal(cases.length, 799);
    const diffs = await mapPool(cases, 4, async (c) => Math.abs((await fitHc18Case(c)).hcDiffMm));
    const worst = Math.max(...diffs);
    assert.ok(worst < 0.1, `largest |HC diff| ${worst} mm`);
  },
});
