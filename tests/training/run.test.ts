import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { exists } from "../../lib/core/fs.ts";
import { writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { runTraining, splitRecords } from "../../lib/training/run.ts";
import { tinyConfig } from "./helpers.ts";
import { loadDataset } from "../../lib/data/dataset.ts";

await tf.setBackend("cpu");

const root = await Deno.makeTempDir();
const dataDir = join(root, "data");
await writePhantomDataset(dataDir, { count: 14, width: 64, height: 48, seed: 3 });

const config = tinyConfig({
  model: {
    name: "coord-regression",
    options: { encoder: "plain4", encoderDepth: 2, decoderChannels: [8] },
  },
  epochs: 1,
  stepsPerEpoch: 2,
  data: { dir: dataDir, valFraction: 0.3 },
  visualiseCount: 2,
  augment: { distortionP: 0 },
});
const roots = {
  resultsRoot: join(root, "results"),
  checkpointsRoot: join(root, "checkpoints"),
  log: () => {},
};

Deno.test("a run writes its config, metrics, curves, predictions, overlays, run.json and checkpoints", async () => {
  const out = await runTraining({ config, runId: "r1", ...roots });
  const dir = out.runDir;
  for (
    const f of [
      "config.json",
      "run.json",
      "metrics.csv",
      "metrics.jsonl",
      "curves.png",
      "predictions_vs_gt.csv",
    ]
  ) {
    assert.ok(await exists(join(dir, f)), f);
  }
  const overlays = [...Deno.readDirSync(join(dir, "visualise"))];
  assert.equal(overlays.length, 2);
  for (const f of ["best", "last"]) {
    assert.ok(await exists(join(out.checkpointDir, f, "model.json")), f);
  }
  const run = JSON.parse(await Deno.readTextFile(join(dir, "run.json")));
  assert.equal(run.data.dir, dataDir);
  assert.equal(run.data.split.train + run.data.split.val, 14);
  assert.ok(run.wallClockSec > 0);
  assert.ok(run.git.commit === null || /^[0-9a-f]{40}$/.test(run.git.commit));
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(dir, "config.json"))), config);
  // One CSV row per validation image, in the same order as the validation split.
  const csv = (await Deno.readTextFile(join(dir, "predictions_vs_gt.csv"))).trim().split("\n");
  assert.equal(csv.length - 1, run.data.split.val);
  assert.deepEqual(csv.slice(1).map((l) => l.split(",")[0]), run.data.split.valIds);
});

Deno.test("resume reuses the saved config and extends the run with --epochs", async () => {
  await runTraining({ config, runId: "r2", ...roots });
  const other = tinyConfig({ inputSize: 48 }); // ignored on resume: config.json wins
  const out = await runTraining({
    config: other,
    runId: "r2",
    resume: true,
    overrides: { epochs: "2" },
    ...roots,
  });
  assert.equal(out.config.inputSize, config.inputSize);
  assert.equal(out.training.history.length, 2);
  assert.equal(out.training.globalStep, 4);
  const rows = (await Deno.readTextFile(join(out.runDir, "metrics.csv"))).trim().split("\n");
  assert.equal(rows.length, 3);
  const run = JSON.parse(await Deno.readTextFile(join(out.runDir, "run.json")));
  assert.equal(run.sessions.length, 2);
  for (const session of run.sessions) assert.ok("backend" in session && "git" in session);
  await assert.rejects(
    runTraining({ config, runId: "nope", resume: true, ...roots }),
    /no checkpoint to resume from/,
  );
  await assert.rejects(
    runTraining({ config, runId: "r2", resume: true, overrides: { batchSize: "2" }, ...roots }),
    /cannot change batchSize on resume/,
  );
  // The same run on other images would score its later epochs on another validation set.
  const elsewhere = join(root, "elsewhere");
  await writePhantomDataset(elsewhere, { count: 10, width: 64, height: 48, seed: 9 });
  await assert.rejects(
    runTraining({
      config,
      runId: "r2",
      resume: true,
      overrides: { "data.dir": elsewhere },
      ...roots,
    }),
    /resume: .*elsewhere gives another validation split than the run started with/,
  );
  // A finished or interrupted run is not started over by mistake.
  await assert.rejects(
    runTraining({ config, runId: "r2", ...roots }),
    /run r2 already has checkpoints; continue it with `--resume r2`/,
  );
  // Under cosine-warmup the epochs set the curve's length: a longer resume would bend it.
  const cosine = { ...config, schedule: { ...config.schedule, kind: "cosine-warmup" as const } };
  await runTraining({ config: cosine, runId: "r2c", ...roots });
  await assert.rejects(
    runTraining({
      config: cosine,
      runId: "r2c",
      resume: true,
      overrides: { epochs: "2" },
      ...roots,
    }),
    /cannot change epochs on resume \(1 → 2\) under the cosine-warmup schedule/,
  );
});

