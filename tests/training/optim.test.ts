import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import { AdamW } from "../../lib/training/adamw.ts";
import { clipByGlobalNorm } from "../../lib/training/grad_clip.ts";
import { CosineWarmup, EarlyStopping, ReduceLROnPlateau } from "../../lib/training/schedule.ts";

await tf.setBackend("cpu");

const OPTS = { lr: 0.1, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

function close(actual: ArrayLike<number>, expected: number[], tol: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

for (const fused of [true, false]) {
  const kind = fused ? "fused" : "tensor";

  Deno.test(`AdamW (${kind}) first step matches the hand-computed update`, () => {
    // Step 1: decay p·(1 − 0.1·0.01); m̂ = g, v̂ = g², so the Adam step is lr·sign(g).
    // p = [1, −2] → [0.999 − 0.1, −1.998 − 0.1] = [0.899, −2.098].
    const p = tf.variable(tf.tensor1d([1, -2]));
    const opt = new AdamW([p], OPTS, fused);
    const g = tf.tensor1d([0.5, 0.1]);
    opt.apply([g]);
    close(p.dataSync(), [0.899, -2.098], 1e-6);
    assert.equal(opt.step, 1);
    tf.dispose([p, g]);
    opt.dispose();
  });

  Deno.test(`AdamW (${kind}) three steps match a float64 reference of PyTorch's AdamW`, () => {
    const grads = [[0.5, 0.1, -3], [-0.5, 0.3, 0], [0.2, -0.7, 1e-3]];
    const p0 = [1, -2, 0.25];
    // Reference written element-wise from the paper's algorithm (PyTorch form), independent of the tensor code.
    const ref = [...p0], m = [0, 0, 0], v = [0, 0, 0];
    grads.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 3; i++) {
        ref[i] *= 1 - OPTS.lr * OPTS.weightDecay;
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const mHat = m[i] / (1 - 0.9 ** t), vHat = v[i] / (1 - 0.999 ** t);
        ref[i] -= OPTS.lr * mHat / (Math.sqrt(vHat) + 1e-8);
      }
    });
    const p = tf.variable(tf.tensor1d(p0));
    const opt = new AdamW([p], OPTS, fused);
    for (const g of grads) tf.tidy(() => opt.apply([tf.tensor1d(g)]));
    close(p.dataSync(), ref, 1e-5);
    p.dispose();
    opt.dispose();
  });

  Deno.test(`AdamW (${kind}) state round-trips: a restored optimiser continues identically`, async () => {
    const run = (opt: AdamW, p: tf.Variable, gs: number[][]) => {
      for (const g of gs) tf.tidy(() => opt.apply([tf.tensor1d(g)]));
      return Array.from(p.dataSync());
    };
    const gs = [[0.3, -0.2], [0.1, 0.4], [-0.6, 0.05], [0.2, 0.2]];
    const pa = tf.variable(tf.tensor1d([0.5, 0.5]));
    const a = new AdamW([pa], OPTS, fused);
    const straight = run(a, pa, gs);

    const pb = tf.variable(tf.tensor1d([0.5, 0.5]));
    const b = new AdamW([pb], OPTS, fused);
    run(b, pb, gs.slice(0, 2));
    const state = await b.getState();
    const saved = Array.from(pb.dataSync());
    const pc = tf.variable(tf.tensor1d(saved));
    const c = new AdamW([pc], OPTS, fused);
    c.setState(state);
    assert.deepEqual(run(c, pc, gs.slice(2)), straight);
    assert.throws(
      () => c.setState({ step: 1, m: [new Float32Array(3)], v: [new Float32Array(3)] }),
      /wrong size/,
    );
    for (const x of [a, b, c]) x.dispose();
    tf.dispose([pa, pb, pc]);
  });
  Deno.test(`AdamW (${kind}) clips by global norm before the update`, () => {
    // ‖([3, 4], [12])‖ = 13 > 1: the step must equal an unclipped step on the gradients / 13.
    const run = (grads: number[][], maxNorm: number) => {
      const ps = [tf.variable(tf.tensor1d([1, -1])), tf.variable(tf.tensor1d([0.5]))];
      const opt = new AdamW(ps, OPTS, fused);
      for (let k = 0; k < 2; k++) {
        tf.tidy(() => opt.apply(grads.map((g) => tf.tensor1d(g)), maxNorm));
      }
      const out = ps.map((p) => Array.from(p.dataSync()));
      opt.dispose();
      tf.dispose(ps);
      return out.flat();
    };
    const clipped = run([[3, 4], [12]], 1);
    close(clipped, run([[3 / 13, 4 / 13], [12 / 13]], 0), 1e-6);
    // Gradients already within the norm are left alone.
    close(run([[0.3, 0.4], [0]], 1), run([[0.3, 0.4], [0]], 0), 0);
  });
}

Deno.test("AdamW: the fused and tensor updates agree over many steps", () => {
  const rng = new Rng(3);
  const init = Array.from({ length: 50 }, () => rng.normal());
  const [pa, pb] = [tf.variable(tf.tensor1d(init)), tf.variable(tf.tensor1d(init))];
  const [a, b] = [new AdamW([pa], OPTS, true), new AdamW([pb], OPTS, false)];
  for (let k = 0; k < 20; k++) {
    const g = tf.tensor1d(Array.from({ length: 50 }, () => rng.normal()));
    a.apply([g]);
    b.apply([g]);
    g.dispose();
  }
  close(pa.dataSync(), Array.from(pb.dataSync()), 1e-5);
  for (const x of [a, b]) x.dispose();
  tf.dispose([pa, pb]);
});

