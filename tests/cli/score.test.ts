import assert from "node:assert/strict";
import { join } from "node:path";
import { InputError } from "../../lib/core/errors.ts";
import { main } from "../../lib/cli/score.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { tinyDataset, tinyRun } from "../inference/helpers.ts";
import { removeAfterAll } from "../temp_dir.ts";

const coarse = await tinyRun();
// The same images and split as `coarse`, and one on another split.
const fine = await tinyRun("heatmap/quick", {
  augment: { headCrop: 1.35 },
  data: { ...coarse.outcome.config.data },
});
removeAfterAll(coarse.root, fine.root);
// The fine model's weights under a config with another validation fraction: another split.
const otherSplit = join(coarse.root, "other-split");
await Deno.mkdir(otherSplit);
for (const f of ["model.json", "weights.bin"]) {
  await Deno.copyFile(join(fine.outcome.checkpointDir, "best", f), join(otherSplit, f));
}
await Deno.writeTextFile(
  join(otherSplit, "config.json"),
  JSON.stringify({
    ...fine.outcome.config,
    data: { ...fine.outcome.config.data, valFraction: 0.5 },
  }),
);

async function scoreJson(args: string[]): Promise<Record<string, unknown>> {
  const out = join(coarse.root, `score-${crypto.randomUUID()}.json`);
  assert.equal(await main([...args, "--out", out, "--backend", "cpu"]), 0);
  return JSON.parse(await Deno.readTextFile(out));
}

Deno.test("score CLI: one model, and a coarse → fine pair, on the run's validation images", async () => {
  const one = await scoreJson(["--model", coarse.outcome.checkpointDir]);
  const pair = await scoreJson([
    "--model",
    coarse.outcome.checkpointDir,
    "--refine",
    fine.outcome.checkpointDir,
  ]);
  for (const r of [one, pair]) {
    assert.equal(r.images, 2); // 8 phantoms, 25 % validation
    const made = r.provenance as {
      command: string;
      backend: { name: string };
      git: { commit: string | null };
    };
    assert.equal(made.command, "score");
    assert.equal(made.backend.name, "cpu");
    assert.ok("commit" in made.git);
    assert.match(made.git.commit ?? "", /^[0-9a-f]{40}$/);
    const m = r.metrics as Record<string, number>;
    assert.ok(Number.isFinite(m.mre_px) && m.mre_px >= 0);
  }
  assert.equal(pair.refine, fine.outcome.checkpointDir);
  assert.ok(
    (pair.metrics as { params: number }).params > (one.metrics as { params: number }).params,
  );
});

Deno.test("score CLI: stages from different splits, or no --model, are refused", async () => {
  await assert.rejects(
    () =>
      main([
        "--model",
        coarse.outcome.checkpointDir,
        "--refine",
        otherSplit,
        "--backend",
        "cpu",
      ]),
    (e: unknown) => e instanceof InputError && /different splits/.test(e.message),
  );
  await assert.rejects(() => main([]), InputError);
});

Deno.test("score CLI: a data folder that no longer gives the recorded split is refused; --data scores another folder whole", async () => {
  // The coarse model as if its run had recorded other validation images (the folder changed since).
  const changed = join(coarse.root, "changed");
  await Deno.mkdir(changed);
  for (const f of ["model.json", "weights.bin"]) {
    await Deno.copyFile(join(coarse.outcome.checkpointDir, "best", f), join(changed, f));
  }
  await Deno.writeTextFile(join(changed, "config.json"), JSON.stringify(coarse.outcome.config));
  const run = { data: { split: { valIds: ["gone_1.png", "gone_2.png"] } } };
  await Deno.writeTextFile(join(changed, "run.json"), JSON.stringify(run));
  await assert.rejects(
    () => main(["--model", changed, "--backend", "cpu"]),
    (e: unknown) =>
      e instanceof InputError && /is not the one .* recorded \(2 images, 2 of them not drawn/.test(
        e.message,
      ),
  );
  // Another labelled folder (other phantoms) is scored whole, whatever the recorded split.
  const other = join(coarse.root, "other");
  await writePhantomDataset(other, { count: 5, seed: 11, width: 64, height: 48 });
  const all = await scoreJson(["--model", changed, "--data", other]);
  assert.equal(all.images, 5);
  // The folder the model was trained on is refused with --data.
  await assert.rejects(
    () => main(["--model", coarse.outcome.checkpointDir, "--data", coarse.dataDir]),
    (e: unknown) =>
      e instanceof InputError && /data folder the model was trained on/.test(e.message),
  );
  // So is another folder listing its training images; its validation images alone are fine.
  const runInfo = JSON.parse(await Deno.readTextFile(join(coarse.outcome.runDir, "run.json")));
  const valIds: string[] = runInfo.data.split.valIds;
  const [header, ...rows] = (await Deno.readTextFile(join(coarse.dataDir, "labels.csv")))
    .trimEnd().split("\n");
  const copy = async (name: string, keep: (row: string) => boolean) => {
    const dir = join(coarse.root, name);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(
      join(dir, "dataset.json"),
      JSON.stringify({ name, source: "test", imageDir: join(coarse.dataDir, "images") }),
    );
    await Deno.writeTextFile(join(dir, "labels.csv"), [header, ...rows.filter(keep)].join("\n"));
    return dir;
  };
  // The same phantoms made again (same seed) in a folder of their own are the same image files.
  const again = await tinyDataset(join(coarse.root, "again"));
  await assert.rejects(
    () => main(["--model", coarse.outcome.checkpointDir, "--data", again]),
    (e: unknown) =>
      e instanceof InputError && /6 of its images are training images of the model/.test(e.message),
  );
  const everything = await copy("copy-all", () => true);
  await assert.rejects(
    () => main(["--model", coarse.outcome.checkpointDir, "--data", everything]),
    (e: unknown) =>
      e instanceof InputError && /6 of its images are training images of the model/.test(e.message),
  );
  // Without the training data at hand there is nothing to check against: refused, saying why.
  const lost = join(coarse.root, "lost");
  await Deno.mkdir(lost);
  for (const f of ["model.json", "weights.bin"]) {
    await Deno.copyFile(join(coarse.outcome.checkpointDir, "best", f), join(lost, f));
  }
  const lostConfig = {
    ...coarse.outcome.config,
    data: { ...coarse.outcome.config.data, dir: join(coarse.root, "moved") },
  };
  await Deno.writeTextFile(join(lost, "config.json"), JSON.stringify(lostConfig));
  await assert.rejects(
    () => main(["--model", lost, "--data", other]),
    (e: unknown) =>
      e instanceof InputError && /cannot check these images against the model's training/.test(
        e.message,
      ),
  );
  const validation = await copy("copy-val", (row) => valIds.includes(row.split(",")[0]));
  const scored = await scoreJson(["--model", coarse.outcome.checkpointDir, "--data", validation]);
  assert.equal(scored.images, valIds.length);
});
