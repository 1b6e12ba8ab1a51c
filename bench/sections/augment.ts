/**
 * Augmentation throughput on one core: every transform alone and the full pipelines, on a 256×256
 * phantom (the model-space sample the trainer caches), plus the full path from a raw 800×540
 * image. A few operations are also timed as tfjs ops on the project's backend (initBackend, one
 * thread): the comparison behind writing the transforms on typed arrays. Target: ≥ 200 images/s
 * for the full training pipeline.
 *
 * Run alone: deno run -A bench/sections/augment.ts
 */
import process from "node:process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/rng.ts";
import { generatePhantom } from "../../lib/data/phantom.ts";
import {
  claheStep,
  evalPipeline,
  letterbox,
  trainPipeline,
} from "../../lib/transforms/pipeline.ts";
import { gaussianKernel } from "../../lib/transforms/intensity.ts";
import { ALL_AUGMENTATIONS } from "../../lib/transforms/catalogue.ts";
import { normalise } from "../../lib/transforms/normalise.ts";
import { type AugSample, toAugSample, type Transform } from "../../lib/transforms/types.ts";

type Row = Record<string, string | number>;

interface Timing {
  msPerImage: number;
  /** Images per second of process CPU time: what one core sustains, whatever else the machine runs. */
  perCpuSecond: number;
}

/** Warm up, then run until `budgetMs` of wall time has passed; report wall and CPU time per image. */
function throughput(fn: (i: number) => unknown, budgetMs: number): Timing {
  for (let i = 0; i < 15; i++) fn(i);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    for (let k = 0; k < 5; k++) fn(n++);
  }
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { msPerImage: wall / n, perCpuSecond: (1000 * n) / cpuMs };
}

function row(name: string, impl: string, size: string, t: Timing): Row {
  return {
    step: name,
    impl,
    size,
    "wall ms/img": Number(t.msPerImage.toFixed(3)),
    "img/s per core (CPU time)": Math.round(t.perCpuSecond),
  };
}

function timeTransform(t: Transform, s: AugSample, size: string, budgetMs: number): Row {
  return row(t.label, "typed arrays", size, throughput((i) => t(s, new Rng(i)), budgetMs));
}

/**
 * The same kinds of operation as tfjs ops: on the project's backend (lib/backend, one thread)
 * and on tfjs's plain `cpu` backend, each including the read-back a per-sample loader needs.
 * The backend active before is restored.
 */
async function tfjsRows(s: AugSample, budgetMs: number): Promise<Row[]> {
  const report = await initBackend({ threads: 1 });
  const chosen = tf.getBackend();
  const k = gaussianKernel(5);
  const c = Math.cos(0.2), sn = Math.sin(0.2);
  const rows: Row[] = [];
  for (const backend of new Set([chosen, "cpu"])) {
    await tf.setBackend(backend);
    const x = tf.tensor4d(s.image.data, [1, s.image.height, s.image.width, 1]);
    const kernel = tf.tensor4d(
      Float32Array.from({ length: 25 }, (_, i) => k[i % 5] * k[Math.floor(i / 5)]),
      [5, 5, 1, 1],
    );
    const affine = tf.tensor2d([[c, sn, -20, -sn, c, 30, 0, 0]]);
    const ops: [string, () => tf.Tensor][] = [
      ["brightnessContrast", () => tf.clipByValue(tf.add(tf.mul(x, 1.1), 12), 0, 255)],
      ["gaussianBlur 5×5", () => tf.conv2d(x, kernel, 1, "same")],
      ["affine warp (tf.image.transform)", () => tf.image.transform(x, affine, "bilinear")],
    ];
    const label = backend === chosen ? `tfjs ${report.name}` : `tfjs ${backend}`;
    for (const [name, op] of ops) {
      const t = throughput(() => tf.tidy(op).dataSync(), budgetMs);
      rows.push(row(name, label, "256²", t));
    }
    tf.dispose([x, kernel, affine]);
  }
  await tf.setBackend(chosen);
  return rows;
}

/** `budgetMs`: wall time spent timing each row (after a 15-call warm-up). */
export async function run(
  budgetMs = 400,
): Promise<{ title: string; rows: Record<string, string | number>[] }> {
  const p = generatePhantom(1, { width: 256, height: 256 });
  const s = toAugSample(p);
  const transforms: Transform[] = [...ALL_AUGMENTATIONS, claheStep()];
  const rows: Row[] = transforms.map((t) => timeTransform(t, s, "256²", budgetMs));
  rows.push(
    row(
      "normalise (imagenet, 3 ch)",
      "typed arrays",
      "256²",
      throughput(() => normalise(s.image, 3, { mode: "imagenet" }), budgetMs),
    ),
  );

  const cfg = { inputSize: 256, channels: 3 as const };
  const train = trainPipeline(cfg);
  const pre = train.preprocess(p);
  rows.push(
    row(
      "train pipeline: augment + normalise (cached preprocessed)",
      "typed arrays",
      "256²",
      throughput((i) => train.finish(train.augment(pre, new Rng(i))), budgetMs),
    ),
  );

  const raw = generatePhantom(2, { width: 800, height: 540 });
  const rawSample = toAugSample(raw);
  rows.push(timeTransform(claheStep(), rawSample, "800×540", budgetMs));
  rows.push(timeTransform(letterbox(256), rawSample, "800×540 → 256²", budgetMs));
  rows.push(
    row(
      "train pipeline: CLAHE + letterbox + augment + normalise",
      "typed arrays",
      "800×540 → 256²",
      throughput((i) => train.run(raw, new Rng(i)), budgetMs),
    ),
  );
  const ev = evalPipeline(cfg);
  rows.push(
    row(
      "eval pipeline: CLAHE + letterbox + normalise",
      "typed arrays",
      "800×540 → 256²",
      throughput((i) => ev.run(raw, new Rng(i)), budgetMs),
    ),
  );

  rows.push(...(await tfjsRows(s, budgetMs)));
  const load = Deno.loadavg()[0].toFixed(1);
  return {
    title: `Augmentation throughput (one core, 256×256 unless stated; load average ${load})`,
    rows,
  };
}

if (import.meta.main) {
  const { title, rows } = await run();
  console.log(title);
  console.table(rows);
}
