/**
 * Large element-wise add/sub/mul/div through oneDNN's binary primitive: vectorised, and threaded
 * when oneDNN has more than one thread, where the JS loops run scalar on one. oneDNN broadcasts only
 * its second operand, so callers put the full-size tensor first (or fall back to JS). (oneDNN's
 * reduction primitive was tried for Sum/Mean over NHWC's leading axes: 10× slower than the JS loop.)
 */
import { C, check, type DnnlLibrary, type Handle } from "./ffi.ts";
import { DnnlPrimitive, memoryDesc, primitiveAttr } from "./primitive.ts";

export class BinaryPrimitives {
  private readonly cache = new Map<string, DnnlPrimitive>();
  private readonly attr: Handle;

  constructor(private readonly lib: DnnlLibrary) {
    this.attr = primitiveAttr(lib);
  }

  /** Bindings [src0, src1, dst]; `shape1` has the rank of `shape0`, each dim equal or 1. */
  forward(alg: number, shape0: readonly number[], shape1: readonly number[]): DnnlPrimitive {
    const key = `${alg}:${shape0.join("x")}:${shape1.join("x")}`;
    let prim = this.cache.get(key);
    if (!prim) {
      const tag = C.plainTags[shape0.length - 1];
      const md0 = memoryDesc(this.lib, shape0, tag), md1 = memoryDesc(this.lib, shape1, tag);
      const desc = new Uint8Array(C.opDescBytes);
      check(this.lib.sym.dnnl_binary_desc_init(desc, alg, md0, md1, md0), "binary_desc_init");
      prim = new DnnlPrimitive(this.lib, desc, [
        { arg: C.arg.src, userMd: md0, output: false },
        { arg: C.arg.src1, userMd: md1, output: false },
        { arg: C.arg.dst, userMd: md0, output: true },
      ], { attr: this.attr });
      this.cache.set(key, prim);
    }
    return prim;
  }
}