Deno.test("task options fitted on the training set (standardised coords) are saved in config.json", async () => {
  const cfg = { ...config, taskOptions: { standardise: 1 } };
  const out = await runTraining({ config: cfg, runId: "r3", ...roots });
  const saved = JSON.parse(await Deno.readTextFile(join(out.runDir, "config.json")));
  assert.equal(saved.taskOptions.targetMean.length, 8);
  assert.ok(saved.taskOptions.targetStd.every((v: number) => v > 0));
  assert.ok(Number.isFinite(out.training.history[0].val_mre_px));
});

Deno.test("splits are grouped, seeded by data.splitSeed, and respect data.limit", async () => {
  const records = await loadDataset(dataDir);
  const a = splitRecords(records, config);
  const b = splitRecords([...records].reverse(), config);
  assert.deepEqual(a.val.map((r) => r.id), b.val.map((r) => r.id));
  const valGroups = new Set(a.val.map((r) => r.group));
  assert.ok(a.train.every((r) => !valGroups.has(r.group)));
  const limited = splitRecords(records, { ...config, data: { ...config.data, limit: 10 } });
  assert.equal(limited.train.length + limited.val.length, 10);
  // More folds than pregnancies (e.g. `cv --folds 50`): an InputError naming both counts.
  const groups = new Set(records.map((r) => r.group)).size;
  assert.throws(
    () => splitRecords(records, { ...config, data: { ...config.data, folds: groups + 1 } }),
    (e: Error) =>
      e.name === "InputError" &&
      e.message.includes(`${groups + 1} folds need at least ${groups + 1} groups`) &&
      e.message.includes(`the data has ${groups}`),
  );
});

Deno.test("a run id that is not a plain folder name is refused before anything is written", async () => {
  for (const id of ["../escaped", "a/b", "..", "/tmp/x", "with space"]) {
    await assert.rejects(
      runTraining({ config, runId: id, ...roots }),
      (err: Error) => err.name === "InputError" && /plain folder name/.test(err.message),
      id,
    );
  }
  assert.ok(!(await exists(join(root, "escaped"))));
  assert.ok(!(await exists(join(roots.resultsRoot, "a"))));
  await runTraining({ config, runId: "r-4_ok.v2", ...roots });
  assert.ok(await exists(join(roots.resultsRoot, "r-4_ok.v2", "run.json")));
});

