import assert from "node:assert/strict";
import { join } from "node:path";
import { loadDataset, loadSample } from "../../lib/data/dataset.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import { planPhantoms, writePhantomDataset } from "../../lib/data/phantom_dataset.ts";
import { groupOf } from "../../lib/data/prototype_csv.ts";

Deno.test("planPhantoms: deterministic, HC18-style ids, 1–3 images per group", () => {
  const plan = planPhantoms(300, 9);
  assert.deepEqual(plan, planPhantoms(300, 9));
  assert.notDeepEqual(plan, planPhantoms(300, 10));
  assert.equal(plan.length, 300);
  assert.equal(new Set(plan.map((p) => p.id)).size, 300);
  const sizes = new Map<string, number>();
  for (const p of plan) {
    assert.equal(groupOf(p.id), p.group);
    sizes.set(p.group, (sizes.get(p.group) ?? 0) + 1);
  }
  const counts = [1, 2, 3].map((k) => [...sizes.values()].filter((v) => v === k).length);
  assert.equal(counts[0] + counts[1] + counts[2], sizes.size);
  assert.ok(counts[0] > counts[1] && counts[1] > counts[2] && counts[2] > 0, `${counts}`);
});

Deno.test("writePhantomDataset: loadable folder whose labels match the generator", async () => {
  const dir = await Deno.makeTempDir({ prefix: "phantom_ds_" });
  try {
    const out = join(dir, "phantoms");
    const written = await writePhantomDataset(out, { count: 5, seed: 3, width: 96, height: 64 });
    const loaded = await loadDataset(out);
    assert.equal(loaded.length, 5);
    const plan = planPhantoms(5, 3);
    for (const [i, rec] of loaded.entries()) {
      const truth = generatePhantom(plan[i].seed, { width: 96, height: 64 });
      assert.equal(rec.id, plan[i].id);
      // labels.csv carries full double precision, so the landmarks come back exactly.
      assert.deepEqual(rec.landmarks, truth.landmarks);
      assert.equal(rec.pixelSizeMm, truth.pixelSizeMm);
      assert.deepEqual(rec, written[i]);
      const s = await loadSample(rec);
      assert.deepEqual(s.mask, truth.mask);
      const maxErr = s.image.data.reduce(
        (m, v, k) => Math.max(m, Math.abs(v - truth.image.data[k])),
        0,
      );
      assert.ok(maxErr <= 0.5 + 1e-4, "images are the phantom rounded to 8 bits");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
