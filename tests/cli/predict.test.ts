import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { readCsv } from "../../lib/core/csv.ts";
import { LANDMARK_COLUMNS } from "../../lib/data/prototype_csv.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { main } from "../../lib/cli/predict.ts";
import { CROSS_CHECK_COLUMNS, errorsPathFor } from "../../lib/inference/batch.ts";
import { tinyRun } from "../inference/helpers.ts";
import { removeAfterAll } from "../temp_dir.ts";
import { CoarseToFine } from "../../lib/inference/coarse_to_fine.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { readGray } from "../../lib/io/image.ts";

const run = await tinyRun();
removeAfterAll(run.root);
const model = run.outcome.checkpointDir;

function grey8(seed: number, width: number, height: number): Uint8Array {
  const img = generatePhantom(seed, { width, height }).image;
  return Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, Math.round(v))));
}

/** A folder with an 8-bit PNG, the same pixels as a 16-bit PNG, an RGB JPEG, a corrupt PNG and non-images. */
async function mixedFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const px = grey8(11, 77, 53);
  const raw = { raw: { width: 77, height: 53, channels: 1 as const } };
  await sharp(px, raw).png().toFile(join(dir, "a.png"));
  await sharp(px, raw).toColourspace("grey16").png().toFile(join(dir, "b16.png"));
  const rgb = new Uint8Array(90 * 61 * 3);
  grey8(12, 90, 61).forEach((v, i) => rgb.set([v, Math.min(255, v + 20), v], 3 * i));
  await sharp(rgb, { raw: { width: 90, height: 61, channels: 3 } }).jpeg().toFile(
    join(dir, "c.jpg"),
  );
  await Deno.writeFile(
    join(dir, "corrupt.png"),
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]),
  );
  await Deno.writeTextFile(join(dir, "notes.txt"), "not an image");
  await sharp(px, raw).png().toFile(join(dir, "a_Annotation.png"));
}

const header = (withMm: boolean) => [
  "image_name",
  ...LANDMARK_COLUMNS,
  ...(withMm ? ["pixel_size_mm", "ofd_mm", "bpd_mm", "hc_mm", "ga_weeks"] : []),
  "confidence",
  "plausible",
  "issues",
];

Deno.test("predict CLI: mixed folder → rows for decodable images, errors list, overlays, exit 0", async () => {
  const dir = join(run.root, "mixed");
  await mixedFolder(dir);
  const sizes = join(run.root, "sizes.csv");
  await Deno.writeTextFile(
    sizes,
    "filename,pixel size(mm),head circumference (mm)\na.png,0.25,100\nb16.png,0.25,100\n",
  );
  const out = join(run.root, "out", "pred.csv");
  const overlays = join(run.root, "overlays");
  const code = await main([
    "--model",
    model,
    "--input",
    dir,
    "--out",
    out,
    "--pixel-size-csv",
    sizes,
    "--overlays",
    overlays,
    "--no-tta",
    "--backend",
    "cpu",
  ]);
  assert.equal(code, 0);
  const t = await readCsv(out);
  assert.deepEqual(t.header, header(true));
  assert.deepEqual(t.rows.map((r) => r[0]), ["a.png", "b16.png", "c.jpg"]);
  // The 16-bit PNG holds the same pixels ×257: decoded to the same grey levels, same prediction.
  assert.deepEqual(t.rows[1].slice(1), t.rows[0].slice(1));
  for (const r of t.rows) {
    for (const c of r.slice(1, 9)) assert.ok(Number.isFinite(Number(c)) && c !== "");
  }
  assert.equal(t.rows[0][9], "0.25");
  assert.ok(Number(t.rows[0][12]) > 0, "hc_mm");
  assert.deepEqual(t.rows[2].slice(9, 14), ["", "", "", "", ""], "c.jpg has no pixel size");
  assert.equal(t.rows[0][14], "", "coordinate regression with --no-tta has no confidence");
  const errors = await readCsv(errorsPathFor(out));
  assert.deepEqual(errors.rows.map((r) => r[0]), ["corrupt.png"]);
  assert.match(errors.rows[0][1], /corrupt\.png/);
  const pngs = [...Deno.readDirSync(overlays)].map((e) => e.name).sort();
  assert.deepEqual(pngs, ["a.png", "b16.png", "c.png"]);
  const meta = await sharp(join(overlays, "c.png")).metadata();
  assert.deepEqual([meta.width, meta.height], [90, 61]);
});

