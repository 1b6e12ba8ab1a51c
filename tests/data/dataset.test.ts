import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import { loadDataset, loadSample, writeDatasetInfo } from "../../lib/data/dataset.ts";
import {
  formatPrototypeCsv,
  groupOf,
  loadPrototypeCsv,
  maskFileName,
} from "../../lib/data/prototype_csv.ts";
import { writeGrayPng, writeMaskPng } from "../../lib/io/image.ts";

const HEADER = "image_name,ofd_1_x,ofd_1_y,ofd_2_x,ofd_2_y,bpd_1_x,bpd_1_y,bpd_2_x,bpd_2_y";

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "dataset_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Images 001_HC.png, 001_2HC.png, other.png (8×6) in dir/images, masks in dir/masks. */
async function makeImages(dir: string) {
  const img = { width: 8, height: 6, data: new Float32Array(48).fill(100) };
  const mask = { width: 8, height: 6, data: new Uint8Array(48).fill(1) };
  for (const id of ["001_HC.png", "001_2HC.png", "other.png"]) {
    await writeGrayPng(join(dir, "images", id), img);
    await writeMaskPng(join(dir, "masks", maskFileName(id)), mask);
  }
}

async function expectInputError(p: Promise<unknown>, ...parts: string[]) {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof InputError, `not an InputError: ${e}`);
    for (const part of parts) assert.ok(e.message.includes(part), `"${e.message}" lacks "${part}"`);
    return true;
  });
}

Deno.test("groupOf and maskFileName", () => {
  const cases: [string, string][] = [["014_2HC.png", "014"], ["000_HC.png", "000"], [
    "a_1.png",
    "a_1.png",
  ], ["12.png", "12.png"]];
  for (const [id, g] of cases) assert.equal(groupOf(id), g);
  assert.equal(maskFileName("014_2HC.png"), "014_2HC_mask.png");
});

Deno.test("loadPrototypeCsv: canonical order, optional and extra columns, groups", async () => {
  await withTmp(async (dir) => {
    await makeImages(dir);
    const csv = join(dir, "l.csv");
    await Deno.writeTextFile(
      csv,
      `${HEADER},pixel_size_mm,note,group\n` +
        "001_HC.png,7,3,1,3,4,5,4,1,0.1,hello,\n" + // both pairs reversed, group from prefix
        "001_2HC.png,1,3,7,3,4,1,4,5,,x,\n" +
        "other.png,1.5,2.5,6.5,2.5,4,1,4,4,0.2,,pregnancyA\n",
    );
    const recs = await loadPrototypeCsv(csv, join(dir, "images"));
    assert.equal(recs.length, 3);
    assert.deepEqual(recs[0].landmarks, [{ x: 1, y: 3 }, { x: 7, y: 3 }, { x: 4, y: 1 }, {
      x: 4,
      y: 5,
    }]);
    assert.deepEqual(recs[0].landmarks, recs[1].landmarks);
    assert.equal(recs[0].pixelSizeMm, 0.1);
    assert.equal(recs[1].pixelSizeMm, undefined);
    assert.equal(recs[0].hcMm, undefined);
    assert.deepEqual(recs.map((r) => r.group), ["001", "001", "pregnancyA"]);
    assert.equal(recs[2].imagePath, join(dir, "images", "other.png"));
    assert.equal(recs[0].maskPath, undefined);
    const raw = await loadPrototypeCsv(csv, join(dir, "images"), { canonical: false });
    assert.deepEqual(raw[0].landmarks[0], { x: 7, y: 3 });
  });
});

