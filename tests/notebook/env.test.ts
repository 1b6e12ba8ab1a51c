import assert from "node:assert/strict";
import { join } from "node:path";
import {
  byMode,
  DATA_ENV,
  dataDir,
  dataKind,
  hc18SourceDir,
  isQuick,
  QUICK_ENV,
} from "../../lib/notebook/env.ts";
import { PROJECT_ROOT } from "../../lib/core/project.ts";
import { loadDataset } from "../../lib/data/dataset.ts";

/** Runs `fn` with the two notebook variables set (undefined = unset), restoring them after. */
async function withEnv(
  vars: { quick?: string; data?: string },
  fn: () => Promise<void> | void,
): Promise<void> {
  const saved = [Deno.env.get(QUICK_ENV), Deno.env.get(DATA_ENV)];
  const set = (k: string, v?: string) => v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  set(QUICK_ENV, vars.quick);
  set(DATA_ENV, vars.data);
  try {
    await fn();
  } finally {
    set(QUICK_ENV, saved[0]);
    set(DATA_ENV, saved[1]);
  }
}

Deno.test("isQuick / byMode follow BIOMETRY_QUICK", async () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ["", false],
    ["0", false],
    ["1", true],
    ["yes", true],
  ];
  for (const [value, quick] of cases) {
    await withEnv({ quick: value }, () => {
      assert.equal(isQuick(), quick, `BIOMETRY_QUICK=${value}`);
      assert.equal(byMode("full", "quick"), quick ? "quick" : "full");
    });
  }
});

Deno.test("hc18SourceDir: BIOMETRY_DATA (relative to the project) or ../shared/data/hc18", async () => {
  await withEnv({}, () => assert.equal(hc18SourceDir(), join(PROJECT_ROOT, "../shared/data/hc18")));
  await withEnv({ data: "/srv/hc18" }, () => assert.equal(hc18SourceDir(), "/srv/hc18"));
  await withEnv({ data: "x/y" }, () => assert.equal(hc18SourceDir(), join(PROJECT_ROOT, "x/y")));
});

Deno.test("dataKind: HC18 only when its CSV exists and not in quick mode", async () => {
  const hc18 = await Deno.makeTempDir();
  try {
    await withEnv({ data: hc18 }, async () => assert.equal(await dataKind(), "phantoms"));
    await Deno.writeTextFile(join(hc18, "training_set_pixel_size_and_HC.csv"), "filename\n");
    await withEnv({ data: hc18 }, async () => assert.equal(await dataKind(), "hc18"));
    await withEnv(
      { data: hc18, quick: "1" },
      async () => assert.equal(await dataKind(), "phantoms"),
    );
  } finally {
    await Deno.remove(hc18, { recursive: true });
  }
});

Deno.test("dataDir generates phantoms once, then reuses the folder; an existing HC18 import is used", async () => {
  const root = await Deno.makeTempDir();
  try {
    await withEnv({ quick: "1" }, async () => {
      const dir = await dataDir({ root, phantomCount: 3 });
      assert.equal(dir, join(root, "phantoms"));
      const records = await loadDataset(dir);
      assert.equal(records.length, 3);
      const before = (await Deno.stat(join(dir, "labels.csv"))).mtime;
      assert.equal(await dataDir({ root, phantomCount: 5 }), dir);
      assert.deepEqual((await Deno.stat(join(dir, "labels.csv"))).mtime, before, "not regenerated");
    });
    const hc18 = join(root, "source");
    await Deno.mkdir(hc18);
    await Deno.writeTextFile(join(hc18, "training_set_pixel_size_and_HC.csv"), "filename\n");
    await Deno.mkdir(join(root, "hc18"));
    await Deno.writeTextFile(join(root, "hc18", "dataset.json"), "{}");
    await withEnv(
      { data: hc18 },
      async () => assert.equal(await dataDir({ root }), join(root, "hc18")),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
