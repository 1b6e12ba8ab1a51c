/** The shape logic of js_kernels.ts on hand-computed cases (the kernels tests cover the numbers). */
import assert from "node:assert/strict";
import {
  binary,
  maxPoolGrad,
  planBroadcast,
  reduce,
  slice,
  tile,
} from "../../lib/backend/js_kernels.ts";

const f32 = (...v: number[]) => Float32Array.from(v);

Deno.test("planBroadcast collapses axes that broadcast alike", () => {
  const cases: [number[], number[], number[], number[], number[]][] = [
    // a shape, b shape, dims, strideA, strideB
    [[2, 3, 4], [2, 3, 4], [24], [1], [1]],
    [[2, 3, 4], [4], [6, 4], [4, 1], [0, 1]],
    [[2, 3, 4], [2, 1, 1], [2, 12], [12, 1], [1, 0]],
    [[2, 1, 4], [3, 1], [2, 3, 4], [4, 0, 1], [0, 1, 0]],
    [[1], [1], [1], [0], [0]],
  ];
  for (const [a, b, dims, sa, sb] of cases) {
    const p = planBroadcast(a, b)!;
    assert.deepEqual([p.dims, p.strideA, p.strideB], [dims, sa, sb], `${a} ⊕ ${b}`);
  }
  assert.equal(planBroadcast([2, 3], [4]), undefined);
});

Deno.test("binary broadcasts both ways", () => {
  // [[1,2],[3,4]] − [10, 20] and [10,20]ᵀ − [[1,2],[3,4]]
  assert.deepEqual(
    binary("Sub", f32(1, 2, 3, 4), [2, 2], f32(10, 20), [2])!.values,
    f32(-9, -18, -7, -16),
  );
  assert.deepEqual(
    binary("Sub", f32(10, 20), [2, 1], f32(1, 2, 3, 4), [2, 2])!.values,
    f32(9, 8, 17, 16),
  );
  assert.deepEqual(binary("Multiply", f32(2), [], f32(1, 2, 3), [3])!.values, f32(2, 4, 6));
});

Deno.test("reduce over leading, trailing and middle axes", () => {
  const x = Float32Array.from({ length: 24 }, (_, i) => i); // shape [2, 3, 4]
  assert.deepEqual(reduce("sum", x, [2, 3, 4], [0, 1]), f32(60, 66, 72, 78));
  assert.deepEqual(reduce("sum", x, [2, 3, 4], [2]), f32(6, 22, 38, 54, 70, 86));
  assert.deepEqual(reduce("sum", x, [2, 3, 4], [1]), f32(12, 15, 18, 21, 48, 51, 54, 57));
  assert.deepEqual(reduce("max", x, [2, 3, 4], [0, 2]), f32(15, 19, 23));
  assert.deepEqual(reduce("min", x, [2, 3, 4], [0, 1, 2]), f32(0));
  assert.deepEqual(reduce("sum", f32(5), [1, 1], [0, 1]), f32(5));
});

Deno.test("slice copies a box and tile repeats blocks", () => {
  const x = Float32Array.from({ length: 12 }, (_, i) => i); // [3, 4]
  assert.deepEqual(slice(x, [3, 4], [1, 1], [2, 2]), f32(5, 6, 9, 10));
  assert.deepEqual(slice(x, [3, 4], [1, 0], [1, 4]), f32(4, 5, 6, 7));
  assert.deepEqual(slice(x, [3, 4], [0, 3], [3, 1]), f32(3, 7, 11));
  const t = tile(f32(1, 2), [1, 2], [2, 3]);
  assert.deepEqual(t.shape, [2, 6]);
  assert.deepEqual(t.values, f32(1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2));
});

Deno.test("maxPoolGrad sends each gradient to the first maximum of its window", () => {
  // 1×2×4×1 input, 2×2 windows, stride 2: windows [1,5|3,5] and [2,0|7,7].
  const x = f32(1, 5, 2, 0, 3, 5, 7, 7);
  const dx = maxPoolGrad(x, f32(10, 20), {
    batchSize: 1,
    inHeight: 2,
    inWidth: 4,
    inChannels: 1,
    outHeight: 1,
    outWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    filterHeight: 2,
    filterWidth: 2,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: 0,
    padLeft: 0,
  });
  assert.deepEqual(dx, f32(0, 10, 0, 0, 0, 0, 20, 0));
});
