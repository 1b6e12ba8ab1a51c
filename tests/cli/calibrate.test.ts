import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../lib/cli/calibrate.ts";
import { main as score } from "../../lib/cli/score.ts";
import { InputError } from "../../lib/core/errors.ts";
import { exists } from "../../lib/core/fs.ts";
import { loadDataset, loadSample } from "../../lib/data/dataset.ts";
import {
  axisDifference,
  CALIBRATION_FILE,
  calibrationTurn,
  type DirectionCalibration,
  uncalibratedLandmarks,
} from "../../lib/inference/direction_calibration.ts";
import { Predictor } from "../../lib/inference/predictor.ts";
import { ofdDirection } from "../../lib/metrics/ellipse_errors.ts";
import { splitRecords } from "../../lib/training/run.ts";
import { tinyRun } from "../inference/helpers.ts";
import { removeAfterAll } from "../temp_dir.ts";

// 16 phantoms, 12 of them training images: enough heads for a fit.
const run = await tinyRun("quick", {}, 16);
removeAfterAll(run.root);
const { dataDir } = run;
const best = join(run.outcome.checkpointDir, "best");
const calibrationPath = join(best, CALIBRATION_FILE);

Deno.test("calibrate CLI: fits on the training images only and writes beside the weights", async () => {
  // A two-step model reads directions anywhere: keep every head (90°) so the fit has enough.
  const args = ["--model", run.outcome.checkpointDir, "--max-error-deg", "90", "--backend", "cpu"];
  assert.equal(await main([...args, "--dry-run"]), 0);
  assert.equal(await exists(calibrationPath), false, "--dry-run writes nothing");

  // A folder with a model card (as shipped ones have) gets the fit written into it too.
  const card = join(best, "model_card.md");
  await Deno.writeTextFile(card, "# tiny\n\n## Notes\n\nShipped.\n");
  assert.equal(await main(args), 0);
  const cal = JSON.parse(await Deno.readTextFile(calibrationPath)) as DirectionCalibration;
  const written = await Deno.readTextFile(card);
  assert.ok(written.startsWith("# tiny\n\n## Notes\n\nShipped.\n"));
  assert.match(
    written,
    /## Direction calibration\n\n- turn = -?\d+\.\d\d° [+−] \d+\.\d\d° · sin 2θ/,
  );
  assert.ok(written.includes(`fitted on ${cal.imagesUsed} of ${cal.images} training images`));
  const { train, val } = splitRecords(await loadDataset(dataDir), run.outcome.config);
  assert.equal(val.length, 4);
  assert.equal(cal.images, train.length);
  assert.equal(cal.imagesUsed, train.length);
  assert.equal(cal.maxErrorDeg, 90);
  assert.ok(Number.isFinite(cal.offsetDeg) && Number.isFinite(cal.tiltDeg));
  assert.equal(cal.fittedOn.split, "train");
  assert.equal(cal.fittedOn.command, "calibrate");

  // The predictor applies it last, and says by how much; calibrate: false gives the raw answer.
  const raw = await Predictor.load(run.outcome.checkpointDir, { calibrate: false });
  const calibrated = await Predictor.load(run.outcome.checkpointDir);
  try {
    assert.equal(raw.calibration, null);
    assert.deepEqual(calibrated.calibration, cal);
    const samples = await Promise.all(val.map(loadSample));
    const [a, b] = await Promise.all([raw.predict(samples), calibrated.predict(samples)]);
    a.forEach((p, i) => {
      const q = b[i];
      // Read at the raw answer's OFD direction (its ellipse's a axis may be its BPD).
      const turn = calibrationTurn(cal, ofdDirection(p.landmarks));
      assert.ok(Math.abs((q.directionTurnDeg ?? NaN) - (turn * 180) / Math.PI) < 1e-9);
      assert.equal(p.directionTurnDeg, undefined);
      // Turned about the same centre by `turn`: same centre, same sizes, same HC.
      assert.ok(Math.abs(q.ellipse.cx - p.ellipse.cx) < 1e-6);
      assert.ok(Math.abs(q.ellipse.a - p.ellipse.a) < 1e-6);
      assert.ok(Math.abs(q.measures!.hcMm - p.measures!.hcMm) < 1e-6);
      const d = axisDifference(p.ellipse.angle, q.ellipse.angle) - turn;
      assert.ok(Math.abs(d) < 1e-6, `image ${i}: angle ${p.ellipse.angle} → ${q.ellipse.angle}`);
      // Turned back, the raw answer (what notebook 07's calibration table compares with).
      uncalibratedLandmarks(q).forEach((pt, k) => {
        assert.ok(Math.hypot(pt.x - p.landmarks[k].x, pt.y - p.landmarks[k].y) < 1e-6, `${i} ${k}`);
      });
    });
  } finally {
    raw.dispose();
    calibrated.dispose();
  }
});

Deno.test("score CLI: --no-calibration scores the raw answers, and says which it scored", async () => {
  assert.ok(await exists(calibrationPath), "the first test wrote a calibration");
  const scoreOf = async (extra: string[]) => {
    const out = join(run.root, `score-${crypto.randomUUID()}.json`);
    assert.equal(await score(["--model", run.outcome.checkpointDir, "--out", out, ...extra]), 0);
    return JSON.parse(await Deno.readTextFile(out)) as {
      calibration: boolean;
      metrics: { mre_px: number; hc_abs_mm: number };
    };
  };
  const [calibrated, raw] = [await scoreOf([]), await scoreOf(["--no-calibration"])];
  assert.equal(calibrated.calibration, true);
  assert.equal(raw.calibration, false);
  assert.notEqual(calibrated.metrics.mre_px, raw.metrics.mre_px);
  assert.ok(
    Math.abs(calibrated.metrics.hc_abs_mm - raw.metrics.hc_abs_mm) < 1e-9,
    "a turn keeps HC",
  );
});

Deno.test("calibrate CLI: too few heads within the limit is a clear error, nothing written", async () => {
  await Deno.remove(calibrationPath).catch(() => {});
  const args = [
    "--model",
    run.outcome.checkpointDir,
    "--max-error-deg",
    "0.001",
    "--backend",
    "cpu",
  ];
  await assert.rejects(
    main(args),
    (e: Error) => e instanceof InputError && /at least 10/.test(e.message),
  );
  assert.equal(await exists(calibrationPath), false);
  await assert.rejects(
    main(["--model", run.outcome.checkpointDir, "--max-error-deg", "x"]),
    /--max-error-deg/,
  );
});
