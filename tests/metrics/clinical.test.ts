import assert from "node:assert/strict";
import {
  ClinicalAccumulator,
  clinicalErrors,
  hadlockGaFromBpd,
  hadlockGaFromHc,
} from "../../lib/metrics/clinical.ts";

const close = (a: number, b: number, tol = 1e-9) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("Hadlock 1984 GA by hand: HC in cm → 8.96 + 0.540·HC + 0.0003·HC³", () => {
  close(hadlockGaFromHc(100), 8.96 + 5.4 + 0.3); // 14.66 weeks
  close(hadlockGaFromHc(300), 8.96 + 16.2 + 8.1); // 33.26 weeks
  close(hadlockGaFromHc(0), 8.96);
});

Deno.test("Hadlock 1984 GA by hand: BPD in cm → 9.54 + 1.482·BPD + 0.1676·BPD²", () => {
  close(hadlockGaFromBpd(50), 9.54 + 7.41 + 4.19); // 21.14 weeks
  close(hadlockGaFromBpd(90), 9.54 + 13.338 + 13.5756); // 36.4536 weeks
});

Deno.test("clinical errors: absolute mm differences and GA error in days", () => {
  const truth = { ofdMm: 100, bpdMm: 80, hcMm: 300 };
  const pred = { ofdMm: 95, bpdMm: 82, hcMm: 310 };
  const e = clinicalErrors(pred, truth);
  close(e.ofdMm, 5);
  close(e.bpdMm, 2);
  close(e.hcMm, 10);
  // 0.540·(31 − 30) + 0.0003·(31³ − 30³) = 0.54 + 0.8373 weeks.
  close(e.gaHcDays, 7 * (0.54 + 0.0003 * (29791 - 27000)));
  close(e.gaBpdDays, 7 * (1.482 * 0.2 + 0.1676 * (8.2 ** 2 - 64)));
  assert.deepEqual(clinicalErrors(truth, truth), {
    ofdMm: 0,
    bpdMm: 0,
    hcMm: 0,
    gaHcDays: 0,
    gaBpdDays: 0,
  });
});

Deno.test("accumulator summarises each error", () => {
  const acc = new ClinicalAccumulator();
  acc.add("a", { ofdMm: 1, bpdMm: 1, hcMm: 101 }, { ofdMm: 1, bpdMm: 1, hcMm: 100 });
  acc.add("b", { ofdMm: 1, bpdMm: 1, hcMm: 97 }, { ofdMm: 1, bpdMm: 1, hcMm: 100 });
  const r = acc.result();
  assert.equal(r.nImages, 2);
  close(r.hcMm.mean, 2);
  close(r.hcMm.median, 2);
  assert.equal(r.ofdMm.max, 0);
});
