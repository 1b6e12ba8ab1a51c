import assert from "node:assert/strict";
import { mapPool } from "../../lib/data/pool.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("mapPool: input order kept, at most `limit` in flight", async () => {
  let inFlight = 0, most = 0;
  const out = await mapPool([5, 1, 4, 2, 3], 2, async (v, i) => {
    most = Math.max(most, ++inFlight);
    await tick(v);
    inFlight--;
    return v * 10 + i;
  });
  assert.deepEqual(out, [50, 11, 42, 23, 34]);
  assert.equal(most, 2);
  assert.deepEqual(await mapPool([], 4, () => Promise.resolve(1)), []);
});

Deno.test("mapPool: after a failure nothing new starts, and it rejects once the calls in flight are done", async () => {
  const started: number[] = [], finished: number[] = [];
  await assert.rejects(
    mapPool([0, 1, 2, 3, 4, 5, 6, 7], 3, async (v) => {
      started.push(v);
      if (v === 1) {
        await tick(1);
        throw new Error(`item ${v} failed`);
      }
      await tick(20);
      finished.push(v);
    }),
    /item 1 failed/,
  );
  // 0 and 2 were in flight when 1 failed: both finished before the rejection; the failed worker
  // started nothing new.
  assert.deepEqual(started, [0, 1, 2]);
  assert.deepEqual(finished.sort(), [0, 2]);
});
