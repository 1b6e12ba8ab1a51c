/**
 * Load pretrained (converted Keras / tfjs) weights into a model by layer name. Nothing is ever
 * downloaded: the user points at a tfjs layers-model folder (model.json + weight shards), e.g.
 * the output of `tensorflowjs_converter` on `keras.applications.ResNet50(include_top=False)`.
 * Encoders use Keras' layer names, so such weights land in the matching layers; layers absent
 * from the file (decoders, heads) keep their initialisation.
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";
import { InputError } from "../core/errors.ts";

interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

export interface WeightLoadReport {
  /** Model weights that received a value (`layer/weight`). */
  loaded: string[];
  /** Model weights with no counterpart in the file. */
  missing: string[];
  /** File weights that matched nothing in the model. */
  unused: string[];
  /** Conv biases the model has no slot for, folded into the following BN's moving mean. */
  folded: string[];
}

/** `layer/weight`: the last two segments, without tfjs' `_<n>` uniqueness suffix on the weight. */
function weightKey(name: string): string {
  const parts = name.split("/");
  const weight = parts[parts.length - 1].replace(/_\d+$/, "");
  return `${parts[parts.length - 2] ?? ""}/${weight}`;
}

async function readWeightFile(path: string): Promise<tf.NamedTensorMap> {
  const modelJsonPath = path.endsWith(".json") ? path : join(path, "model.json");
  let manifest: WeightsManifestGroup[];
  try {
    const json = JSON.parse(await Deno.readTextFile(modelJsonPath));
    manifest = json.weightsManifest;
  } catch (err) {
    throw new InputError(`cannot read a tfjs model.json: ${(err as Error).message}`, modelJsonPath);
  }
  if (!Array.isArray(manifest)) throw new InputError("no weightsManifest", modelJsonPath);
  const base = dirname(modelJsonPath);
  const tensors: tf.NamedTensorMap = {};
  for (const group of manifest) {
    const shards = await Promise.all(group.paths.map((p) => Deno.readFile(join(base, p))));
    const buffer = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
    let offset = 0;
    for (const shard of shards) {
      buffer.set(shard, offset);
      offset += shard.byteLength;
    }
    Object.assign(tensors, tf.io.decodeWeights(buffer.buffer, group.weights));
  }
  return tensors;
}

/**
 * Copy every weight of `path` whose `layer/weight` name matches one of `model`'s. A conv bias the
 * model lacks (Keras ResNets have conv biases before BN, these do not) is folded exactly into the
 * moving mean of the BN named like the conv (`X_conv` → `X_bn`). Shapes must agree.
 */
export async function loadEncoderWeights(
  model: tf.LayersModel,
  path: string,
): Promise<WeightLoadReport> {
  const source = await readWeightFile(path);
  const byKey = new Map(Object.entries(source).map(([name, t]) => [weightKey(name), t]));
  const report: WeightLoadReport = { loaded: [], missing: [], unused: [], folded: [] };
  const used = new Set<string>();
  const targets = new Map(model.weights.map((w) => [weightKey(w.originalName), w]));

  const values = new Map<string, tf.Tensor>();
  const created: tf.Tensor[] = [];
  for (const [key, variable] of targets) {
    const t = byKey.get(key);
    if (!t) {
      report.missing.push(key);
      continue;
    }
    if (JSON.stringify(t.shape) !== JSON.stringify(variable.shape)) {
      throw new InputError(
        `weight ${key} has shape ${JSON.stringify(t.shape)}, the model expects ${
          JSON.stringify(variable.shape)
        }`,
        path,
      );
    }
    values.set(key, t);
    used.add(key);
  }
  for (const [key, bias] of byKey) {
    const m = /^(.*)_conv\/bias$/.exec(key);
    const meanKey = m ? `${m[1]}_bn/moving_mean` : "";
    if (!m || used.has(key) || !values.has(meanKey) || targets.has(key)) continue;
    const folded = tf.sub(values.get(meanKey)!, bias);
    created.push(folded);
    values.set(meanKey, folded);
    used.add(key);
    report.folded.push(key);
  }
  for (const [key, variable] of targets) {
    const v = values.get(key);
    if (!v) continue;
    variable.write(v);
    report.loaded.push(key);
  }
  for (const key of byKey.keys()) if (!used.has(key)) report.unused.push(key);
  tf.dispose([...Object.values(source), ...created]);
  return report;
}
