/**
 * oneDNN element-wise primitives over flat float32 arrays. Used where JS is slow per element
 * (Math.exp in sigmoid: about 10 ns an element, against well under 1 ns for oneDNN's vectorised
 * exp) or where one native pass replaces several (swish and its gradient), not for simple
 * arithmetic, which JS already streams at memory speed.
 */
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

export class EltwisePrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  private forwardPrim(alg: number, alpha: number, n: number): DnnlPrimitive {
    const key = `fwd:${alg}:${alpha}:${n}`;
    let prim = this.cache.get(key);
    if (!prim) {
      const md = memoryDesc(this.lib, [n], C.tag.a);
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_eltwise_forward_desc_init(
          desc,
          C.prop.forwardTraining,
          alg,
          md,
          alpha,
          0,
        ),
        "eltwise_forward_desc_init",
      );
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.src, userMd: md, output: false },
        { arg: C.arg.dst, userMd: md, output: true },
      ], { attr: this.attr });
      this.cache.set(key, prim);
    }
    return prim;
  }

  private backwardPrim(alg: number, alpha: number, n: number): DnnlPrimitive {
    const key = `bwd:${alg}:${alpha}:${n}`;
    let prim = this.cache.get(key);
    if (!prim) {
      const md = memoryDesc(this.lib, [n], C.tag.a);
      const desc = new Uint8Array(C.opDescBytes);
      check(
        this.lib.sym.dnnl_eltwise_backward_desc_init(desc, alg, md, md, alpha, 0),
        "eltwise_backward_desc_init",
      );
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.src, userMd: md, output: false },
        { arg: C.arg.diffDst, userMd: md, output: false },
        { arg: C.arg.diffSrc, userMd: md, output: true },
      ], { attr: this.attr, hint: this.forwardPrim(alg, alpha, n).pd });
      this.cache.set(key, prim);
    }
    return prim;
  }

  /** y = f(x) (α: the algorithm's parameter, e.g. swish's x·σ(αx)), written into `y`. */
  forward(alg: number, x: Float32Array, y: Float32Array, alpha = 0): Float32Array {
    if (x.length > 0) this.forwardPrim(alg, alpha, x.length).execute([x, y]);
    return y;
  }

  /** dx = f'(x)·dy from the forward input x, written into `dx`. */
  backward(
    alg: number,
    x: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    alpha = 0,
  ): Float32Array {
    if (x.length > 0) this.backwardPrim(alg, alpha, x.length).execute([x, dy, dx]);
    return dx;
  }
}
