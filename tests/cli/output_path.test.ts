import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import {
  checkOutputPath,
  refuseForeignFolder,
  refuseReplacing,
} from "../../lib/cli/output_path.ts";

Deno.test("refuseReplacing: an output folder holding (or being) what the run reads is refused", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cases = join(root, "cases"), images = join(cases, "images");
    await Deno.mkdir(images, { recursive: true });
    const link = join(root, "link");
    await Deno.symlink(cases, link);
    const keep = [{ path: images, what: "the images" }];
    const table: [out: string, refused: boolean][] = [
      [images, true], // the folder itself
      [cases, true], // a folder above it
      [root, true],
      [link, true], // the same folder through a symlink
      [join(images, "dataset"), false], // a new folder inside is fine
      [join(root, "data", "mine"), false],
      [join(root, "cases-copy"), false], // a name that merely starts alike
    ];
    for (const [out, refused] of table) {
      const run = () => refuseReplacing(out, "--out", keep);
      if (refused) {
        assert.throws(
          run,
          (e: Error) => e instanceof InputError && /--out would replace the images/.test(e.message),
          out,
        );
      } else assert.doesNotThrow(run, out);
    }
    // And a file given where a folder is meant.
    const file = join(root, "notes.txt");
    await Deno.writeTextFile(file, "x");
    await assert.rejects(checkOutputPath(file, "--out", "folder"), /--out names a file/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("refuseForeignFolder: a new, empty or earlier dataset folder is fine; any other folder is refused", async () => {
  const root = await Deno.makeTempDir();
  try {
    const earlier = join(root, "earlier"), empty = join(root, "empty"), mine = join(root, "mine");
    await Deno.mkdir(join(earlier, "masks"), { recursive: true });
    await Deno.writeTextFile(join(earlier, "dataset.json"), "{}");
    await Deno.mkdir(empty);
    await Deno.mkdir(join(mine, "notes"), { recursive: true });
    await Deno.writeTextFile(join(mine, "thesis.txt"), "years of work");
    for (const ok of [join(root, "new"), empty, earlier]) await refuseForeignFolder(ok, "--out");
    await assert.rejects(
      refuseForeignFolder(mine, "--out"),
      (e: Error) =>
        e instanceof InputError && /--out is a folder that holds other things/.test(e.message) &&
        e.message.includes("no dataset.json"),
    );
    assert.equal(await Deno.readTextFile(join(mine, "thesis.txt")), "years of work");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
