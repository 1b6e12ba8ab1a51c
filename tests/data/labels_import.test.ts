import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import type { Landmarks, Mask } from "../../lib/core/types.ts";
import { formatCsv, readCsv } from "../../lib/core/csv.ts";
import { loadDataset, loadSample } from "../../lib/data/dataset.ts";
import { importLabels, longAxisFirst } from "../../lib/data/labels_import.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { main } from "../../lib/cli/data_labels.ts";

async function withTmp(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "labels_import_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function dice(a: Mask, b: Mask): number {
  let inter = 0, sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    inter += a.data[i] && b.data[i] ? 1 : 0;
    sum += (a.data[i] ? 1 : 0) + (b.data[i] ? 1 : 0);
  }
  return (2 * inter) / sum;
}

/** Phantoms (images + exact masks) and their labels as a user would bring them: rows to edit. */
async function userLabels(dir: string) {
  const phantoms = join(dir, "phantoms");
  await writePhantomDataset(phantoms, { count: 4, seed: 5, width: 160, height: 120 });
  const t = await readCsv(join(phantoms, "labels.csv"));
  const rows = t.rows.map((r) => r.slice(0, 9));
  return { phantoms, images: join(phantoms, "images"), header: t.header.slice(0, 9), rows };
}

Deno.test("longAxisFirst swaps OFD and BPD only when the BPD is the longer pair", () => {
  const ofd: Landmarks = [{ x: 0, y: 5 }, { x: 20, y: 5 }, { x: 10, y: 0 }, { x: 10, y: 10 }];
  assert.deepEqual(longAxisFirst(ofd), { landmarks: ofd, swapped: false });
  const [o1, o2, b1, b2] = ofd;
  const flipped = longAxisFirst([b2, b1, o2, o1]);
  assert.equal(flipped.swapped, true);
  assert.deepEqual(flipped.landmarks, ofd); // pairs exchanged, then canonical order
});

Deno.test("importLabels: canonical labels, swapped pairs put back, masks from the marked ellipse", async () => {
  await withTmp(async (dir) => {
    const { phantoms, images, header, rows } = await userLabels(dir);
    const truth = await loadDataset(phantoms);
    // Row 2 lists BPD before OFD (the prototype's mistake); row 3 lists each pair backwards.
    rows[1] = [rows[1][0], ...rows[1].slice(5, 9), ...rows[1].slice(1, 5)];
    rows[2] = [
      rows[2][0],
      ...rows[2].slice(3, 5),
      ...rows[2].slice(1, 3),
      ...rows[2].slice(7, 9),
      ...rows[2].slice(5, 7),
    ];
    const csv = join(dir, "user.csv");
    await Deno.writeTextFile(csv, formatCsv(header, rows));
    const out = join(dir, "data", "mine");
    const report = await importLabels(csv, images, out);
    assert.equal(report.cases, 4);
    assert.deepEqual(report.swapped, [truth[1].id]);
    assert.deepEqual(report.audit.summary.bpd_longer_than_ofd, 1);
    const recs = await loadDataset(out);
    for (const [i, rec] of recs.entries()) {
      assert.equal(rec.imagePath, truth[i].imagePath);
      rec.landmarks.forEach((p, k) => {
        const q = truth[i].landmarks[k];
        assert.ok(Math.hypot(p.x - q.x, p.y - q.y) < 1e-3, `${rec.id} point ${k}`);
      });
      // The ellipse through the labelled axis ends against the phantom's own cranium mask.
      const [mine, exact] = [await loadSample(rec), await loadSample(truth[i])];
      const d = dice(mine.mask!, exact.mask!);
      assert.ok(d > 0.97, `${rec.id}: Dice ${d}`);
    }
  });
});

Deno.test("importLabels: rows nothing can be learned from stop the import, naming them; --keep-pairs", async () => {
  await withTmp(async (dir) => {
    const { images, header, rows } = await userLabels(dir);
    const csv = join(dir, "user.csv");
    const out = join(dir, "out");
    const bad = rows.map((r) => [...r]);
    bad[1][0] = "absent.png";
    bad[2].splice(3, 2, bad[2][1], bad[2][2]); // OFD2 on OFD1: an axis of length 0
    await Deno.writeTextFile(csv, formatCsv(header, bad));
    await assert.rejects(
      importLabels(csv, images, out),
      (e: Error) =>
        e instanceof InputError && /2 row\(s\) cannot be learned from/.test(e.message) &&
        /row 3 absent\.png: missing_image/.test(e.message) &&
        /row 4 \S+: degenerate_axis/.test(e.message),
    );
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound); // nothing written
    // The CLI: a swapped row is reported and kept as labelled with --keep-pairs.
    const swapped = rows.map((r) => [...r]);
    swapped[0] = [swapped[0][0], ...swapped[0].slice(5, 9), ...swapped[0].slice(1, 5)];
    await Deno.writeTextFile(csv, formatCsv(header, swapped));
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      assert.equal(
        await main(["--labels", csv, "--images", images, "--out", out, "--keep-pairs"]),
        0,
      );
    } finally {
      console.log = log;
    }
    const text = lines.join("\n");
    assert.match(text, /bpd_longer_than_ofd/);
    assert.doesNotMatch(text, /swapped OFD and BPD back/);
    // Kept as labelled, the row's error is named in the closing line.
    assert.match(text, new RegExp(`1 of them with error-level findings .*: ${swapped[0][0]}`));
    const [first] = await loadDataset(out);
    const [o1, o2, b1, b2] = first.landmarks;
    assert.ok(Math.hypot(b2.x - b1.x, b2.y - b1.y) > Math.hypot(o2.x - o1.x, o2.y - o1.y));
    // By default the pair is put back, said so, and not counted among rows kept with errors.
    lines.length = 0;
    console.log = (line: string) => lines.push(line);
    try {
      assert.equal(await main(["--labels", csv, "--images", images, "--out", out]), 0);
    } finally {
      console.log = log;
    }
    assert.match(lines.join("\n"), /swapped OFD and BPD back .* for 1 image\(s\)/);
    assert.doesNotMatch(lines.join("\n"), /error-level findings/);
  });
});

Deno.test("data:labels refuses an --out that would replace the images, and two images sharing a mask file", async () => {
  await withTmp(async (dir) => {
    const { phantoms, images, header, rows } = await userLabels(dir);
    const csv = join(dir, "user.csv");
    await Deno.writeTextFile(csv, formatCsv(header, rows));
    for (const out of [images, phantoms]) {
      await assert.rejects(
        main(["--labels", csv, "--images", images, "--out", out]),
        (e: Error) => e instanceof InputError && /--out would replace the images/.test(e.message),
      );
    }
    assert.equal((await Deno.readDir(images)[Symbol.asyncIterator]().next()).done, false);
    // `a.png` and `a.jpg` would both write masks/a_mask.png.
    const first = rows[0][0];
    const jpg = first.replace(/\.png$/, ".jpg");
    await Deno.copyFile(join(images, first), join(images, jpg));
    await Deno.writeTextFile(csv, formatCsv(header, [...rows, [jpg, ...rows[0].slice(1)]]));
    await assert.rejects(
      importLabels(csv, images, join(dir, "out")),
      (e: Error) =>
        e instanceof InputError &&
        e.message.includes(`${first} and ${jpg} would share the mask file`),
    );
  });
});
