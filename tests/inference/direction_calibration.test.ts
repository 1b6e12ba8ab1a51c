import assert from "node:assert/strict";
import { join } from "node:path";
import type { Ellipse, Landmarks } from "../../lib/core/types.ts";
import { InputError } from "../../lib/core/errors.ts";
import { Rng } from "../../lib/core/rng.ts";
import { isCanonical } from "../../lib/data/landmark_order.ts";
import { ellipseToLandmarks, landmarksToEllipse } from "../../lib/geometry/ellipse.ts";
import { measuresFromLandmarks } from "../../lib/geometry/measures.ts";
import { ofdDirection } from "../../lib/metrics/ellipse_errors.ts";
import {
  applyDirectionCalibration,
  axisDifference,
  CALIBRATION_FILE,
  calibrationTurn,
  cardWithCalibration,
  type DirectionCalibration,
  fitDirectionCalibration,
  readDirectionCalibration,
  writeDirectionCalibration,
} from "../../lib/inference/direction_calibration.ts";
import { tempDir } from "../temp_dir.ts";

const DEG = Math.PI / 180;
const cal = (offsetDeg: number, tiltDeg: number): DirectionCalibration => ({
  offsetDeg,
  tiltDeg,
  imagesUsed: 0,
  images: 0,
  maxErrorDeg: 20,
  fittedOn: {},
});

Deno.test("axisDifference: signed, the short way round an axis (mod 180°)", () => {
  const cases: [number, number, number][] = [
    // a, b (degrees) → b − a in (−90, 90]
    [10, 12, 2],
    [12, 10, -2],
    [179, 1, 2],
    [1, 179, -2],
    [0, 180, 0],
    [-89, 89, -2],
    [0, 90, 90],
    [30, 200, -10],
  ];
  for (const [a, b, want] of cases) {
    assert.ok(Math.abs(axisDifference(a * DEG, b * DEG) / DEG - want) < 1e-9, `${a} → ${b}`);
  }
});

Deno.test("calibrationTurn: offset + tilt · sin 2θ, the same for an axis listed either way", () => {
  const c = cal(0.8, 4);
  // Hand-computed: horizontal 0.8°, 45° 4.8°, 135° (= −45°) −3.2°, vertical 0.8°.
  for (const [thetaDeg, want] of [[0, 0.8], [45, 4.8], [135, -3.2], [-45, -3.2], [90, 0.8]]) {
    assert.ok(Math.abs(calibrationTurn(c, thetaDeg * DEG) / DEG - want) < 1e-9, `${thetaDeg}°`);
    assert.ok(
      Math.abs(calibrationTurn(c, (thetaDeg + 180) * DEG) / DEG - want) < 1e-9,
      `${thetaDeg}° + 180°`,
    );
  }
  // Continuous through the vertical, where the order convention flips.
  const eps = 1e-6;
  assert.ok(
    Math.abs(calibrationTurn(c, Math.PI / 2 - eps) - calibrationTurn(c, Math.PI / 2 + eps)) < 1e-5,
  );
});

Deno.test("fitDirectionCalibration recovers a known offset and tilt; wrong-way heads are left out", () => {
  const rng = new Rng(7);
  const pairs = [];
  for (let i = 0; i < 400; i++) {
    const predicted = rng.uniform(0, Math.PI);
    const labelled = predicted + (0.9 + 3.5 * Math.sin(2 * predicted)) * DEG +
      rng.normal() * 2 * DEG;
    pairs.push({ predicted, labelled });
  }
  // Ten heads read about 60° off: outside the default 20°, they must not pull the fit.
  for (let i = 0; i < 10; i++) pairs.push({ predicted: 0.1 * i, labelled: 0.1 * i + 60 * DEG });
  const c = fitDirectionCalibration(pairs, { fittedOn: { model: "m" } });
  assert.equal(c.images, 410);
  assert.ok(c.imagesUsed >= 398 && c.imagesUsed <= 400, `${c.imagesUsed}`);
  assert.ok(Math.abs(c.offsetDeg - 0.9) < 0.2, `offset ${c.offsetDeg}`);
  assert.ok(Math.abs(c.tiltDeg - 3.5) < 0.3, `tilt ${c.tiltDeg}`);
  assert.deepEqual(c.fittedOn, { model: "m" });
  // Labels listed the other way round (θ + π) are the same axes: the same fit.
  const flipped = fitDirectionCalibration(
    pairs.map((p) => ({ predicted: p.predicted + Math.PI, labelled: p.labelled - Math.PI })),
  );
  assert.ok(Math.abs(flipped.offsetDeg - c.offsetDeg) < 1e-9);
  assert.ok(Math.abs(flipped.tiltDeg - c.tiltDeg) < 1e-9);
});

