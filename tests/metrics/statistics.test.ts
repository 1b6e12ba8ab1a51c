import assert from "node:assert/strict";
import { Rng } from "../../lib/core/rng.ts";
import {
  averageRanks,
  bootstrapCi,
  normalSf,
  signedRankCounts,
  spearman,
  wilcoxonSignedRank,
} from "../../lib/metrics/statistics.ts";

const close = (a: number, b: number, rel = 1e-10) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300), `${a} vs ${b}`);

Deno.test("average ranks share ties; exact null counts of {1,2,3}", () => {
  assert.deepEqual(averageRanks([3, 1, 4, 1, 5]), [3, 1.5, 4, 1.5, 5]);
  assert.deepEqual([...signedRankCounts(3)], [1, 1, 1, 2, 1, 1, 1]);
  assert.equal(signedRankCounts(10).reduce((s, c) => s + c, 0), 1024);
});

// Expected values computed with scipy 1.10.1 (Debian python3-scipy), e.g.
// scipy.stats.norm.sf(2.5) and scipy.stats.wilcoxon(d, method="exact", alternative=...).
Deno.test("normalSf matches scipy.stats.norm.sf in the body and the tails", () => {
  const cases: [number, number][] = [
    [0.5, 0.3085375387259869],
    [2.5, 0.006209665325776132],
    [2.999, 0.0013543365337271057],
    [3.0, 0.0013498980316300933],
    [3.5, 0.00023262907903552502],
    [8.0, 6.22096057427174e-16],
    [-1.2, 0.8849303297782918],
  ];
  for (const [x, want] of cases) close(normalSf(x), want, 1e-9);
});

Deno.test("exact p-values for small n without ties match scipy", () => {
  const d = [1.5, -2.1, 3.3, 4.7, -0.4, 5.9, 6.2, -7.8, 8.1, 9.6];
  const zeros = d.map(() => 0);
  const cases: ["two-sided" | "greater" | "less", number, number][] = [
    ["two-sided", 12, 0.130859375],
    ["greater", 43, 0.0654296875],
    ["less", 43, 0.947265625],
  ];
  for (const [alt, stat, p] of cases) {
    const r = wilcoxonSignedRank(d, zeros, alt);
    assert.equal(r.method, "exact");
    assert.equal(r.statistic, stat);
    close(r.pValue, p);
  }
});

Deno.test("published two-sided 5 % critical values: n = 10 → T ≤ 8, n = 20 → T ≤ 52", () => {
  // d = ±(1..n) with the ranks in `negative` made negative, so W− is their sum.
  const withNegatives = (n: number, negative: number[]) =>
    Array.from({ length: n }, (_, i) => (negative.includes(i + 1) ? -(i + 1) : i + 1));
  const cases: [number, number[], number][] = [
    [10, [8], 0.048828125],
    [10, [9], 0.064453125],
    [20, [20, 19, 13], 0.04844093322753906],
    [20, [20, 19, 14], 0.05316925048828125],
  ];
  for (const [n, neg, p] of cases) {
    const d = withNegatives(n, neg);
    const r = wilcoxonSignedRank(d, d.map(() => 0));
    close(r.pValue, p);
    assert.equal(r.pValue <= 0.05, neg.reduce((s, k) => s + k, 0) <= (n === 10 ? 8 : 52));
  }
});

Deno.test("zeros dropped and ties → normal approximation with corrections, as scipy (correction=True)", () => {
  // The paired example of the Wikipedia article: one zero difference, tied |differences|.
  const x = [125, 115, 130, 140, 140, 115, 140, 125, 140, 135];
  const y = [110, 122, 125, 120, 140, 124, 123, 137, 135, 145];
  const cases: ["two-sided" | "greater" | "less", number, number][] = [
    ["two-sided", 18, 0.6352893188352069],
    ["greater", 27, 0.31764465941760345],
    ["less", 27, 0.7233656428900035],
  ];
  for (const [alt, stat, p] of cases) {
    const r = wilcoxonSignedRank(x, y, alt);
    assert.equal(r.method, "approx");
    assert.equal(r.n, 9);
    assert.equal(r.statistic, stat);
    close(r.pValue, p, 1e-9);
  }
});

Deno.test("zeros dropped without ties → normal approximation, as R and scipy (correction=True)", () => {
  // 15 distinct |d| (ranks 1..15), W+ = 1+2+3+4+8 = 18, and 5 zero differences: σ = √(15·16·31/24)
  // = 17.607, z = (18 − 60 + 0.5)/σ = −2.357; scipy.stats.wilcoxon(d, correction=True) agrees.
  const d = [1, 2, 3, 4, -5, -6, -7, 8, -9, -10, -11, -12, -13, -14, -15, 0, 0, 0, 0, 0];
  const cases: ["two-sided" | "greater" | "less", number][] = [
    ["two-sided", 0.01842118248582119],
    ["less", 0.009210591242910595],
    ["greater", 0.9921072560076378],
  ];
  for (const [alt, p] of cases) {
    const r = wilcoxonSignedRank(d, d.map(() => 0), alt);
    assert.equal(r.method, "approx");
    assert.equal(r.n, 15);
    close(r.pValue, p, 1e-9);
  }
});