Deno.test("predict CLI: HC18-style folder picks up its pixel-size CSV; TTA (the default) fills confidence", async () => {
  const dir = join(run.root, "hc18", "test_set");
  await Deno.mkdir(dir, { recursive: true });
  await sharp(grey8(21, 80, 54), { raw: { width: 80, height: 54, channels: 1 } }).png().toFile(
    join(dir, "000_HC.png"),
  );
  await Deno.writeTextFile(
    join(dir, "test_set_pixel_size.csv"),
    "filename,pixel size(mm)\n000_HC.png,0.1\n",
  );
  const out = join(run.root, "hc18.csv");
  assert.equal(
    await main(["--model", model, "--input", dir, "--out", out, "--backend", "cpu"]),
    0,
  );
  const t = await readCsv(out);
  assert.deepEqual(t.header, header(true));
  assert.equal(t.rows[0][9], "0.1");
  const conf = Number(t.rows[0][14]);
  assert.ok(conf > 0 && conf <= 1);
  // A single file works too, and without a pixel-size file there are no mm columns.
  const lone = join(run.root, "lone");
  await Deno.mkdir(lone);
  await Deno.copyFile(join(dir, "000_HC.png"), join(lone, "x.png"));
  const out2 = join(run.root, "lone.csv");
  assert.equal(
    await main([
      "--model",
      model,
      "--input",
      join(lone, "x.png"),
      "--out",
      out2,
      "--backend",
      "cpu",
    ]),
    0,
  );
  assert.deepEqual((await readCsv(out2)).header, header(false));
});

Deno.test("predict CLI: nothing predictable → exit 1 and no CSV; bad arguments throw InputError", async () => {
  const dir = join(run.root, "bad");
  await Deno.mkdir(dir);
  await Deno.writeFile(join(dir, "broken.png"), new Uint8Array([1, 2, 3]));
  const out = join(run.root, "bad.csv");
  assert.equal(await main(["--model", model, "--input", dir, "--out", out, "--backend", "cpu"]), 1);
  await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  assert.equal((await readCsv(errorsPathFor(out))).rows.length, 1);
  await assert.rejects(main(["--input", dir, "--out", out]), /--model is required/);
  await assert.rejects(main(["--model", run.root, "--input", dir, "--out", out]), /not a model/);
  const sizes = join(run.root, "bad_sizes.csv");
  await Deno.writeTextFile(sizes, "filename,pixel size(mm)\nbroken.png,-1\n");
  await assert.rejects(
    main(["--model", model, "--input", dir, "--out", out, "--pixel-size-csv", sizes]),
    /row 2.*positive/,
  );
});

Deno.test("predict CLI: a folder without images says which sub-folder has them, before loading a model", async () => {
  const dir = join(run.root, "cases-root");
  await Deno.mkdir(join(dir, "training_set"), { recursive: true });
  const raw = { raw: { width: 30, height: 20, channels: 1 as const } };
  await sharp(grey8(5, 30, 20), raw).png().toFile(join(dir, "training_set", "a.png"));
  const said: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => said.push(a.join(" "));
  try {
    const args = ["--model", join(run.root, "no-model"), "--input", dir, "--out", "x.csv"];
    assert.equal(await main(args), 1);
  } finally {
    console.error = error;
  }
  assert.ok(
    said.some((l) => /no images in .*cases-root; images are in training_set\/ \(1\)$/.test(l)),
    said.join("\n"),
  );
});

