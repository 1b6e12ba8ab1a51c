import assert from "node:assert/strict";
import type { Ellipse, Landmarks } from "../../lib/core/types.ts";
import { ellipseToLandmarks } from "../../lib/geometry/ellipse.ts";
import { evaluate } from "../../lib/metrics/evaluation.ts";
import type { FamilyRun } from "../../lib/notebook/family.ts";
import {
  skullDirectionFigure,
  skullDirectionMarkdown,
  skullDirectionRows,
  skullDirectionStudy,
} from "../../lib/notebook/skull_direction.ts";
import { skullImage } from "../data/skull_image.ts";

const DEG = Math.PI / 180;
const at = (a: number, b: number, deg: number): Ellipse => ({
  cx: 160,
  cy: 120,
  a,
  b,
  angle: deg * DEG,
});
// [id, skull, annotator's offset °]: three elongated heads, one near-round
const CASES: [string, Ellipse, number][] = [
  ["a.png", at(100, 70, 20), 6],
  ["b.png", at(100, 70, 170), -4],
  ["c.png", at(100, 68, 5), 0],
  ["d.png", at(90, 88, 40), 0],
];
const label = (e: Ellipse, off: number) => ellipseToLandmarks({ ...e, angle: e.angle + off * DEG });
const samples = CASES.map(([id, e, off]) => ({
  id,
  image: skullImage(e),
  landmarks: label(e, off),
}));
const run = (family: string, pred: (e: Ellipse, off: number) => Landmarks) => ({
  family,
  evaluation: evaluate(
    CASES.map(([id, e, off], i) => ({ id, truth: samples[i].landmarks, pred: pred(e, off) })),
    { bootstrapResamples: 10 },
  ),
  val: { samples } as unknown as FamilyRun["val"],
});
// one model reads the skull, the other reproduces the annotator
const study = skullDirectionStudy([
  run("skull-reader", (e) => ellipseToLandmarks(e)),
  run("label-copier", label),
]);
const near = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

Deno.test("skullDirectionStudy: labels turned back onto the skull, and what that costs in px", () => {
  const turns = study.images.map((im) => im.turnDeg);
  [-6, 4, 0].forEach((t, i) => near(turns[i], t, 0.25, `turn ${CASES[i][0]}`));
  // every end moves 2 r sin(|turn|/2): the mean over the four ends is (a + b) sin(|turn|/2)
  near(study.images[0].turnedLabelsMrePx, 170 * Math.sin(3 * DEG), 0.4, "turned labels' MRE");
  near(study.images[2].turnedLabelsMrePx, 0, 0.4, "no turn, no error");
  near(study.images[3].ratio, 88 / 90, 1e-9, "b/a");
  assert.deepEqual(study.errors.map((e) => e.name), ["skull-reader", "label-copier"]);
  near(
    study.errors[0].angleDeg[0],
    -6,
    1e-9,
    "the reader is off the label by the annotator's slip",
  );
});

Deno.test("skullDirectionRows: the reader follows the turn, the copier the labels", () => {
  const rows = skullDirectionRows(study);
  assert.deepEqual(rows.map((r) => r.source), ["skull-reader", "label-copier"]);
  const [reader, copier] = rows;
  assert.equal(reader["all n"], 4);
  assert.equal(reader["b/a < 0.85 n"], 3);
  assert.equal(reader["b/a < 0.85 ρ"], 1);
  near(reader["b/a < 0.85 |error| °"] as number, 10 / 3, 1e-9, "reader against the labels");
  near(reader["b/a < 0.85 |error − turn| °"] as number, 0, 0.25, "reader against the skull");
  assert.equal(copier["b/a < 0.85 |error| °"], 0);
  near(copier["b/a < 0.85 |error − turn| °"] as number, 10 / 3, 0.25, "copier against the skull");
  assert.ok(Number.isNaN(copier["b/a < 0.85 ρ"]), "a constant error has no rank correlation");
});

Deno.test("skullDirectionFigure and Markdown: elongated heads, numbers from the study", () => {
  const fig = skullDirectionFigure(study);
  const data = fig.plotly.data as { name: string; x: number[]; y: number[] }[];
  assert.deepEqual(data.map((d) => d.name), ["skull-reader", "label-copier", "y = x"]);
  const one = skullDirectionFigure(study, [{ family: "label-copier" }]).plotly.data as {
    name: string;
  }[];
  assert.deepEqual(one.map((d) => d.name), ["label-copier", "y = x"]);
  assert.equal(data[0].x.length, 3);
  data[0].x.forEach((x, i) => near(data[0].y[i], x, 0.25, "reader on the identity line"));
  const md = skullDirectionMarkdown(study);
  assert.match(md, /\(4\.0° on the 3 heads with b\/a < 0\.85/);
  assert.match(md, /ρ = 1\.00–1\.00/);
  assert.match(md, /0\.0–3\.3° against the labels and 0\.0–3\.3° against the labels turned/);
  // Signed turns −6, +4, 0 (elongated heads): mean −2/3, sample SD √(76/3), SE √(76/9) = 2.91.
  assert.match(md, /averages -0\.67° ± 2\.91°/);
  assert.match(md, /run 0\.67° clockwise of the skull/);
});