Deno.test("fitDirectionCalibration refuses too few heads, or heads all at one tilt", () => {
  const few = Array.from({ length: 9 }, (_, i) => ({ predicted: 0.2 * i, labelled: 0.2 * i }));
  assert.throws(() => fitDirectionCalibration(few), InputError);
  const oneTilt = Array.from({ length: 30 }, () => ({ predicted: 0.3, labelled: 0.31 }));
  assert.throws(() => fitDirectionCalibration(oneTilt), /different tilts/);
  // Thirty heads within ±1° of the horizontal: sin 2θ spreads by about 0.02 (uniform on ±0.035:
  // 0.035 / √3), too little to tell a tilt from noise.
  const nearOneTilt = Array.from({ length: 30 }, (_, i) => {
    const theta = (i / 29 - 0.5) * 2 * DEG;
    return { predicted: theta, labelled: theta };
  });
  assert.throws(() => fitDirectionCalibration(nearOneTilt), /spread 0\.02\d is below 0\.05/);
  const offBy30 = Array.from({ length: 30 }, (_, i) => ({
    predicted: 0.1 * i,
    labelled: 0.1 * i + 30 * DEG,
  }));
  assert.throws(() => fitDirectionCalibration(offBy30), /got 0 of 30/);
  assert.equal(fitDirectionCalibration(offBy30, { maxErrorDeg: 45 }).imagesUsed, 30);
});

Deno.test("applyDirectionCalibration turns points and ellipse about the centre, sizes kept", () => {
  const cases: Ellipse[] = [
    { cx: 300, cy: 200, a: 150, b: 120, angle: 20 * DEG },
    { cx: 50, cy: 60, a: 40, b: 38, angle: 89.5 * DEG }, // the turn crosses the vertical
    { cx: 10, cy: 10, a: 9, b: 5, angle: 0 },
  ];
  const c = cal(1, 3);
  for (const e of cases) {
    const l = ellipseToLandmarks(e);
    const out = applyDirectionCalibration(c, l, e);
    const turn = calibrationTurn(c, e.angle);
    assert.ok(Math.abs(out.turnDeg - turn / DEG) < 1e-9, `${out.turnDeg} vs ${turn / DEG}`);
    assert.ok(isCanonical(out.landmarks));
    assert.ok(Math.abs(axisDifference(e.angle, out.ellipse.angle) - turn) < 1e-12);
    assert.equal(out.ellipse.cx, e.cx);
    assert.equal(out.ellipse.a, e.a);
    // The points are the turned ellipse's axis ends, and span it.
    const ends = ellipseToLandmarks(out.ellipse);
    out.landmarks.forEach((p, k) => {
      assert.ok(Math.hypot(p.x - ends[k].x, p.y - ends[k].y) < 1e-9, `${e.angle} point ${k}`);
    });
    assert.ok(Math.abs(axisDifference(ofdDirection(out.landmarks), out.ellipse.angle)) < 1e-9);
    const before = measuresFromLandmarks(l, 0.1), after = measuresFromLandmarks(out.landmarks, 0.1);
    assert.ok(Math.abs(before.hcMm - after.hcMm) < 1e-9);
    assert.ok(Math.abs(before.ofdMm - after.ofdMm) < 1e-9);
    const spanned = landmarksToEllipse(out.landmarks);
    assert.ok(Math.abs(spanned.cx - e.cx) < 1e-9 && Math.abs(spanned.cy - e.cy) < 1e-9);
  }
  // No calibration turn, nothing moves.
  const e = cases[0];
  const same = applyDirectionCalibration(cal(0, 0), ellipseToLandmarks(e), e);
  assert.deepEqual(same.ellipse, e);
  assert.equal(same.turnDeg, 0);
});

