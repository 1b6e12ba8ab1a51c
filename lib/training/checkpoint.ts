/**
 * Checkpoints in the standard tfjs layers format plus a training sidecar:
 *
 *   <dir>/model.json      topology + weightsManifest (loadable with tf.loadLayersModel)
 *   <dir>/weights.bin     all weights (trainable and BatchNorm statistics), float32
 *   <dir>/optimizer.bin   AdamW moments m then v, one block per trainable variable, float32
 *   <dir>/state.json      everything else needed to resume exactly (trainer's own JSON)
 *
 * The directory is replaced atomically (lib/core/fs.ts writeDirAtomic), so an interrupt leaves the
 * previous checkpoint or the new one, never a mixture.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { InputError } from "../core/errors.ts";
import { writeDirAtomic } from "../core/fs.ts";
import type { AdamW, AdamWState } from "./adamw.ts";

export const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";
const OPTIMIZER_BIN = "optimizer.bin";
const STATE_JSON = "state.json";

function toBytes(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** The files of a tfjs layers-model save, as tf.io's file handlers write them. */
async function writeModelFiles(dir: string, model: tf.LayersModel): Promise<void> {
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
    };
    const weights = toBytes(artifacts.weightData ?? new ArrayBuffer(0));
    await Deno.writeTextFile(join(dir, MODEL_JSON), JSON.stringify(modelJson));
    await Deno.writeFile(join(dir, WEIGHTS_BIN), weights);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    };
  }));
}

/** Write a whole checkpoint directory atomically. `state` must be JSON-serialisable. */
export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
  state: unknown,
): Promise<void> {
  const opt = await optimizer.getState();
  await writeDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, model);
    await Deno.writeFile(join(tmp, OPTIMIZER_BIN), packMoments(opt));
    await Deno.writeTextFile(
      join(tmp, STATE_JSON),
      JSON.stringify({ optimizerStep: opt.step, state }, null, 1) + "\n",
    );
  });
}

function packMoments(s: AdamWState): Uint8Array {
  const total = [...s.m, ...s.v].reduce((n, a) => n + a.length, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const a of [...s.m, ...s.v]) {
    out.set(a, o);
    o += a.length;
  }
  return new Uint8Array(out.buffer);
}

function unpackMoments(
  bytes: Uint8Array,
  sizes: number[],
  file: string,
): { m: Float32Array[]; v: Float32Array[] } {
  const total = 2 * sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 4) {
    throw new InputError(`optimiser state does not fit the model`, file, undefined, {
      bytes: bytes.byteLength,
      expected: total * 4,
    });
  }
  const all = new Float32Array(bytes.slice().buffer);
  const take = (start: number) => {
    let o = start;
    return sizes.map((n) => all.slice(o, o += n));
  };
  const half = total / 2;
  return { m: take(0), v: take(half) };
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function readModelJson(dir: string): Promise<ModelJson> {
  const file = join(dir, MODEL_JSON);
  try {
    return JSON.parse(await Deno.readTextFile(file));
  } catch (err) {
    throw new InputError(
      `cannot read checkpoint: ${err instanceof Error ? err.message : err}`,
      file,
    );
  }
}

async function readWeights(
  dir: string,
  json: ModelJson,
): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const parts = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map((p) => Deno.readFile(join(dir, p))),
  );
  return { specs, data: tf.io.CompositeArrayBuffer.join(parts.map((p) => p.slice().buffer)) };
}

/**
 * Load a checkpoint's weights into an already-built model of the same architecture. Weights are
 * matched by position (tfjs renames layers per process, so names differ between runs) and checked
 * by shape.
 */
export async function loadWeightsInto(dir: string, model: tf.LayersModel): Promise<void> {
  const json = await readModelJson(dir);
  const { specs, data } = await readWeights(dir, json);
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new InputError(
      `checkpoint has ${specs.length} weight tensors, the model ${weights.length}`,
      join(dir, MODEL_JSON),
    );
  }
  const named = tf.io.decodeWeights(data, specs);
  const tensors = specs.map((s) => named[s.name]);
  try {
    weights.forEach((w, i) => {
      const a = w.shape, b = tensors[i].shape;
      if (a.length !== b.length || a.some((d, j) => d !== b[j])) {
        throw new InputError(
          `checkpoint weight ${i} (${specs[i].name}) has shape [${b}], model expects [${a}]`,
          join(dir, MODEL_JSON),
        );
      }
    });
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/** Restore model weights and optimiser state; returns the trainer's sidecar `state`. */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: AdamW,
): Promise<unknown> {
  await loadWeightsInto(dir, model);
  const sidecar = JSON.parse(await Deno.readTextFile(join(dir, STATE_JSON)));
  const sizes = optimizer.variables.map((v) => v.size);
  const moments = unpackMoments(
    await Deno.readFile(join(dir, OPTIMIZER_BIN)),
    sizes,
    join(dir, OPTIMIZER_BIN),
  );
  optimizer.setState({ step: sidecar.optimizerStep, ...moments });
  return sidecar.state;
}

/** Read only the sidecar (e.g. to find the epoch or config of a run before building its model). */
export async function readCheckpointState(dir: string): Promise<unknown> {
  const file = join(dir, STATE_JSON);
  try {
    return JSON.parse(await Deno.readTextFile(file)).state;
  } catch (err) {
    throw new InputError(
      `cannot read checkpoint state: ${err instanceof Error ? err.message : err}`,
      file,
    );
  }
}

/**
 * Load a checkpoint as a standalone model (for prediction). Custom layers used by the model must
 * be registered (importing lib/models does that).
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const json = await readModelJson(dir);
  const { specs, data } = await readWeights(dir, json);
  return await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: data,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
  }));
}
