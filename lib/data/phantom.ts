/**
 * Deterministic synthetic fetal-head phantoms with exact ground truth, for tests, smoke runs and
 * sanity checks without HC18. One seed gives one image:
 *
 * - a fan-shaped (sector) scan field with depth attenuation, black outside the fan;
 * - multiplicative speckle (exponential noise smoothed more laterally than axially, as real
 *   speckle is elongated across the beam);
 * - a hypoechoic brain with low-frequency texture inside the skull;
 * - a bright skull ring centred on the ellipse, brightest where the beam hits it head-on;
 * - 0–3 acoustic shadows: angular bands of the fan darkened beyond the skull's near wall;
 * - a midline echo (falx) along the long axis with a gap (the cavum septi pellucidi), and 0–2
 *   soft echoes inside the brain (choroid plexus);
 * - 1–3 bright tissue interfaces (uterine wall, placenta) as arcs about the apex, outside the head.
 *
 * Geometry matches HC18: the head's long axis spans 30–70 % of the image width, axis ratio
 * 0.72–0.9, any rotation, fully inside the image and the fan. The mask is the filled ellipse at the
 * ring's centre line (pixel centre inside), and the landmarks are its axis ends in canonical order.
 */
import { Rng } from "../core/rng.ts";
import type { Ellipse, GrayImage, Landmarks, Mask } from "../core/types.ts";
import {
  ellipsePerimeter,
  ellipsePoint,
  ellipsePoints,
  ellipseToLandmarks,
} from "../geometry/ellipse.ts";

export interface PhantomOptions {
  width?: number;
  height?: number;
}

export interface Phantom {
  image: GrayImage;
  mask: Mask;
  landmarks: Landmarks;
  ellipse: Ellipse;
  pixelSizeMm: number;
  /** Ellipse perimeter (Ramanujan II) × pixel size. */
  hcMm: number;
}

/** Place a random head that fits inside the image with `margin` px to spare. */
function drawEllipse(rng: Rng, w: number, h: number, margin: number): Ellipse {
  let a = (w * rng.uniform(0.3, 0.7)) / 2;
  let b = a * rng.uniform(0.72, 0.9);
  const angle = rng.uniform(0, Math.PI);
  const c = Math.cos(angle), s = Math.sin(angle);
  const halfW = Math.sqrt((a * c) ** 2 + (b * s) ** 2);
  const halfH = Math.sqrt((a * s) ** 2 + (b * c) ** 2);
  const shrink = Math.min(1, (w / 2 - margin) / halfW, (h / 2 - margin) / halfH);
  a *= shrink;
  b *= shrink;
  const hw = halfW * shrink, hh = halfH * shrink;
  return {
    cx: rng.uniform(hw + margin, w - hw - margin),
    cy: rng.uniform(hh + margin, h - hh - margin),
    a,
    b,
    angle,
  };
}

/** Smooth random field in [−1, 1]: a coarse grid of uniform values, bilinearly upsampled. */
function smoothField(rng: Rng, w: number, h: number, cell: number): Float32Array {
  const gw = Math.ceil(w / cell) + 2, gh = Math.ceil(h / cell) + 2;
  const grid = new Float32Array(gw * gh).map(() => rng.uniform(-1, 1));
  const x0s = new Int32Array(w), fxs = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    x0s[x] = Math.floor(x / cell);
    fxs[x] = x / cell - x0s[x];
  }
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y / cell), fy = y / cell - y0;
    const top = y0 * gw, bot = top + gw, row = y * w;
    for (let x = 0; x < w; x++) {
      const i = x0s[x], fx = fxs[x];
      const a = grid[top + i] + (grid[top + i + 1] - grid[top + i]) * fx;
      const b = grid[bot + i] + (grid[bot + i + 1] - grid[bot + i]) * fx;
      out[row + x] = a + (b - a) * fy;
    }
  }
  return out;
}

/**
 * Exponential (fully developed speckle intensity) noise, box-smoothed 5 px across and 3 px down
 * with running sums (edges average over the part of the window inside the image).
 */
