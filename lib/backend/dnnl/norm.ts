/**
 * Batch normalisation y = (x − μ)/√(σ² + ε)·γ + β over the channels of NHWC (or NC) data:
 * - `forward`: μ and σ² given, as tfjs's FusedBatchNorm takes them (inference, and training through
 *   tf.layers' own path); one vectorised pass;
 * - `training` / `backward`: μ and σ² (biased, as tf.moments) computed from the batch, and the
 *   gradient through them, for lib/backend/batch_norm_training.ts: one primitive each way instead
 *   of about fifteen full-size tfjs ops.
 */
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { type ArgBinding, DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

export class NormPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  private cached(key: string, make: () => DnnlPrimitive): DnnlPrimitive {
    let prim = this.cache.get(key);
    if (!prim) this.cache.set(key, prim = make());
    return prim;
  }

  private descs(shape: readonly number[]): { data: Uint8Array; vec: Uint8Array } {
    const lib = this.lib;
    const c = shape[shape.length - 1];
    const data = shape.length === 4
      ? memoryDesc(lib, [shape[0], c, shape[1], shape[2]], C.tag.nhwc)
      : memoryDesc(lib, [shape[0], c], C.tag.ab);
    return { data, vec: memoryDesc(lib, [c], C.tag.a) };
  }

  private forwardDesc(data: Uint8Array, prop: number, eps: number, flags: number): Uint8Array {
    const desc = new Uint8Array(C.opDescBytes);
    check(
      this.lib.sym.dnnl_batch_normalization_forward_desc_init(desc, prop, data, eps, flags),
      "batch_normalization_forward_desc_init",
    );
    return desc;
  }

  /** μ, σ² given. Bindings [src, mean, variance, (scale), (shift), dst]; `shape` is NHWC or NC. */
  forward(shape: readonly number[], eps: number, scale: boolean, shift: boolean): DnnlPrimitive {
    return this.cached(`fwd:${shape.join("x")}:${eps}:${scale}:${shift}`, () => {
      const { data, vec } = this.descs(shape);
      const flags = C.bnFlags.useGlobalStats | (scale ? C.bnFlags.useScale : 0) |
        (shift ? C.bnFlags.useShift : 0);
      const bindings: ArgBinding[] = [
        { arg: C.arg.src, userMd: data, output: false },
        { arg: C.arg.mean, userMd: vec, output: false },
        { arg: C.arg.variance, userMd: vec, output: false },
        ...(scale ? [{ arg: C.arg.scale, userMd: vec, output: false }] : []),
        ...(shift ? [{ arg: C.arg.shift, userMd: vec, output: false }] : []),
        { arg: C.arg.dst, userMd: data, output: true },
      ];
      const desc = this.forwardDesc(data, C.prop.forwardInference, eps, flags);
      return new DnnlPrimitive(this.lib, desc, bindings, { attr: this.attr });
    });
  }

  /** Batch statistics, with γ and β. Bindings [src, scale, shift, dst, mean, variance]. */
  training(shape: readonly number[], eps: number): DnnlPrimitive {
    return this.cached(`train:${shape.join("x")}:${eps}`, () => {
      const { data, vec } = this.descs(shape);
      const flags = C.bnFlags.useScale | C.bnFlags.useShift;
      const bindings: ArgBinding[] = [
        { arg: C.arg.src, userMd: data, output: false },
        { arg: C.arg.scale, userMd: vec, output: false },
        { arg: C.arg.shift, userMd: vec, output: false },
        { arg: C.arg.dst, userMd: data, output: true },
        { arg: C.arg.mean, userMd: vec, output: true },
        { arg: C.arg.variance, userMd: vec, output: true },
      ];
      const desc = this.forwardDesc(data, C.prop.forwardTraining, eps, flags);
      return new DnnlPrimitive(this.lib, desc, bindings, { attr: this.attr });
    });
  }

  /**
   * The gradient of `training`, through the batch statistics: bindings [src, mean, variance,
   * diffDst, scale, shift, diffSrc, diffScale, diffShift]. oneDNN 2.6 refuses to run without β
   * (invalid arguments), though no gradient depends on it.
   */
  backward(shape: readonly number[], eps: number): DnnlPrimitive {
    return this.cached(`bwd:${shape.join("x")}:${eps}`, () => {
      const { data, vec } = this.descs(shape);
      const flags = C.bnFlags.useScale | C.bnFlags.useShift;
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_batch_normalization_backward_desc_init(
          desc,
          C.prop.backward,
          data,
          data,
          eps,
          flags,
        ),
        "batch_normalization_backward_desc_init",
      );
      const bindings: ArgBinding[] = [
        { arg: C.arg.src, userMd: data, output: false },
        { arg: C.arg.mean, userMd: vec, output: false },
        { arg: C.arg.variance, userMd: vec, output: false },
        { arg: C.arg.diffDst, userMd: data, output: false },
        { arg: C.arg.scale, userMd: vec, output: false },
        { arg: C.arg.shift, userMd: vec, output: false },
        { arg: C.arg.diffSrc, userMd: data, output: true },
        { arg: C.arg.diffScale, userMd: vec, output: true },
        { arg: C.arg.diffShift, userMd: vec, output: true },
      ];
      const hint = this.training(shape, eps).pd;
      return new DnnlPrimitive(this.lib, desc, bindings, { attr: this.attr, hint });
    });
  }
}