Deno.test("predict CLI: --refine chains a head-crop second stage behind --model", async () => {
  // The tiny run's weights as a head-crop model: the wiring is under test, not accuracy.
  const fineDir = join(run.root, "fine");
  await Deno.mkdir(fineDir, { recursive: true });
  for (const f of ["model.json", "weights.bin"]) {
    await Deno.copyFile(join(model, "best", f), join(fineDir, f));
  }
  const fineConfig = { ...run.outcome.config, augment: { headCrop: 1.35 } };
  await Deno.writeTextFile(join(fineDir, "config.json"), JSON.stringify(fineConfig));
  const dir = join(run.root, "refine-in");
  await Deno.mkdir(dir, { recursive: true });
  const raw = { raw: { width: 77, height: 53, channels: 1 as const } };
  await sharp(grey8(21, 77, 53), raw).png().toFile(join(dir, "a.png"));
  const out = join(run.root, "refine-out", "pred.csv");
  const args = ["--model", model, "--input", dir, "--out", out, "--no-tta", "--backend", "cpu"];
  assert.equal(await main([...args, "--refine", fineDir]), 0);
  const chain = new CoarseToFine(await Predictor.load(model), await Predictor.load(fineDir));
  try {
    const image = await readGray(join(dir, "a.png"));
    const [want] = await chain.predict([{ id: "a.png", image }]);
    const [row] = (await readCsv(out)).rows;
    // The CSV rounds to 3 decimals.
    const got = row.slice(1, 9).map(Number);
    want.landmarks.flatMap((p) => [p.x, p.y]).forEach((v, i) =>
      assert.ok(Math.abs(got[i] - v) <= 5e-4, `column ${i + 1}: ${got[i]} vs ${v}`)
    );
  } finally {
    chain.dispose();
  }
  // The stages the wrong way round: the head-crop model cannot be the first.
  await assert.rejects(
    () => main([...args.slice(0, 1), fineDir, ...args.slice(2), "--refine", model]),
    /first stage/,
  );
});

Deno.test("predict CLI: a shipped family runs its shipped second stage unless --no-refine", async () => {
  // The committed unet and unet-fine on one HC18-sized phantom; the wiring is under test.
  const dir = join(run.root, "shipped-in");
  await Deno.mkdir(dir, { recursive: true });
  const raw = { raw: { width: 800, height: 540, channels: 1 as const } };
  await sharp(grey8(31, 800, 540), raw).png().toFile(join(dir, "p.png"));
  const image = await readGray(join(dir, "p.png"));
  const rowOf = async (extra: string[]) => {
    const out = join(run.root, "shipped-out", `${extra.join("") || "default"}.csv`);
    const args = ["--model", "unet", "--input", dir, "--out", out, "--no-tta", "--backend", "cpu"];
    assert.equal(await main([...args, ...extra]), 0);
    return (await readCsv(out)).rows[0].slice(1, 9).map(Number);
  };
  const unet = await Predictor.load("unet");
  const chain = new CoarseToFine(unet, await Predictor.load("unet-fine"));
  try {
    const [alone] = await unet.predict([{ id: "p.png", image }]);
    const [refined] = await chain.predict([{ id: "p.png", image }]);
    const close = (got: number[], want: typeof alone) =>
      want.landmarks.flatMap((p) => [p.x, p.y]).every((v, i) => Math.abs(got[i] - v) <= 5e-4);
    const byDefault = await rowOf([]);
    assert.ok(close(byDefault, refined), `default ${byDefault} vs chain ${refined.landmarks}`);
    const oneStage = await rowOf(["--no-refine"]);
    assert.ok(close(oneStage, alone), `--no-refine ${oneStage} vs unet ${alone.landmarks}`);
    // The two differ, so the comparison above can tell them apart.
    assert.ok(!close(byDefault, alone));
  } finally {
    chain.dispose();
  }
});

