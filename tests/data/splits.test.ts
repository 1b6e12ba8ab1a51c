import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { groupedKFold, groupedSplit, type Split } from "../../lib/data/splits.ts";

interface Item {
  id: string;
  group: string;
}

/** n groups of 1–4 items, HC18-like ids. */
function items(nGroups: number, seed: number): Item[] {
  const rng = new Rng(seed);
  const out: Item[] = [];
  for (let g = 0; g < nGroups; g++) {
    const size = rng.int(1, 5);
    for (let k = 0; k < size; k++) out.push({ id: `${g}_${k}HC.png`, group: String(g) });
  }
  return out;
}

function assertNoLeak(s: Split<Item>, all: Item[]) {
  const trainGroups = new Set(s.train.map((i) => i.group));
  for (const it of s.val) assert.ok(!trainGroups.has(it.group), `group ${it.group} on both sides`);
  assert.deepEqual([...s.train, ...s.val].map((i) => i.id).sort(), all.map((i) => i.id).sort());
}

Deno.test("groupedSplit: no group on both sides, ~20 %, deterministic, order-independent", () => {
  for (const seed of [0, 1, 2, 3]) {
    const all = items(150, seed);
    const s = groupedSplit(all, { seed });
    assertNoLeak(s, all);
    const target = Math.round(0.2 * all.length);
    assert.ok(Math.abs(s.val.length - target) <= 2, `${s.val.length} vs ${target}`);
    assert.deepEqual(groupedSplit(all, { seed }), s);
    const reversed = groupedSplit([...all].reverse(), { seed });
    assert.deepEqual(reversed.val.map((i) => i.id).sort(), s.val.map((i) => i.id).sort());
    // Input order is kept within each side.
    assert.deepEqual(s.val, all.filter((i) => s.val.includes(i)));
  }
  const all = items(150, 0);
  assert.notDeepEqual(groupedSplit(all, { seed: 0 }).val, groupedSplit(all, { seed: 1 }).val);
});

Deno.test("groupedSplit: edge fractions and a single group", () => {
  const all = items(20, 5);
  assert.equal(groupedSplit(all, { valFraction: 0 }).val.length, 0);
  assert.equal(groupedSplit(all, { valFraction: 1 }).train.length, 0);
  const one = [{ id: "a", group: "g" }, { id: "b", group: "g" }];
  assert.deepEqual(groupedSplit(one), { train: one, val: [] }); // 2 > |0.4 − 0| is no closer
  assert.throws(() => groupedSplit(all, { valFraction: 1.5 }), RangeError);
});

Deno.test("groupedKFold: folds partition the groups, balanced, deterministic", () => {
  const all = items(100, 7);
  const folds = groupedKFold(all, 5, 3);
  assert.equal(folds.length, 5);
  const seenVal = new Map<string, number>();
  folds.forEach((f, i) => {
    assertNoLeak(f, all);
    for (const it of f.val) {
      assert.ok(!seenVal.has(it.id), `${it.id} validated twice`);
      seenVal.set(it.id, i);
    }
  });
  assert.equal(seenVal.size, all.length);
  const sizes = folds.map((f) => f.val.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 4, `${sizes}`); // ≤ one group (max 4 items)
  assert.deepEqual(groupedKFold(all, 5, 3), folds);
  assert.notDeepEqual(groupedKFold(all, 5, 4), folds);
  assert.throws(() => groupedKFold(all, 1), RangeError);
  assert.throws(() => groupedKFold(items(3, 1), 4), RangeError);
});