Deno.test("applyDirectionCalibration reads θ off the OFD points, also where the BPD came out longer", () => {
  // A landmark model's answer: OFD 99 px long at 30°, BPD 101 px at 120°. Its ellipse's a axis
  // (landmarksToEllipse) is then the BPD, at 120°.
  const end = (deg: number, half: number) => ({
    x: 200 + half * Math.cos(deg * DEG),
    y: 150 + half * Math.sin(deg * DEG),
  });
  const l: Landmarks = [end(210, 49.5), end(30, 49.5), end(300, 50.5), end(120, 50.5)];
  const e = landmarksToEllipse(l);
  assert.ok(Math.abs(axisDifference(e.angle, 120 * DEG)) < 1e-9, "the ellipse follows the BPD");
  const out = applyDirectionCalibration(cal(0.9, 4), l, e);
  // Hand-computed: 0.9 + 4 sin 60° = 4.3641°; read at 120° it would be 0.9 − 3.4641 = −2.5641°.
  assert.ok(Math.abs(out.turnDeg - 4.3641) < 1e-4, `${out.turnDeg}`);
  const ofdAfter = ofdDirection(out.landmarks);
  assert.ok(Math.abs(axisDifference(30 * DEG, ofdAfter) / DEG - 4.3641) < 1e-4, `${ofdAfter}`);
});

Deno.test("calibration.json: written atomically and read back; absent → null; bad → names the file", async () => {
  await using temp = await tempDir("calibration-");
  const dir = temp.path;
  assert.equal(await readDirectionCalibration(dir), null);
  const c = { ...cal(0.86, 4.22), imagesUsed: 637, images: 639, fittedOn: { split: "train" } };
  await writeDirectionCalibration(dir, c);
  assert.deepEqual(await readDirectionCalibration(dir), c);
  assert.deepEqual([...Deno.readDirSync(dir)].map((f) => f.name), [CALIBRATION_FILE]);
  const path = join(dir, CALIBRATION_FILE);
  await Deno.writeTextFile(path, "{ not json");
  await assert.rejects(readDirectionCalibration(dir), (e: Error) => e.message.includes(path));
  await Deno.writeTextFile(path, JSON.stringify({ offsetDeg: 1 }));
  await assert.rejects(readDirectionCalibration(dir), /offsetDeg and tiltDeg/);
  // Present but not a readable file: said so, not "not valid JSON".
  await Deno.remove(path);
  await Deno.mkdir(path);
  await assert.rejects(
    readDirectionCalibration(dir),
    (e: Error) =>
      e instanceof InputError && e.message.startsWith(`${path}: cannot read calibration`),
  );
});

Deno.test("cardWithCalibration: adds the section once, replaces it in place, keeps the rest", () => {
  const c = {
    ...cal(0.86, -4.22),
    imagesUsed: 637,
    images: 639,
    fittedOn: {
      model: "unet",
      refine: "unet-fine",
      createdAt: "2026-12-02T13:40:00Z",
      git: { commit: "0123456789abcdef" },
    },
  };
  const card = "# model\n\n## Metrics\n\n| a | b |\n\n## Notes\n\nShipped.\n";
  const once = cardWithCalibration(card, c);
  assert.ok(once.startsWith(card), "the card is kept as it was");
  assert.match(once, /\n## Direction calibration\n\n- turn = 0\.86° − 4\.22° · sin 2θ/);
  assert.match(
    once,
    /by `deno task calibrate --model unet --refine unet-fine`, 2026-12-02T13:40:00Z \(git 0123456789\)/,
  );
  assert.match(once, /637 of 639 training images \(\|error\| ≤ 20°\)/);
  // Again with another fit: one section, the new numbers.
  const twice = cardWithCalibration(once, { ...c, offsetDeg: 0.5, tiltDeg: 1 });
  assert.equal(twice.split("## Direction calibration").length, 2);
  assert.match(twice, /turn = 0\.50° \+ 1\.00°/);
  // A section in the middle is replaced where it stands; what follows it stays.
  const middle = "# m\n\n## Direction calibration\n\nold\n\n## Notes\n\nShipped.\n";
  const replaced = cardWithCalibration(middle, c);
  assert.ok(!replaced.includes("old"));
  assert.ok(replaced.endsWith("## Notes\n\nShipped.\n"));
});
