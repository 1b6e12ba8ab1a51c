/**
 * The README's "your own labelled images" path, end to end with the real CLIs and the shipped
 * models: an HC18-layout folder → `data:hc18` → `predict` → `evaluate`. The dashboard's headline
 * must be what the two CSVs say, recomputed here by hand.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main as importMain } from "../../lib/cli/data_hc18.ts";
import { PROJECT_ROOT } from "../../lib/core/project.ts";
import { main as evaluateMain } from "../../lib/cli/evaluate.ts";
import { readCsv } from "../../lib/core/csv.ts";
import type { Landmarks } from "../../lib/core/types.ts";
import { LANDMARK_COLUMNS } from "../../lib/data/prototype_csv.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { ellipsePerimeter } from "../../lib/geometry/ellipse.ts";
import { writeHc18Training } from "../data/hc18_folder.ts";

/** Rows of a prototype-format CSV by image name: landmarks as written, and a named column. */
async function byImage(path: string, column: string): Promise<Map<string, [Landmarks, number]>> {
  const t = await readCsv(path);
  const at = (name: string) => t.header.indexOf(name);
  return new Map(t.rows.map((r) => {
    const v = LANDMARK_COLUMNS.map((c) => Number(r[at(c)]));
    const l = [0, 2, 4, 6].map((k) => ({ x: v[k], y: v[k + 1] })) as Landmarks;
    return [r[at("image_name")], [l, Number(r[at(column)])]];
  }));
}

/** HC of the ellipse whose axes are the OFD and BPD segments, mm. */
function hcMm(l: Landmarks, px: number): number {
  const d = (i: number) => Math.hypot(l[i + 1].x - l[i].x, l[i + 1].y - l[i].y) / 2;
  return ellipsePerimeter({ a: d(0), b: d(2) }) * px;
}

Deno.test("own labelled images: data:hc18 → predict → evaluate agree with the CSVs", async () => {
  const root = await Deno.makeTempDir({ prefix: "own-data-" });
  const src = join(root, "cases");
  const sizes: Record<string, number> = {
    "010_HC.png": 0.12,
    "011_HC.png": 0.15,
    "011_2HC.png": 0.2,
  };
  await writeHc18Training(
    src,
    Object.entries(sizes).map(([id, pixelSizeMm], i) => {
      const p = generatePhantom(40 + i, { width: 800, height: 540 });
      return { id, image: p.image, ellipse: p.ellipse, pixelSizeMm };
    }),
  );
  const data = join(root, "data"), pred = join(root, "out", "pred.csv"), out = join(root, "eval");
  assert.equal(await importMain([src, "--out", data]), 0);
  // predict as `deno task predict` runs it: in the launcher's sandbox, which must let it read the
  // pixel-size CSV one folder up.
  const launched = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-run",
      join(PROJECT_ROOT, "lib/cli/launch.ts"),
      "data",
      join(PROJECT_ROOT, "lib/cli/predict.ts"),
      ...["--model", "unet", "--input", join(src, "training_set"), "--out", pred, "--no-tta"],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(launched.code, 0, new TextDecoder().decode(launched.stderr));
  assert.equal(
    await evaluateMain(["--pred", pred, "--gt", join(data, "labels.csv"), "--out", out]),
    0,
  );

  const predicted = await byImage(pred, "pixel_size_mm");
  const truth = await byImage(join(data, "labels.csv"), "pixel_size_mm");
  assert.deepEqual([...predicted.keys()].sort(), Object.keys(sizes).sort());
  let radial = 0, hc = 0;
  for (const [id, [t, px]] of truth) {
    assert.equal(px, sizes[id]);
    const [p, predictedPx] = predicted.get(id)!;
    assert.equal(predictedPx, px, `${id}: predict's pixel size`);
    // Both files list each pair in canonical order, so ends are compared as listed.
    radial += p.reduce((s, q, k) => s + Math.hypot(q.x - t[k].x, q.y - t[k].y), 0) / 4;
    hc += Math.abs(hcMm(p, px) - hcMm(t, px));
  }
  const { headline, provenance } = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
  assert.equal(headline.images, 3);
  // Each output says how it was made: predict's record beside its CSV, carried into evaluate's.
  const record = JSON.parse(await Deno.readTextFile(join(root, "out", "pred.run.json")));
  assert.equal(record.command, "predict");
  assert.equal(record.model.family, "unet");
  assert.equal(record.refine.family, "unet-fine");
  assert.equal(record.tta, false);
  assert.equal(typeof record.backend.name, "string");
  assert.match(record.git.commit ?? "", /^[0-9a-f]{40}$/);
  assert.equal(provenance.command, "evaluate");
  assert.deepEqual(provenance.predictedWith, record);
  // The prediction CSV rounds to 3 decimals.
  assert.ok(Math.abs(headline.mre_px - radial / 3) < 1e-3, `${headline.mre_px} vs ${radial / 3}`);
  assert.ok(
    Math.abs(headline.hc_abs_err_mm - hc / 3) < 1e-3,
    `${headline.hc_abs_err_mm} vs ${hc / 3}`,
  );
  await Deno.remove(root, { recursive: true });
});