Deno.test("predict CLI: --cross-check adds the other models' distance and a review verdict", async () => {
  const dir = join(run.root, "cross-in");
  await Deno.mkdir(dir, { recursive: true });
  const raw = { raw: { width: 160, height: 108, channels: 1 as const } };
  for (const seed of [41, 42]) {
    await sharp(grey8(seed, 160, 108), raw).png().toFile(join(dir, `p${seed}.png`));
  }
  const sizes = join(run.root, "cross-sizes.csv");
  await Deno.writeTextFile(sizes, "filename,pixel size(mm)\np41.png,0.25\np42.png,0.25\n");
  const predict = async (name: string, extra: string[]) => {
    const out = join(run.root, "cross-out", `${name}.csv`);
    const args = ["--input", dir, "--out", out, "--pixel-size-csv", sizes, "--no-tta"];
    assert.equal(await main([...args, "--backend", "cpu", ...extra]), 0);
    return await readCsv(out);
  };
  const mine = await predict("mine", ["--model", model]);
  const others = [
    await predict("unet", ["--model", "unet"]),
    await predict("coord", ["--model", "coord"]),
  ];
  const both = await predict("both", ["--model", model, "--cross-check", "unet, coord"]);
  assert.deepEqual(both.header, [...header(true), ...CROSS_CHECK_COLUMNS]);
  assert.deepEqual(
    both.rows.map((r) => r.slice(0, 17)),
    mine.rows,
    "the primary's columns unchanged",
  );
  // Independently from the single-model CSVs: the mean over the two other models of the mean
  // point distance, and of the |HC difference| (3-decimal rounding in the CSVs).
  const col = (name: string) => both.header.indexOf(name);
  for (const [i, row] of both.rows.entries()) {
    const a = mine.rows[i].slice(1, 9).map(Number);
    const dist = (o: typeof mine) => {
      const b = o.rows[i].slice(1, 9).map(Number);
      return [0, 1, 2, 3].reduce(
        (s, k) => s + Math.hypot(a[2 * k] - b[2 * k], a[2 * k + 1] - b[2 * k + 1]),
        0,
      ) / 4;
    };
    const px = Number(row[col("cross_check_px")]);
    const want = (dist(others[0]) + dist(others[1])) / 2;
    assert.ok(Math.abs(px - want) <= 2e-3, `${row[0]}: ${px} vs ${want}`);
    assert.ok(Math.abs(Number(row[col("cross_check_mm")]) - 0.25 * px) <= 1e-3);
    const hcOf = (r: string[]) => Number(r[12]);
    const hc = others.reduce((s, o) => s + Math.abs(hcOf(mine.rows[i]) - hcOf(o.rows[i])), 0) / 2;
    assert.ok(Math.abs(Number(row[col("cross_check_hc_mm")]) - hc) <= 2e-3, `${row[0]} hc`);
    const review = Number(row[col("cross_check_mm")]) > 1.5 || hc > 2;
    assert.equal(row[col("review")], String(review));
    assert.equal(row[col("review_reasons")] !== "", review);
  }
  const record = JSON.parse(
    await Deno.readTextFile(join(run.root, "cross-out", "both.run.json")),
  );
  assert.deepEqual(record.crossCheck.models.map((m: { name: string }) => m.name), [
    "unet",
    "coord",
  ]);
  assert.equal(record.crossCheck.models[0].refine.family, "unet-fine");
  const base = ["--model", model, "--input", dir, "--out", "x.csv", "--cross-check"];
  for (
    const [list, message] of [
      ["unet,", /needs model names separated by commas/],
      ["unet,unet", /names a model twice/],
      [`unet,${model}`, /includes --model .* itself/],
      [run.root, /not a model/],
    ] as const
  ) {
    await assert.rejects(main([...base, list]), message);
  }
});
