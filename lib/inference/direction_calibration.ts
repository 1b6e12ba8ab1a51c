/**
 * Direction calibration: a fixed correction of a model's long-axis direction, fitted on its own
 * predictions for its training split and applied to every prediction after it.
 *
 * Why a model needs one (docs/EXPERIMENTS.md, "Direction calibration"): HC18's annotated ellipses
 * are turned about 1° clockwise of the skull's echo and tilted a little further from the
 * horizontal than it. Training with mirrored images makes a model mirror-symmetric, so it cannot
 * learn a turn with a handedness; rotating images and labels together teaches it that the label
 * turns with the head, not a tilt tied to the fixed beam direction. Its directions then sit a
 * little anticlockwise of the labels and nearer the horizontal, on the training images as on new
 * ones. The correction is the least-squares fit of the signed direction error
 *
 *   label − prediction = offset + tilt · sin 2θ      (θ: the predicted OFD direction)
 *
 * periodic in π, so an axis listed either way round gets the same turn, and continuous through the
 * vertical. It turns the points about the ellipse's centre: axes, HC, OFD and BPD stay as they are.
 */
import { join } from "node:path";
import type { Ellipse, Landmarks } from "../core/types.ts";
import { InputError, unreadable } from "../core/errors.ts";
import { exists, writeJsonAtomic } from "../core/fs.ts";
import { canonicalize } from "../data/landmark_order.ts";
import { turnLandmarks, wrapAngle } from "../geometry/ellipse.ts";
import { ofdDirection } from "../metrics/ellipse_errors.ts";

/** Beside a model's weights (model.json); read by Predictor. */
export const CALIBRATION_FILE = "calibration.json";

export interface DirectionCalibration {
  /** Turn added to every direction, degrees, positive clockwise on screen (image y down). */
  offsetDeg: number;
  /** Amplitude of the sin 2θ term, degrees: > 0 turns tilted heads further from the horizontal. */
  tiltDeg: number;
  /** Images the fit used (those with |error| ≤ maxErrorDeg) and all it was given. */
  imagesUsed: number;
  images: number;
  /** Largest |label − prediction| direction error kept in the fit, degrees. */
  maxErrorDeg: number;
  /** What it was fitted on: model, first stage, data folder and split (free-form, for the record). */
  fittedOn: Record<string, unknown>;
}

const DEG = Math.PI / 180;
/** Least standard deviation of sin 2θ over the fitted heads (HC18's training split: about 0.4). */
const MIN_TILT_SPREAD = 0.05;

/** The signed direction difference b − a of two axes (angles mod π), in (−π/2, π/2]. */
export function axisDifference(a: number, b: number): number {
  const d = wrapAngle(b - a);
  return d > Math.PI / 2 ? d - Math.PI : d;
}

/** The turn in radians (positive clockwise) the calibration gives a head whose OFD points at θ. */
export function calibrationTurn(cal: DirectionCalibration, theta: number): number {
  return (cal.offsetDeg + cal.tiltDeg * Math.sin(2 * theta)) * DEG;
}

/**
 * The direction θ a prediction's calibration is read at: that of its OFD points. Not its
 * ellipse's angle, which follows the longer axis: where a landmark model's BPD comes out longer
 * than its OFD, that is the BPD, and sin 2θ would turn the head the other way. The ellipse's
 * angle only when the two OFD points coincide.
 */
export function predictedOfdDirection(landmarks: Landmarks, ellipse: Ellipse): number {
  const d = ofdDirection(landmarks);
  return Number.isNaN(d) ? ellipse.angle : d;
}

/**
 * Fit offset and tilt by least squares to pairs of (predicted OFD direction, labelled OFD
 * direction), radians. Pairs further apart than `maxErrorDeg` (default 20°: a head read the wrong
 * way, not a bias) are left out.
 */
export function fitDirectionCalibration(
  pairs: readonly { predicted: number; labelled: number }[],
  opts: { maxErrorDeg?: number; fittedOn?: Record<string, unknown> } = {},
): DirectionCalibration {
  const maxErrorDeg = opts.maxErrorDeg ?? 20;
  let n = 0, ss = 0, s = 0, r = 0, rs = 0;
  for (const { predicted, labelled } of pairs) {
    const err = axisDifference(predicted, labelled);
    if (!(Math.abs(err) <= maxErrorDeg * DEG)) continue;
    const x = Math.sin(2 * predicted);
    n++;
    s += x;
    ss += x * x;
    r += err;
    rs += err * x;
  }
  const det = n * ss - s * s;
  // Fewer than 10 images, or heads all at about one tilt (sin 2θ's standard deviation below
  // MIN_TILT_SPREAD), cannot separate the two terms: the tilt would be fitted to noise.
  const spread = n > 0 ? Math.sqrt(Math.max(det, 0)) / n : 0;
  if (n < 10 || !(spread >= MIN_TILT_SPREAD)) {
    throw new InputError(
      `direction calibration needs at least 10 heads at different tilts within ${maxErrorDeg}° ` +
        `of their labels; got ${n} of ${pairs.length}` +
        (n >= 10 ? `, whose sin 2θ spread ${spread.toFixed(3)} is below ${MIN_TILT_SPREAD}` : ""),
    );
  }
  return {
    offsetDeg: (ss * r - s * rs) / det / DEG,
    tiltDeg: (n * rs - s * r) / det / DEG,
    imagesUsed: n,
    images: pairs.length,
    maxErrorDeg,
    fittedOn: opts.fittedOn ?? {},
  };
}