Deno.test("loadPrototypeCsv: each kind of bad input is an InputError naming file, row, value", async () => {
  await withTmp(async (dir) => {
    await makeImages(dir);
    const images = join(dir, "images");
    const good = "001_HC.png,1,3,7,3,4,1,4,5";
    const cases: [string, string, string[]][] = [
      ["missing column", "image_name,ofd_1_x,ofd_1_y\n001_HC.png,1,2\n", ["row 1", "ofd_2_x"]],
      ["non-numeric", `${HEADER}\n${good}\n001_2HC.png,1,3,abc,3,4,1,4,5\n`, [
        "row 3",
        "ofd_2_x",
        '"abc"',
      ]],
      ["NaN", `${HEADER}\n001_HC.png,1,3,7,NaN,4,1,4,5\n`, ["row 2", "ofd_2_y", '"NaN"']],
      ["empty cell", `${HEADER}\n001_HC.png,1,3,7,3,4,1,,5\n`, ["row 2", "bpd_2_x"]],
      ["short row", `${HEADER}\n001_HC.png,1,3,7\n`, ["row 2", "expected 9 cells"]],
      ["missing image", `${HEADER}\n${good}\nnothere.png,1,3,7,3,4,1,4,5\n`, [
        "row 3",
        "nothere.png",
        "not found",
      ]],
      ["duplicate id", `${HEADER}\n${good}\n\n${good}\n`, [
        "row 4",
        "duplicate",
        "001_HC.png",
        "row 2",
      ]],
      ["bad pixel size", `${HEADER},pixel_size_mm\n${good},-1\n`, [
        "row 2",
        "pixel_size_mm",
        '"-1"',
      ]],
      ["bad hc", `${HEADER},hc_mm\n${good},-3\n`, ["row 2", "hc_mm must be ≥ 0", '"-3"']],
      ["hex number", `${HEADER}\n001_HC.png,0x1,3,7,3,4,1,4,5\n`, ["row 2", "ofd_1_x", '"0x1"']],
      ["column twice", `${HEADER},ofd_1_x\n${good},999\n`, [
        "row 1",
        'column "ofd_1_x" appears twice in the header (columns 2 and 10)',
      ]],
      ["semicolons", `${HEADER.replaceAll(",", ";")}\n${good.replaceAll(",", ";")}\n`, [
        "row 1",
        'missing column "image_name"',
        "image_name;ofd_1_x",
        "semicolon-separated: save it with commas",
      ]],
      ["header only", `${HEADER}\n`, ["no label rows below the header"]],
    ];
    for (const [name, text, parts] of cases) {
      const csv = join(dir, `${name.replaceAll(" ", "_")}.csv`);
      await Deno.writeTextFile(csv, text);
      await expectInputError(loadPrototypeCsv(csv, images), csv, ...parts);
    }
    await expectInputError(loadPrototypeCsv(join(dir, "absent.csv"), images), "absent.csv");
    // Accepted as they are: names in another case, a trailing comma after the header, a row
    // without the cell of a column that is not read.
    const loose = join(dir, "loose.csv");
    await Deno.writeTextFile(loose, `${HEADER.toUpperCase()},notes,\n${good}\n`);
    assert.deepEqual((await loadPrototypeCsv(loose, images)).map((r) => r.id), ["001_HC.png"]);
    const csv = join(dir, "masks.csv");
    await Deno.writeTextFile(csv, `${HEADER}\n${good}\n`);
    await expectInputError(
      loadPrototypeCsv(csv, images, { maskDir: join(dir, "nomasks") }),
      "row 2",
      "mask file not found",
    );
  });
});

Deno.test("dataset folder: write, load records, load samples; corrupt PNG and bad json", async () => {
  await withTmp(async (dir) => {
    await makeImages(dir);
    const ds = join(dir, "ds");
    const recs = await loadPrototypeCsv(
      await (async () => {
        const p = join(dir, "src.csv");
        await Deno.writeTextFile(
          p,
          `${HEADER},pixel_size_mm,hc_mm\n001_HC.png,1,3,7,3,4,1,4,5,0.5,12.5\n`,
        );
        return p;
      })(),
      join(dir, "images"),
    );
    await Deno.mkdir(ds);
    await Deno.writeTextFile(join(ds, "labels.csv"), formatPrototypeCsv(recs));
    await writeDatasetInfo(ds, {
      name: "t",
      source: "synthetic",
      imageDir: "../images",
      maskDir: join(dir, "masks"),
      labels: "labels.csv",
    });
    const loaded = await loadDataset(ds);
    assert.deepEqual(loaded, [{ ...recs[0], maskPath: join(dir, "masks", "001_HC_mask.png") }]);
    const sample = await loadSample(loaded[0]);
    assert.equal(sample.image.width, 8);
    assert.equal(sample.image.data[0], 100);
    assert.equal(sample.mask?.data[0], 1);
    assert.equal(sample.pixelSizeMm, 0.5);
    assert.equal(sample.group, "001");

    await Deno.writeFile(join(dir, "masks", "001_HC_mask.png"), new Uint8Array([1, 2, 3]));
    await expectInputError(loadSample(loaded[0]), "001_HC_mask.png");
    await writeMaskPng(join(dir, "masks", "001_HC_mask.png"), {
      width: 2,
      height: 2,
      data: new Uint8Array(4),
    });
    await expectInputError(loadSample(loaded[0]), "2×2", "8×6");

    await Deno.writeTextFile(join(ds, "dataset.json"), '{"name": "x"}');
    await expectInputError(loadDataset(ds), "dataset.json", "source");
    await Deno.writeTextFile(join(ds, "dataset.json"), "{oops");
    await expectInputError(loadDataset(ds), "dataset.json");
  });
});
