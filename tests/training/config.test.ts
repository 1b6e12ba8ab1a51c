import assert from "node:assert/strict";
import { applyOverrides, mergeConfig, parseSetFlags } from "../../lib/training/config.ts";
import { BASE, configNames, getConfig } from "../../lib/training/configs.ts";
import { InputError } from "../../lib/core/errors.ts";

Deno.test("prototype reproduces the seed's settings", () => {
  const c = getConfig("prototype");
  assert.equal(c.model.name, "efficientnet-b3");
  assert.equal(c.inputSize, 512);
  assert.equal(c.batchSize, 16);
  assert.equal(c.epochs, 150);
  assert.deepEqual([c.optimizer.lr, c.optimizer.weightDecay], [1e-4, 1e-5]);
  assert.deepEqual([c.schedule.kind, c.schedule.factor, c.schedule.patience], ["plateau", 0.5, 10]);
  assert.equal(c.earlyStopping.patience, 25);
  assert.equal(c.gradClipNorm, 1);
});

Deno.test("every registered config resolves and validates; extends chains inherit", () => {
  for (const name of configNames()) assert.equal(getConfig(name).name, name);
  const cpu = getConfig("cpu"), quick = getConfig("quick");
  assert.equal(quick.optimizer.lr, cpu.optimizer.lr); // inherited from cpu
  assert.equal(quick.schedule.kind, "cosine-warmup");
  assert.equal(quick.schedule.factor, BASE.schedule.factor); // untouched nested key survives the merge
  assert.ok(quick.inputSize < cpu.inputSize);
  assert.throws(() => getConfig("nope"), InputError);
});

Deno.test("mergeConfig does not mutate its inputs", () => {
  const before = JSON.stringify(BASE);
  const merged = mergeConfig(BASE, { optimizer: { lr: 5 }, data: { limit: 3 } });
  assert.equal(JSON.stringify(BASE), before);
  assert.equal(merged.optimizer.lr, 5);
  assert.equal(merged.optimizer.weightDecay, BASE.optimizer.weightDecay);
  assert.equal(merged.data.limit, 3);
});

Deno.test("applyOverrides parses values to the existing types", () => {
  const c = applyOverrides(getConfig("cpu"), {
    epochs: "3",
    batchSize: "8",
    "optimizer.lr": "3e-4",
    "data.cacheImages": "false",
    "schedule.kind": "plateau",
    "data.dir": "data/phantoms",
    "model.options.dropout": "0.5",
    "taskOptions.wingWeight": "0.2",
  });
  assert.deepEqual(
    [c.epochs, c.batchSize, c.optimizer.lr, c.data.cacheImages, c.schedule.kind, c.data.dir],
    [3, 8, 3e-4, false, "plateau", "data/phantoms"],
  );
  assert.equal(c.model.options.dropout, 0.5);
  assert.equal(c.taskOptions.wingWeight, 0.2);
});

Deno.test("applyOverrides rejects unknown keys and bad values, naming them", () => {
  const base = getConfig("cpu");
  const table: [Record<string, string>, RegExp][] = [
    [{ epoch: "3" }, /unknown config key "epoch"/],
    [{ "optimizer.learningRate": "1" }, /unknown config key "optimizer.learningRate"/],
    [{ epochs: "three" }, /epochs.*number.*"three"/],
    [{ epochs: "0" }, /epochs must be a positive integer/],
    [{ batchSize: "2.5" }, /batchSize must be a positive integer/],
    [{ "data.cacheImages": "yes" }, /boolean/],
    [{ task: "detect" }, /task must be one of/],
    [{ "data.valFraction": "1" }, /valFraction/],
  ];
  for (const [overrides, re] of table) {
    assert.throws(
      () => applyOverrides(base, overrides),
      (e: Error) => e instanceof InputError && re.test(e.message),
      JSON.stringify(overrides),
    );
  }
});

Deno.test("parseSetFlags: KEY=VALUE (the value may hold '='), the last of a key wins; anything else refused", () => {
  assert.deepEqual(parseSetFlags(), {});
  assert.deepEqual(
    parseSetFlags(["epochs=3", "augment.note=a=b", "epochs=5", "model.options.outputDropout="]),
    { epochs: "5", "augment.note": "a=b", "model.options.outputDropout": "" },
  );
  for (const bad of ["epochs", "=3", ""]) {
    assert.throws(
      () => parseSetFlags([bad]),
      (e: unknown) => e instanceof InputError && /--set expects KEY=VALUE/.test(e.message),
      bad,
    );
  }
});