/** The landmarks and ellipse turned about the ellipse's centre by the calibration's turn (degrees). */
export function applyDirectionCalibration(
  cal: DirectionCalibration,
  landmarks: Landmarks,
  ellipse: Ellipse,
): { landmarks: Landmarks; ellipse: Ellipse; turnDeg: number } {
  const turn = calibrationTurn(cal, predictedOfdDirection(landmarks, ellipse));
  return {
    landmarks: canonicalize(turnLandmarks(landmarks, { x: ellipse.cx, y: ellipse.cy }, turn)),
    ellipse: { ...ellipse, angle: wrapAngle(ellipse.angle + turn) },
    turnDeg: turn / DEG,
  };
}

/**
 * A calibrated prediction's landmarks as the model gave them: turned back by its
 * `directionTurnDeg` about its ellipse's centre (the turn keeps the centre). Unchanged without one.
 */
export function uncalibratedLandmarks(
  p: { landmarks: Landmarks; ellipse: Ellipse; directionTurnDeg?: number },
): Landmarks {
  if (!p.directionTurnDeg) return p.landmarks;
  const centre = { x: p.ellipse.cx, y: p.ellipse.cy };
  return canonicalize(turnLandmarks(p.landmarks, centre, -p.directionTurnDeg * DEG));
}

function isCalibration(v: unknown): v is DirectionCalibration {
  const c = v as DirectionCalibration;
  return typeof c === "object" && c !== null && Number.isFinite(c.offsetDeg) &&
    Number.isFinite(c.tiltDeg);
}

/** The calibration beside a model's weights, or null when it has none. */
export async function readDirectionCalibration(dir: string): Promise<DirectionCalibration | null> {
  const path = join(dir, CALIBRATION_FILE);
  if (!(await exists(path))) return null;
  const text = await Deno.readTextFile(path).catch((err) => {
    throw unreadable(err, path, "calibration file");
  });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, path);
  }
  if (!isCalibration(v)) {
    throw new InputError("needs finite offsetDeg and tiltDeg (degrees)", path);
  }
  return v;
}

/** "0.86° + 4.22° · sin 2θ": the turn as a formula, degrees. */
export function formatCalibration(cal: DirectionCalibration): string {
  const sign = cal.tiltDeg < 0 ? "−" : "+";
  return `${cal.offsetDeg.toFixed(2)}° ${sign} ${Math.abs(cal.tiltDeg).toFixed(2)}° · sin 2θ`;
}

const CARD_HEADING = "## Direction calibration";

/**
 * A model card (model_card.md) with its direction-calibration section set to `cal`: replaced
 * where the card has one (up to the next `## ` heading), else added at the end.
 */
export function cardWithCalibration(card: string, cal: DirectionCalibration): string {
  const { model, refine, createdAt, git } = cal.fittedOn as {
    model?: string;
    refine?: string | null;
    createdAt?: string;
    git?: { commit?: string | null };
  };
  const command = model
    ? `\`deno task calibrate --model ${model}${refine ? ` --refine ${refine}` : ""}\``
    : "`deno task calibrate`";
  const section = [
    CARD_HEADING,
    "",
    `- turn = ${formatCalibration(cal)} ` +
    "(clockwise on screen, θ the predicted OFD direction), applied last by predict, score and " +
    `hc18:submit (\`${CALIBRATION_FILE}\`; lib/inference/direction_calibration.ts)`,
    `- fitted on ${cal.imagesUsed} of ${cal.images} training images (|error| ≤ ${cal.maxErrorDeg}°) ` +
    `by ${command}${createdAt ? `, ${createdAt}` : ""}${
      git?.commit ? ` (git ${git.commit.slice(0, 10)})` : ""
    }`,
    "- the metrics above are the uncalibrated checkpoint's",
    "",
  ].join("\n");
  const start = card.indexOf(`\n${CARD_HEADING}\n`);
  if (start < 0) return `${card.replace(/\n*$/, "\n")}\n${section}`;
  const next = card.indexOf("\n## ", start + 1);
  return card.slice(0, start + 1) + section + (next < 0 ? "" : card.slice(next));
}

export function writeDirectionCalibration(dir: string, cal: DirectionCalibration): Promise<void> {
  return writeJsonAtomic(join(dir, CALIBRATION_FILE), cal);
}