Deno.test("clipByGlobalNorm scales to the max norm and leaves small gradients alone", () => {
  // Global norm of [3, 4] and [12] is 13.
  const g = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
  const clipped = clipByGlobalNorm(g, 1);
  close(clipped.norm.dataSync(), [13], 1e-5);
  close(clipped.grads[0].dataSync(), [3 / 13, 4 / 13], 1e-6);
  close(clipped.grads[1].dataSync(), [12 / 13], 1e-6);
  const loose = clipByGlobalNorm(g, 100);
  close(loose.grads[0].dataSync(), [3, 4], 0);
  tf.dispose([...g, ...clipped.grads, clipped.norm, ...loose.grads, loose.norm]);
});

Deno.test("ReduceLROnPlateau halves after patience+1 flat epochs, then again after cooldown-free patience", () => {
  const s = new ReduceLROnPlateau(1e-3, {
    factor: 0.5,
    patience: 10,
    threshold: 1e-4,
    cooldown: 0,
    minLr: 1e-7,
  });
  // epoch 0: 1.0 (best), epochs 1..30 flat at 1.0.
  const lrAfter: number[] = [];
  for (let epoch = 0; epoch <= 30; epoch++) {
    s.endEpoch(1.0);
    lrAfter.push(s.lrAt());
  }
  // Bad epochs 1..11 → the 11th (epoch 11) exceeds patience 10; next reduction 11 epochs later (epoch 22).
  assert.equal(lrAfter.findIndex((lr) => lr < 1e-3), 11);
  assert.equal(lrAfter.findIndex((lr) => lr < 5e-4), 22);
  assert.equal(lrAfter[30], 2.5e-4);
});

Deno.test("ReduceLROnPlateau: an improvement resets the count, a sub-threshold one does not", () => {
  const s = new ReduceLROnPlateau(1, {
    factor: 0.5,
    patience: 2,
    threshold: 0.1,
    cooldown: 0,
    minLr: 0.3,
  });
  // best 1.0; 0.95 is not < 1.0·0.9 (bad 1); 0.85 improves (reset); 0.9, 0.9 bad 1, 2; 0.9 bad 3 > 2 → 0.5.
  const seq = [1.0, 0.95, 0.85, 0.9, 0.9, 0.9];
  const lrs = seq.map((x) => (s.endEpoch(x), s.lrAt()));
  assert.deepEqual(lrs, [1, 1, 1, 1, 1, 0.5]);
  // Floor at minLr: three more bad epochs → max(0.25, 0.3).
  for (let i = 0; i < 3; i++) s.endEpoch(0.9);
  assert.equal(s.lrAt(), 0.3);
  const restored = new ReduceLROnPlateau(1, {
    factor: 0.5,
    patience: 2,
    threshold: 0.1,
    cooldown: 0,
    minLr: 0.3,
  });
  restored.setState(JSON.parse(JSON.stringify(s.getState())));
  assert.deepEqual(restored.getState(), s.getState());
});

Deno.test("EarlyStopping fires `patience` epochs after the last improvement", () => {
  const table: { losses: number[]; patience: number; stopAt: number | null; best: number }[] = [
    // best at epoch 2, patience 25 → stop at the end of epoch 27.
    { losses: [3, 2, 1, ...Array(40).fill(1.5)], patience: 25, stopAt: 27, best: 2 },
    // strictly improving: never stops.
    {
      losses: Array.from({ length: 30 }, (_, i) => 10 - i * 0.1),
      patience: 3,
      stopAt: null,
      best: 29,
    },
    // equal values are not improvements (minDelta 0): best stays at epoch 0, stop at epoch 3.
    { losses: [1, 1, 1, 1, 1], patience: 3, stopAt: 3, best: 0 },
    // patience 0 disables.
    { losses: [1, 2, 3, 4], patience: 0, stopAt: null, best: 0 },
  ];
  for (const { losses, patience, stopAt, best } of table) {
    const es = new EarlyStopping(patience);
    let stopped: number | null = null;
    for (let e = 0; e < losses.length && stopped === null; e++) {
      if (es.update(e, losses[e])) stopped = e;
    }
    assert.equal(stopped, stopAt, JSON.stringify({ patience, losses: losses.slice(0, 5) }));
    assert.equal(es.bestEpochIndex, best);
  }
});

Deno.test("CosineWarmup: linear warm-up, cosine to minLr at the last step", () => {
  const s = new CosineWarmup(1, 0.1, 4, 14, 0.2);
  close([0, 1, 2, 3].map((t) => s.lrAt(t)), [0.2, 0.4, 0.6, 0.8], 1e-12);
  assert.equal(s.lrAt(4), 1);
  // Halfway through the 9-step cosine span (step 8.5) would be 0.55; step 13 is the end.
  close([s.lrAt(13), s.lrAt(20)], [0.1, 0.1], 1e-12);
  const mid = 0.1 + 0.45 * (1 + Math.cos(Math.PI * 4 / 9));
  close([s.lrAt(8)], [mid], 1e-12);
});