function speckle(rng: Rng, w: number, h: number): Float32Array {
  const raw = new Float32Array(w * h);
  for (let i = 0; i < raw.length; i++) raw[i] = -Math.log(1 - rng.next());
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let x = 0; x < Math.min(2, w); x++) sum += raw[row + x];
    for (let x = 0; x < w; x++) {
      if (x + 2 < w) sum += raw[row + x + 2];
      if (x - 3 >= 0) sum -= raw[row + x - 3];
      tmp[row + x] = sum / (Math.min(w - 1, x + 2) - Math.max(0, x - 2) + 1);
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - 1), y1 = Math.min(h - 1, y + 1);
    const n = y1 - y0 + 1;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = y0; k <= y1; k++) sum += tmp[k * w + x];
      raw[row + x] = sum / n;
    }
  }
  return raw;
}

interface Shadow {
  /** Lateral slope dx/dy of the band centre seen from the apex. */
  slope: number;
  halfWidth: number;
  /** Squared distance from the apex beyond which the band is shadowed. */
  startR2: number;
  strength: number;
}

export function generatePhantom(seed: number, opts: PhantomOptions = {}): Phantom {
  const w = opts.width ?? 800;
  const h = opts.height ?? 540;
  const rng = new Rng(seed);

  const ringSigmaFrac = rng.uniform(0.018, 0.03);
  const e = drawEllipse(rng, w, h, 12);
  const ringSigma = Math.max(1.2, e.a * ringSigmaFrac);

  // Fan: apex above the image; wide and deep enough to contain the head with room to spare.
  const apexX = w / 2 + rng.uniform(-0.03, 0.03) * w;
  const apexY = -h * rng.uniform(0.05, 0.2);
  let maxSlope = 0, minR = Infinity, maxR = 0;
  for (const p of ellipsePoints(e, 90)) {
    const dx = p.x - apexX, dy = p.y - apexY;
    maxSlope = Math.max(maxSlope, Math.abs(dx) / dy);
    const r = Math.hypot(dx, dy);
    minR = Math.min(minR, r);
    maxR = Math.max(maxR, r);
  }
  const tanHalf = Math.max(Math.tan(rng.uniform(0.6, 0.85)), maxSlope * 1.08 + 0.05);
  const r0 = Math.max(0, Math.min(-apexY + h * 0.03, minR - 6 * ringSigma));
  const r1 = Math.max(maxR + 6 * ringSigma, (h - apexY) * rng.uniform(0.95, 1.1));
  const [r0sq, r1sq] = [r0 * r0, r1 * r1];

  const tissueLevel = rng.uniform(45, 75);
  const brainLevel = rng.uniform(0.3, 0.55);
  const ringLevel = rng.uniform(170, 240);
  const falxLevel = rng.uniform(50, 110);
  const falxSigma = rng.uniform(1, 2.2);
  const falxLength = rng.uniform(0.7, 0.9);
  const gapStart = rng.uniform(0.15, 0.3) * (rng.bool() ? 1 : -1);
  const gapEnd = gapStart + rng.uniform(0.1, 0.2) * Math.sign(gapStart);
  const [gapLo, gapHi] = gapStart < gapEnd ? [gapStart, gapEnd] : [gapEnd, gapStart];

  const shadows: Shadow[] = [];
  const nShadows = rng.int(0, 4);
  for (let k = 0; k < nShadows; k++) {
    const { x: px, y: py } = ellipsePoint(e, rng.uniform(0, 2 * Math.PI));
    const r = Math.hypot(px - apexX, py - apexY);
    shadows.push({
      slope: (px - apexX) / (py - apexY),
      halfWidth: rng.uniform(0.03, 0.1),
      startR2: r * r,
      strength: rng.uniform(0.35, 0.7),
    });
  }

  // Tissue interfaces (uterine wall, placenta edge): bright arcs about the apex, outside the head.
  const bands = Array.from({ length: rng.int(1, 4) }, () => ({
    radius: rng.uniform(r0, r1),
    sigma: rng.uniform(4, 14),
    level: rng.uniform(30, 90),
  }));
  // Choroid plexus and similar echoes inside the brain: soft blobs in head coordinates.
  const blobs = Array.from({ length: rng.int(0, 3) }, () => ({
    u: rng.uniform(-0.5, 0.5) * e.a,
    v: rng.uniform(-0.5, 0.5) * e.b,
    radius: rng.uniform(0.05, 0.15) * e.b,
    level: rng.uniform(50, 110),
  }));

  const texture = smoothField(rng, w, h, 40);
  const grain = speckle(rng, w, h);
  // A second, coarser speckle scale: real speckle blobs span several pixels.
  const coarse = smoothField(rng, w, h, 4);
  for (let i = 0; i < grain.length; i++) grain[i] *= 1 + 0.35 * coarse[i];

  const cosA = Math.cos(e.angle), sinA = Math.sin(e.angle);
  const ia2 = 1 / (e.a * e.a), ib2 = 1 / (e.b * e.b);
  const ia4 = ia2 * ia2, ib4 = ib2 * ib2;
  const ringReach = 4 * ringSigma;
  const image = new Float32Array(w * h);
  const mask = new Uint8Array(w * h);

  for (let y = 0; y < h; y++) {
    const dyA = y - apexY;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const dx = x - e.cx, dy = y - e.cy;
      const u = dx * cosA + dy * sinA;
      const v = -dx * sinA + dy * cosA;
      const rho2 = u * u * ia2 + v * v * ib2;
      if (rho2 <= 1) mask[i] = 1;

      const dxA = x - apexX;
      const rA2 = dxA * dxA + dyA * dyA;
      if (dyA <= 0 || Math.abs(dxA) > dyA * tanHalf || rA2 < r0sq || rA2 > r1sq) continue;

      const depth = (Math.sqrt(rA2) - r0) / (r1 - r0);
      let value = tissueLevel * (1 - 0.45 * depth) * (1 + 0.25 * texture[i]);
      if (rho2 <= 1) {
        value *= brainLevel * (1 + 0.6 * texture[i]);
        const along = u / e.a;
        if (Math.abs(along) < falxLength && (along < gapLo || along > gapHi)) {
          const taper = 1 - (along / falxLength) ** 2;
          value += falxLevel * taper * Math.exp(-((v / falxSigma) ** 2));
        }
        for (const b of blobs) {
          const d2 = ((u - b.u) ** 2 + (v - b.v) ** 2) / (b.radius * b.radius);
          if (d2 < 9) value += b.level * Math.exp(-d2);
        }
      }
      // Approximate signed distance to the ellipse: (ρ − 1) / |∇ρ|.
      const rho = Math.sqrt(rho2);
      const gradNorm = Math.sqrt(u * u * ia4 + v * v * ib4);
      const dist = gradNorm > 0 ? ((rho - 1) * rho) / gradNorm : -e.b;
      if (dist > ringReach) {
        const rA = Math.sqrt(rA2);
        for (const b of bands) {
          const t = (rA - b.radius) / b.sigma;
          if (t * t < 9) value += b.level * (1 - 0.4 * depth) * Math.exp(-t * t);
        }
      } else if (Math.abs(dist) < ringReach) {
        // Specular bone echo: strongest where the ring normal points along the beam.
        const nx = (u * ia2) * cosA - (v * ib2) * sinA;
        const ny = (u * ia2) * sinA + (v * ib2) * cosA;
        const incidence = Math.abs(nx * dxA + ny * dyA) / (Math.hypot(nx, ny) * Math.sqrt(rA2));
        const profile = Math.exp(-((dist / ringSigma) ** 2));
        value += ringLevel * (0.45 + 0.55 * incidence) * (1 + 0.3 * texture[i]) * profile;
      }
      for (const sh of shadows) {
        const off = Math.abs(dxA / dyA - sh.slope);
        if (off < sh.halfWidth && rA2 > sh.startR2) {
          value *= 1 - sh.strength * (0.5 + 0.5 * Math.cos((Math.PI * off) / sh.halfWidth));
        }
      }
      const out = value * grain[i];
      image[i] = out > 255 ? 255 : out;
    }
  }

  const pixelSizeMm = rng.uniform(0.07, 0.3);
  return {
    image: { width: w, height: h, data: image },
    mask: { width: w, height: h, data: mask },
    landmarks: ellipseToLandmarks(e),
    ellipse: e,
    pixelSizeMm,
    hcMm: ellipsePerimeter(e) * pixelSizeMm,
  };
}
