/** The buffer pool recycles only arrays nobody else can still see. */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { BufferPool, defaultPoolBytes } from "../../lib/backend/buffer_pool.ts";
import { backendUnderTest } from "./helpers.ts";

const N = 1 << 15; // above the pooling threshold

Deno.test("a released array is handed out again; a pinned or shared one is not", () => {
  const pool = new BufferPool();
  const a = pool.alloc(N);
  pool.adopt(a);
  pool.release(a);
  assert.equal(pool.alloc(N), a, "recycled");

  const b = pool.alloc(N);
  pool.adopt(b);
  pool.pin(b); // e.g. returned by dataSync
  pool.release(b);
  assert.notEqual(pool.alloc(N), b);

  const c = pool.alloc(N);
  pool.adopt(c);
  pool.adopt(c); // two data ids hold the same array
  pool.release(c);
  assert.notEqual(pool.alloc(N), c, "still held once");
  pool.release(c);
  assert.equal(pool.alloc(N), c);

  const d = pool.alloc(N);
  pool.adopt(d.subarray(0, 10)); // a view: the buffer is pinned for good
  pool.adopt(d);
  pool.release(d);
  assert.notEqual(pool.alloc(N), d);
});

Deno.test("arrays the pool did not allocate, and small ones, are never pooled", () => {
  const pool = new BufferPool();
  const mine = new Float32Array(N);
  pool.adopt(mine);
  pool.release(mine);
  assert.equal(pool.pooledBytes, 0);
  const small = pool.alloc(8);
  pool.adopt(small);
  pool.release(small);
  assert.equal(pool.pooledBytes, 0);
});

Deno.test("allocZeroed clears a recycled array; the free list is capped", () => {
  const pool = new BufferPool(4 * N);
  const a = pool.alloc(N).fill(7);
  pool.adopt(a);
  pool.release(a);
  assert.ok(pool.allocZeroed(N).every((v) => v === 0));
  const b = pool.alloc(2 * N);
  pool.adopt(b);
  pool.release(b); // 8N bytes > cap of 4N bytes
  assert.equal(pool.pooledBytes, 0);
});

Deno.test("through tfjs: data read out by dataSync survives later ops", async () => {
  const { name } = await backendUnderTest();
  const x = tf.linspace(-1, 1, N);
  const y = tf.relu(x);
  const read = y.dataSync();
  const copy = read.slice();
  y.dispose();
  const others = [tf.relu(tf.neg(x)), tf.relu(tf.neg(x)), tf.relu(tf.neg(x))];
  assert.deepEqual(read, copy, `${name}: dataSync result changed after dispose`);
  tf.dispose([x, ...others]);
});

Deno.test("through tfjs: a slice outlives the tensor it was cut from", async () => {
  const { name } = await backendUnderTest();
  const x = tf.linspace(-1, 1, N);
  const y = tf.relu(x);
  const half = tf.stridedSlice(y, [N / 2], [N], [1]); // tfjs's cpu slice returns a view
  y.dispose();
  const others = [tf.neg(x), tf.neg(x), tf.neg(x)]; // would reuse y's array if it were recycled
  const want = tf.tidy(() => tf.relu(tf.linspace(-1, 1, N)).dataSync().slice(N / 2));
  assert.deepEqual(
    half.dataSync(),
    want,
    `${name}: the slice changed after its source was disposed`,
  );
  tf.dispose([x, half, ...others]);
});

Deno.test("the default cap is a quarter of the memory, at least 768 MiB; BIOMETRY_POOL_MB overrides it", () => {
  const saved = Deno.env.get("BIOMETRY_POOL_MB");
  try {
    Deno.env.delete("BIOMETRY_POOL_MB");
    const quarter = Math.floor(Deno.systemMemoryInfo().total / 4);
    assert.equal(defaultPoolBytes(), Math.max(768 * 2 ** 20, quarter));
    assert.equal(new BufferPool().maxFreeBytes, defaultPoolBytes());
    Deno.env.set("BIOMETRY_POOL_MB", "100");
    assert.equal(defaultPoolBytes(), 100 * 2 ** 20);
    Deno.env.set("BIOMETRY_POOL_MB", "lots");
    assert.throws(() => defaultPoolBytes(), /BIOMETRY_POOL_MB.*lots|pool size/);
  } finally {
    if (saved === undefined) Deno.env.delete("BIOMETRY_POOL_MB");
    else Deno.env.set("BIOMETRY_POOL_MB", saved);
  }
});
