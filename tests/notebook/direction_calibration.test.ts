import assert from "node:assert/strict";
import type { Ellipse } from "../../lib/core/types.ts";
import { ellipseToLandmarks, turnLandmarks } from "../../lib/geometry/ellipse.ts";
import { canonicalize } from "../../lib/data/landmark_order.ts";
import {
  applyDirectionCalibration,
  writeDirectionCalibration,
} from "../../lib/inference/direction_calibration.ts";
import type { ImagePrediction } from "../../lib/inference/predictor.ts";
import {
  calibrationEffects,
  calibrationMarkdown,
  calibrationRows,
} from "../../lib/notebook/direction_calibration.ts";
import type { FamilyRun } from "../../lib/notebook/family.ts";
import { tempDir } from "../temp_dir.ts";

const DEG = Math.PI / 180;
const heads: Ellipse[] = [
  { cx: 200, cy: 150, a: 100, b: 70, angle: 10 * DEG },
  { cx: 300, cy: 250, a: 120, b: 90, angle: 150 * DEG },
  { cx: 250, cy: 200, a: 80, b: 60, angle: 60 * DEG },
];
const truths = heads.map(ellipseToLandmarks);
const samples = truths.map((landmarks, i) => ({ id: `${i}.png`, landmarks, pixelSizeMm: 0.1 }));
// The model reads every head 1° anticlockwise of its label; a 1° clockwise offset corrects it.
const cal = { offsetDeg: 1, tiltDeg: 0, imagesUsed: 3, images: 3, maxErrorDeg: 20, fittedOn: {} };

async function runWith(
  calibrated: boolean,
  weightsDir: string,
): Promise<Pick<FamilyRun, "family" | "predictions" | "val" | "weightsDir">> {
  if (calibrated) await writeDirectionCalibration(weightsDir, cal);
  const predictions = heads.map((e, i) => {
    const raw = canonicalize(turnLandmarks(truths[i], { x: e.cx, y: e.cy }, -1 * DEG));
    const ellipse = { ...e, angle: e.angle - 1 * DEG };
    const out = calibrated
      ? { ...applyDirectionCalibration(cal, raw, ellipse), directionTurnDeg: 1 }
      : { landmarks: raw, ellipse };
    return out as unknown as ImagePrediction;
  });
  return {
    family: calibrated ? "calibrated" : "plain",
    predictions,
    val: { samples } as unknown as FamilyRun["val"],
    weightsDir,
  };
}

Deno.test("calibrationEffects: raw answers recovered from the recorded turn, scored both ways", async () => {
  await using withDir = await tempDir("calibration-notebook-");
  await using withoutDir = await tempDir("calibration-notebook-");
  const [with_, without] = await calibrationEffects([
    await runWith(true, withDir.path),
    await runWith(false, withoutDir.path),
  ]);
  // A 1° turn about the centre moves each end by 2 r sin(0.5°): the mean over the four ends is
  // (a + b) sin(0.5°) per head.
  const moved = heads.map((e) => (e.a + e.b) * Math.sin(0.5 * DEG));
  const want = moved.reduce((s, v) => s + v, 0) / heads.length;
  assert.ok(Math.abs(with_.raw.mrePx - want) < 1e-9, `${with_.raw.mrePx} vs ${want}`);
  assert.ok(Math.abs(with_.raw.orderFreePx - want) < 1e-9);
  assert.ok(with_.calibrated.mrePx < 1e-9);
  assert.ok(Math.abs(with_.raw.angleDeg - 1) < 1e-9);
  assert.ok(with_.calibrated.angleDeg < 1e-9);
  // Every end is off by < 2 mm at 0.1 mm/px (largest 1.83 px): SDR 2 mm is 1 both ways.
  assert.equal(with_.raw.sdr2mm, 1);
  assert.deepEqual(with_.calibration, cal);
  // No calibration.json: nothing to undo, the two columns agree.
  assert.equal(without.calibration, null);
  assert.deepEqual(without.raw, without.calibrated);

  const rows = calibrationRows([with_, without]);
  assert.equal(rows[0]["offset °"], 1);
  assert.equal(rows[1]["offset °"], undefined);
  const md = calibrationMarkdown([with_, without]);
  assert.match(md, /lowers the order-free MRE for 1 of 1 models/);
  assert.match(md, /\|angle error\| changes by -1\.00 to -1\.00°/);
  assert.match(calibrationMarkdown([without]), /None of these models has a direction calibration/);
});
