import assert from "node:assert/strict";
import { join } from "node:path";
import {
  choosePixelSizes,
  findPixelSizeCsvs,
  listInputImages,
  matchPixelSizes,
  pixelSizeCsvCandidates,
  readPixelSizes,
} from "../../lib/inference/inputs.ts";

const sizes = new Map([
  ["000_HC.png", 0.1],
  ["001_HC", 0.2], // listed without its extension
  ["002_hc.PNG", 0.3], // other case
  ["003_HC.png", 0.4],
  ["003_HC.jpg", 0.5], // two entries share the stem: only an exact name decides
  ["case.1", 0.6], // a dot in the name is no extension
]);

const cases: [string, number | undefined][] = [
  ["000_HC.png", 0.1],
  ["001_HC.png", 0.2],
  ["002_HC.png", 0.3],
  ["003_HC.png", 0.4],
  ["003_HC.tif", undefined],
  ["004_HC.png", undefined],
  ["case.1.png", 0.6],
];

Deno.test("matchPixelSizes: exact name, else the one entry equal up to case and extension", () => {
  const files = cases.map(([name]) => join("/images", name));
  const { byName, missing } = matchPixelSizes(files, sizes);
  for (const [name, want] of cases) assert.equal(byName.get(name), want, name);
  assert.deepEqual(missing, ["003_HC.tif", "004_HC.png"]);
});

Deno.test("findPixelSizeCsvs: the input folder first, then its parent; readPixelSizes names bad rows", async () => {
  const root = await Deno.makeTempDir();
  try {
    const images = join(root, "test_set");
    await Deno.mkdir(images);
    assert.equal((await findPixelSizeCsvs(images))[0], undefined);
    const [inFolder, , inParent] = pixelSizeCsvCandidates(images);
    await Deno.writeTextFile(inParent, "filename,pixel size(mm)\n000_HC.png,0.1\n");
    assert.equal((await findPixelSizeCsvs(images))[0], inParent);
    await Deno.writeTextFile(inFolder, "filename,pixel size(mm)\n000_HC.png,0.2\n000_HC.png,0.3\n");
    assert.equal((await findPixelSizeCsvs(images))[0], inFolder);
    await assert.rejects(readPixelSizes(inFolder), /file listed twice.*row 3|row 3.*listed twice/s);
    assert.deepEqual(await readPixelSizes(inParent), new Map([["000_HC.png", 0.1]]));
    // An empty size cell (predict's own output for an image without one) is no size, not an error.
    const labels = join(root, "pred.csv");
    await Deno.writeTextFile(labels, "image_name,pixel_size_mm\na.png,0.1\nb.png,\n");
    assert.deepEqual(await readPixelSizes(labels), new Map([["a.png", 0.1]]));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("findPixelSizeCsvs: in HC18's release layout each folder takes the CSV named after it", async () => {
  // Both CSVs beside training_set/ and test_set/, whose images share names (000_HC.png).
  const root = await Deno.makeTempDir();
  try {
    const training = join(root, "training_set"), test = join(root, "test_set");
    await Deno.mkdir(training);
    await Deno.mkdir(test);
    const trainingCsv = join(root, "training_set_pixel_size_and_HC.csv");
    const testCsv = join(root, "test_set_pixel_size.csv");
    await Deno.writeTextFile(trainingCsv, "filename,pixel size(mm),head circumference (mm)\n");
    await Deno.writeTextFile(testCsv, "filename,pixel size(mm)\n");
    assert.equal((await findPixelSizeCsvs(training))[0], trainingCsv);
    assert.equal((await findPixelSizeCsvs(test))[0], testCsv);
    // A folder named otherwise keeps the fixed order, and its own folder still comes first.
    const other = join(root, "mine");
    await Deno.mkdir(other);
    assert.equal((await findPixelSizeCsvs(other))[0], testCsv);
    const own = join(other, "training_set_pixel_size_and_HC.csv");
    await Deno.writeTextFile(own, "filename,pixel size(mm)\n");
    assert.equal((await findPixelSizeCsvs(other))[0], own);
    assert.deepEqual(await findPixelSizeCsvs(training), [trainingCsv, testCsv]);
    // A folder whose name is only a prefix (`test/`) has no CSV of its own here.
    const shortName = join(root, "test");
    await Deno.mkdir(shortName);
    assert.deepEqual(await findPixelSizeCsvs(shortName), [testCsv, trainingCsv]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("choosePixelSizes: the folder's own CSV, else the one covering most images, and who disagrees", async () => {
  const root = await Deno.makeTempDir();
  try {
    const write = async (name: string, rows: string[]) => {
      await Deno.writeTextFile(join(root, name), ["filename,pixel size(mm)", ...rows].join("\n"));
      return join(root, name);
    };
    const files = ["000_HC.png", "010_2HC.png"].map((n) => join(root, "cases", n));
    // As HC18's two CSVs beside a folder named otherwise: the test CSV lists 000_HC.png too.
    const test = await write("test_set_pixel_size.csv", ["000_HC.png,0.236"]);
    const training = await write("training_set_pixel_size_and_HC.csv", [
      "000_HC.png,0.069",
      "010_2HC,0.1",
    ]);
    const mixed = await choosePixelSizes(files, join(root, "cases"), [test, training]);
    assert.equal(mixed!.path, training);
    assert.deepEqual([...mixed!.byName], [["000_HC.png", 0.069], ["010_2HC.png", 0.1]]);
    assert.deepEqual(mixed!.conflicts, [
      { path: test, clash: [{ name: "000_HC.png", chosen: 0.069, other: 0.236 }] },
    ]);
    // A folder's own CSV is taken as it is, wherever it comes in the list, and the others are not
    // second-guessed.
    for (const order of [[test, training], [training, test]]) {
      const own = await choosePixelSizes(files.slice(0, 1), join(root, "test_set"), order);
      assert.equal(own!.path, test);
      assert.deepEqual(own!.conflicts, []);
    }
    // `test/` is not `test_set/`: the pick goes by coverage there.
    assert.equal(
      (await choosePixelSizes(files, join(root, "test"), [test, training]))!.path,
      training,
    );
    // A broken CSV that would not be picked is passed over; the one picked must read.
    const broken = await write("broken.csv", ["000_HC.png,-1"]);
    const passed = await choosePixelSizes(files, join(root, "cases"), [broken, training]);
    assert.equal(passed!.path, training);
    await assert.rejects(
      choosePixelSizes(files, join(root, "cases"), [broken]),
      /pixel size must be a positive number/,
    );
    assert.equal(await choosePixelSizes(files, root, []), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("listInputImages: hidden files and outlines left out; a missing input says so", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const name of ["b.png", "A.JPG", ".hidden.png", "._b.png", "b_Annotation.png", "n.txt"]) {
      await Deno.writeFile(join(root, name), new Uint8Array([1]));
    }
    await Deno.mkdir(join(root, "sub.png"));
    const listing = await listInputImages(root);
    assert.deepEqual(listing.files, [join(root, "A.JPG"), join(root, "b.png")]);
    await assert.rejects(listInputImages(join(root, "nope")), /nope: input not found$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
