import assert from "node:assert/strict";
import { join } from "node:path";
import { chooseRefine, SHIPPED_ROOT } from "../../lib/inference/model_dir.ts";
import { removeAfterAll } from "../temp_dir.ts";

const empty = await Deno.makeTempDir({ prefix: "model-dir-" });
removeAfterAll(empty);
const shippedFine = (f: string) => join(SHIPPED_ROOT, `${f}-fine`);

const cases: {
  name: string;
  model: string;
  opts: { refine?: string; noRefine?: boolean };
  root?: string;
  want: string | undefined;
}[] = [
  { name: "shipped unet → unet-fine", model: "unet", opts: {}, want: shippedFine("unet") },
  { name: "shipped heatmap", model: "heatmap", opts: {}, want: shippedFine("heatmap") },
  { name: "shipped deeplab", model: "deeplab", opts: {}, want: shippedFine("deeplab") },
  { name: "no coord-fine family", model: "coord", opts: {}, want: undefined },
  { name: "--no-refine", model: "unet", opts: { noRefine: true }, want: undefined },
  { name: "--refine wins", model: "unet", opts: { refine: "runs/x" }, want: "runs/x" },
  { name: "a checkpoint folder", model: "checkpoints/runs/some-run", opts: {}, want: undefined },
  { name: "a second stage itself", model: "unet-fine", opts: {}, want: undefined },
  { name: "nothing shipped", model: "unet", opts: {}, root: empty, want: undefined },
];

for (const c of cases) {
  Deno.test(`chooseRefine: ${c.name}`, async () => {
    assert.equal(await chooseRefine(c.model, c.opts, c.root), c.want);
  });
}

Deno.test("chooseRefine: --refine with --no-refine is an input error", async () => {
  await assert.rejects(
    chooseRefine("unet", { refine: "unet-fine", noRefine: true }),
    /exclude each other/,
  );
});