Deno.test("n ≥ 50 uses the normal approximation (scipy approx, correction=True)", () => {
  // numpy.random.default_rng(0).normal(0.3, 1, 60) rounded to 3 decimals, against zeros.
  const a = [
    0.426,
    0.168,
    0.94,
    0.405,
    -0.236,
    0.662,
    1.604,
    1.247,
    -0.404,
    -0.965,
    -0.323,
    0.341,
    -2.025,
    0.081,
    -0.946,
    -0.432,
    -0.244,
    -0.016,
    0.712,
    1.343,
    0.171,
    1.666,
    -0.365,
    0.652,
    1.203,
    0.394,
    -0.443,
    -0.622,
    -0.158,
    0.52,
    -0.71,
    0.091,
    0.141,
    0.841,
    0.515,
    0.655,
    -0.354,
    0.17,
    1.084,
    1.793,
    -0.959,
    1.814,
    1.646,
    1.081,
    0.564,
    -0.014,
    1.758,
    2.26,
    2.102,
    1.615,
    0.657,
    -0.908,
    0.296,
    0.956,
    -0.988,
    0.695,
    0.73,
    0.996,
    -0.884,
    -0.362,
  ];
  const b = a.map(() => 0);
  const cases: ["two-sided" | "greater" | "less", number, number][] = [
    ["two-sided", 517, 0.0034308924519063488],
    ["greater", 1313, 0.0017154462259531744],
    ["less", 1313, 0.9983247149939962],
  ];
  for (const [alt, stat, p] of cases) {
    const r = wilcoxonSignedRank(a, b, alt);
    assert.equal(r.method, "approx");
    assert.equal(r.statistic, stat);
    close(r.pValue, p, 1e-9);
  }
});

Deno.test("edge cases: identical samples give no test; all positive n = 8 gives 2/256", () => {
  const r = wilcoxonSignedRank([1, 2, 3], [1, 2, 3]);
  assert.equal(r.n, 0);
  assert.ok(Number.isNaN(r.pValue));
  const pos = wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(pos.pValue, 2 / 256);
  assert.equal(
    wilcoxonSignedRank([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 0], "greater").pValue,
    1 / 256,
  );
  assert.throws(() => wilcoxonSignedRank([1], [1, 2]), RangeError);
});

Deno.test("bootstrap CI: seeded, reproducible, brackets the mean; constant data give a point", () => {
  const rng = new Rng(11);
  const values = Array.from({ length: 40 }, () => rng.normal(10, 3));
  const a = bootstrapCi(values, { rng: new Rng(5), resamples: 500 });
  const b = bootstrapCi(values, { rng: new Rng(5), resamples: 500 });
  assert.deepEqual(a, b);
  const m = values.reduce((s, v) => s + v, 0) / values.length;
  assert.equal(a.estimate, m);
  assert.ok(a.lower < m && m < a.upper);
  // Roughly ±1.96·σ/√n = ±0.93 wide on each side; loose bounds, it is a random interval.
  assert.ok(a.upper - a.lower > 1 && a.upper - a.lower < 3, `${a.lower}..${a.upper}`);
  assert.deepEqual(bootstrapCi([4, 4, 4], { rng: new Rng(1), resamples: 50 }), {
    estimate: 4,
    lower: 4,
    upper: 4,
    level: 0.95,
  });
  assert.ok(Number.isNaN(bootstrapCi([], { rng: new Rng(1) }).estimate));
});

// [name, x, y, ρ]; the tied case is scipy.stats.spearmanr's value (41/55), the first by hand:
// rank differences ±1, ±1, 0 → 1 − 6·4 / (5·24) = 0.8.
const SPEARMAN_CASES: [string, number[], number[], number][] = [
  ["two swaps", [1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8],
  ["ties on both sides", [3.1, -2, 0.5, 0.5, 7, 1.2, -4], [1, 1, 2, 0, 5, 3, -1], 41 / 55],
  ["reversed order", [10, 20, 30, 40], [4, 3, 2, 1], -1],
  ["monotone but not linear", [1, 2, 3, 4], [1, 10, 100, 1000], 1],
  ["NaN pairs dropped", [1, NaN, 2, 3], [5, 0, 6, 7], 1],
  ["constant side", [1, 2, 3], [4, 4, 4], NaN],
  ["one pair", [1], [2], NaN],
];
for (const [name, x, y, rho] of SPEARMAN_CASES) {
  Deno.test(`spearman: ${name}`, () => {
    const r = spearman(x, y);
    if (Number.isNaN(rho)) assert.ok(Number.isNaN(r), `${r}, expected NaN`);
    else assert.ok(Math.abs(r - rho) < 1e-12, `${r}, expected ${rho}`);
  });
}

Deno.test("spearman: unequal lengths are an error", () => {
  assert.throws(() => spearman([1, 2], [1]), RangeError);
});
