/**
 * Batch normalisation with given statistics, y = (x − μ)/√(σ² + ε)·γ + β, over the channels of
 * NHWC (or NC) data: what tfjs's FusedBatchNorm computes in training (batch statistics come in as
 * inputs) and inference alike. One vectorised pass.
 */
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { type ArgBinding, DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

export class NormPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  /** Bindings [src, mean, variance, (scale), (shift), dst]; `shape` is NHWC or NC. */
  forward(shape: readonly number[], eps: number, scale: boolean, shift: boolean): DnnlPrimitive {
    const key = `${shape.join("x")}:${eps}:${scale}:${shift}`;
    let prim = this.cache.get(key);
    if (!prim) {
      const lib = this.lib;
      const c = shape[shape.length - 1];
      const data = shape.length === 4
        ? memoryDesc(lib, [shape[0], c, shape[1], shape[2]], C.tag.nhwc)
        : memoryDesc(lib, [shape[0], c], C.tag.ab);
      const vec = memoryDesc(lib, [c], C.tag.a);
      const flags = C.bnFlags.useGlobalStats | (scale ? C.bnFlags.useScale : 0) |
        (shift ? C.bnFlags.useShift : 0);
      const desc = new Uint8Array(C.opDescBytes);
      check(
        lib.sym.dnnl_batch_normalization_forward_desc_init(
          desc,
          C.prop.forwardInference,
          data,
          eps,
          flags,
        ),
        "batch_normalization_forward_desc_init",
      );
      const bindings: ArgBinding[] = [
        { arg: C.arg.src, userMd: data, output: false },
        { arg: C.arg.mean, userMd: vec, output: false },
        { arg: C.arg.variance, userMd: vec, output: false },
        ...(scale ? [{ arg: C.arg.scale, userMd: vec, output: false }] : []),
        ...(shift ? [{ arg: C.arg.shift, userMd: vec, output: false }] : []),
        { arg: C.arg.dst, userMd: data, output: true },
      ];
      prim = new DnnlPrimitive(lib, desc, bindings, { attr: this.attr });
      this.cache.set(key, prim);
    }
    return prim;
  }
}