Deno.test("a run says which labels look wrong (here OFD and BPD swapped) and records it in run.json", async () => {
  const messy = join(root, "messy");
  await writePhantomDataset(messy, { count: 6, width: 64, height: 48, seed: 4 });
  const info = JSON.parse(await Deno.readTextFile(join(messy, "dataset.json")));
  const csv = join(messy, info.labels);
  const [header, first, ...rest] = (await Deno.readTextFile(csv)).trimEnd().split("\n");
  const c = first.split(",");
  const swapped = [c[0], ...c.slice(5, 9), ...c.slice(1, 5), ...c.slice(9)].join(",");
  await Deno.writeTextFile(csv, [header, swapped, ...rest].join("\n") + "\n");
  const lines: string[] = [];
  const out = await runTraining({
    config: { ...config, data: { ...config.data, dir: messy } },
    runId: "messy",
    ...roots,
    log: (l) => lines.push(l),
  });
  const id = c[0];
  const said = lines.find((l) => l.startsWith("label check: "));
  assert.ok(said, lines.join("\n"));
  assert.match(
    said,
    new RegExp(`^label check: 1 errors, 0 warnings: ${id} \\(bpd_longer_than_ofd\\)`),
  );
  assert.match(said, new RegExp(`deno task data:audit ${messy}`));
  const run = JSON.parse(await Deno.readTextFile(join(out.runDir, "run.json")));
  assert.deepEqual(run.data.labelCheck, {
    errors: 1,
    warnings: 0,
    flagged: [{ id, codes: ["bpd_longer_than_ofd"] }],
  });
});

Deno.test("a save cut short between its two renames is recovered on resume, from the complete copy", async () => {
  await runTraining({ config, runId: "cut", ...roots });
  const ck = join(roots.checkpointsRoot, "cut");
  // The kill's leftovers: the old `last` moved aside, a new copy still being filled (no state.json).
  await Deno.rename(join(ck, "last"), join(ck, "last.4242.0.tmp"));
  await Deno.mkdir(join(ck, "last.4242.1.tmp"));
  await Deno.writeTextFile(join(ck, "last.4242.1.tmp", "weights.bin"), "half");
  // And a half-written `best` beside the intact one, from another cut save.
  await Deno.mkdir(join(ck, "best.4242.2.tmp"));
  const lines: string[] = [];
  const out = await runTraining({
    config,
    runId: "cut",
    resume: true,
    overrides: { epochs: "2" },
    ...roots,
    log: (l) => lines.push(l),
  });
  assert.ok(
    lines.some((l) => /recovered .*last from .*last\.4242\.0\.tmp/.test(l)),
    lines.join("\n"),
  );
  assert.equal(out.training.history.length, 2);
  assert.ok(await exists(join(ck, "last", "state.json")));
  // Nothing an interrupted save left behind survives the resume.
  const left = [...Deno.readDirSync(ck)].map((e) => e.name).filter((n) => n.endsWith(".tmp"));
  assert.deepEqual(left, []);
});

Deno.test("a run stopped inside its first save: --resume says to start again; starting again clears the leftovers", async () => {
  const ck = join(roots.checkpointsRoot, "first-cut");
  await Deno.mkdir(join(ck, "last.4242.0.tmp"), { recursive: true }); // no state.json: incomplete
  await assert.rejects(
    runTraining({ config, runId: "first-cut", resume: true, ...roots }),
    (e: Error) => e.name === "InputError" && /start it again without --resume/.test(e.message),
  );
  await runTraining({ config, runId: "first-cut", ...roots });
  assert.ok(!(await exists(join(ck, "last.4242.0.tmp"))));
  assert.ok(await exists(join(ck, "last", "state.json")));
});

Deno.test("a save cut between its renames, then a fresh start: the complete copy is recovered and the start refused", async () => {
  await runTraining({ config, runId: "cut-fresh", ...roots });
  const ck = join(roots.checkpointsRoot, "cut-fresh");
  await Deno.rename(join(ck, "last"), join(ck, "last.4242.0.tmp")); // complete, with state.json
  await assert.rejects(
    runTraining({ config, runId: "cut-fresh", ...roots }),
    /already has checkpoints; continue it with `--resume cut-fresh`/,
  );
  assert.ok(await exists(join(ck, "last", "state.json")), "the complete copy is back as last/");
});

Deno.test({
  name: "cleanup",
  fn: async () => await Deno.remove(root, { recursive: true }),
});
