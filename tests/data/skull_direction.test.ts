import assert from "node:assert/strict";
import type { Ellipse, GrayImage } from "../../lib/core/types.ts";
import { skullDirection } from "../../lib/data/skull_direction.ts";
import { skullImage } from "./skull_image.ts";

const DEG = Math.PI / 180;

const SKULL: Ellipse = { cx: 160, cy: 120, a: 100, b: 72, angle: 20 * DEG };

Deno.test("skullDirection: the turn that puts a mis-drawn ellipse back on the band", () => {
  const image = skullImage(SKULL);
  // label drawn δ off the skull → the best turn is −δ (steps of 0.25°, so within half a step)
  for (const offDeg of [-7, -2.5, 0, 4, 11.75]) {
    const label = { ...SKULL, angle: SKULL.angle + offDeg * DEG };
    const { turnDeg, gain } = skullDirection(image, label);
    assert.ok(Math.abs(turnDeg + offDeg) <= 0.25, `off ${offDeg}°: turn ${turnDeg}°`);
    if (offDeg === 0) assert.equal(gain, 0);
    else assert.ok(gain > 0.01, `off ${offDeg}°: gain ${gain}`);
  }
});

Deno.test("skullDirection: speckle does not move the answer on an elongated head", () => {
  const image = skullImage(SKULL, 120, 7);
  const { turnDeg } = skullDirection(image, { ...SKULL, angle: SKULL.angle - 5 * DEG });
  assert.ok(Math.abs(turnDeg - 5) <= 0.75, `turn ${turnDeg}°`);
});

Deno.test("skullDirection: a circle has no direction: every turn scores alike", () => {
  const circle = { ...SKULL, a: 80, b: 80 };
  const image = skullImage(circle);
  const { gain } = skullDirection(image, { ...circle, angle: 1.1 });
  assert.ok(gain >= 0 && gain < 1e-3, `gain ${gain}`);
  // while the same turn of the elongated head gains over a third
  assert.ok(
    skullDirection(skullImage(SKULL), { ...SKULL, angle: SKULL.angle + 10 * DEG }).gain > 0.3,
  );
});

Deno.test("skullDirection: ties go to the smaller turn", () => {
  const flat: GrayImage = { width: 50, height: 50, data: new Float32Array(2500).fill(90) };
  const r = skullDirection(flat, { cx: 25, cy: 25, a: 15, b: 10, angle: 0.3 });
  assert.ok(Object.is(r.turnDeg, 0) && r.gain === 0, JSON.stringify(r));
});

Deno.test("skullDirection: a search wider than the offset is needed to find it", () => {
  const image = skullImage(SKULL);
  const label = { ...SKULL, angle: SKULL.angle + 12 * DEG };
  // limited to ±5°, the best reachable turn is the edge of the search
  assert.equal(skullDirection(image, label, { maxTurnDeg: 5 }).turnDeg, -5);
  assert.equal(skullDirection(image, label, { maxTurnDeg: 15, stepDeg: 1 }).turnDeg, -12);
});

Deno.test("skullDirection: an ellipse off the image gives NaN; a bad search throws", () => {
  const image = skullImage(SKULL);
  const r = skullDirection(image, { ...SKULL, cx: 5000 });
  assert.ok(Number.isNaN(r.turnDeg) && Number.isNaN(r.gain));
  assert.throws(() => skullDirection(image, SKULL, { stepDeg: 0 }), RangeError);
  assert.throws(() => skullDirection(image, SKULL, { maxTurnDeg: -1 }), RangeError);
});
