/**
 * A oneDNN primitive bound to tfjs's plain layouts (NHWC activations, HWIO filters). oneDNN may
 * pick a faster internal layout (`tag.any`); then the primitive owns scratch buffers and reorders
 * from/to the caller's arrays around each call. Scratchpads are user-managed so one primitive
 * never allocates behind tfjs's back.
 */
import { C, check, type DnnlLibrary, outPointer } from "./ffi.ts";

export type Float32Buffer = Float32Array;

/** A memory descriptor buffer for `dims` in oneDNN's logical order with the given format tag. */
export function memoryDesc(lib: DnnlLibrary, dims: readonly number[], tag: number): Uint8Array {
  const md = new Uint8Array(C.memoryDescBytes);
  const d = new BigInt64Array(12);
  dims.forEach((v, i) => (d[i] = BigInt(v)));
  check(lib.sym.dnnl_memory_desc_init_by_tag(md, dims.length, d, C.f32, tag), "memory_desc_init");
  return md;
}

export interface ArgBinding {
  /** DNNL_ARG_* */
  arg: number;
  /** The layout of the caller's array (a `memoryDesc` with a plain tag). */
  userMd: Uint8Array;
  /** true when oneDNN writes this argument. */
  output: boolean;
}

interface Staged {
  binding: ArgBinding;
  userMem: Deno.PointerValue;
  primMem: Deno.PointerValue;
  /** Present when the primitive wants another layout: internal buffer + reorder. */
  internal?: Float32Array;
  reorder?: { prim: Deno.PointerValue; args: Uint8Array };
}

function execArgs(pairs: [number, Deno.PointerValue][]): Uint8Array {
  const buf = new Uint8Array(16 * pairs.length);
  const view = new DataView(buf.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return buf;
}

function createMemory(lib: DnnlLibrary, md: Deno.PointerValue): Deno.PointerValue {
  const cell = new BigUint64Array(1);
  check(lib.sym.dnnl_memory_create(cell, md, lib.engine, null), "memory_create");
  return outPointer(cell);
}

function createPrimitive(lib: DnnlLibrary, pd: Deno.PointerValue): Deno.PointerValue {
  const cell = new BigUint64Array(1);
  check(lib.sym.dnnl_primitive_create(cell, pd), "primitive_create");
  return outPointer(cell);
}

function reorder(
  lib: DnnlLibrary,
  from: Deno.PointerValue,
  to: Deno.PointerValue,
  fromMem: Deno.PointerValue,
  toMem: Deno.PointerValue,
) {
  const cell = new BigUint64Array(1);
  check(
    lib.sym.dnnl_reorder_primitive_desc_create(cell, from, lib.engine, to, lib.engine, null),
    "reorder_pd",
  );
  const prim = createPrimitive(lib, outPointer(cell));
  return { prim, args: execArgs([[C.arg.from, fromMem], [C.arg.to, toMem]]) };
}

/** Small typed arrays can live inside V8's heap and move; touching `.buffer` pins them off-heap. */
function pinned(a: Float32Array): Float32Array {
  void a.buffer;
  return a;
}

export interface PrimitiveOptions {
  attr?: Deno.PointerValue;
  hint?: Deno.PointerValue;
}

export class DnnlPrimitive {
  readonly pd: Deno.PointerValue;
  readonly impl: string;
  private readonly prim: Deno.PointerValue;
  private readonly staged: Staged[];
  private readonly args: Uint8Array;
  private readonly scratch?: Uint8Array;

  constructor(
    private readonly lib: DnnlLibrary,
    opDesc: Uint8Array,
    bindings: ArgBinding[],
    opts: PrimitiveOptions = {},
  ) {
    const sym = lib.sym;
    const cell = new BigUint64Array(1);
    check(
      sym.dnnl_primitive_desc_create(
        cell,
        opDesc,
        opts.attr ?? null,
        lib.engine,
        opts.hint ?? null,
      ),
      "primitive_desc_create",
    );
    this.pd = outPointer(cell);
    this.prim = createPrimitive(lib, this.pd);
    const info = new BigUint64Array(1);
    check(sym.dnnl_primitive_desc_query(this.pd, C.query.implInfoStr, 0, info), "query impl");
    this.impl = new Deno.UnsafePointerView(outPointer(info)!).getCString();

    this.staged = bindings.map((binding) => {
      const userPtr = Deno.UnsafePointer.of(binding.userMd as Uint8Array<ArrayBuffer>);
      const primMd = sym.dnnl_primitive_desc_query_md(this.pd, C.query.execArgMd, binding.arg);
      const userMem = createMemory(lib, userPtr);
      if (sym.dnnl_memory_desc_equal(primMd, userPtr) === 1) {
        return { binding, userMem, primMem: userMem };
      }
      const primMem = createMemory(lib, primMd);
      const internal = new Float32Array(Number(sym.dnnl_memory_desc_get_size(primMd)) / 4);
      check(sym.dnnl_memory_set_data_handle(primMem, internal), "set_data_handle");
      const r = binding.output
        ? reorder(lib, primMd, userPtr, primMem, userMem)
        : reorder(lib, userPtr, primMd, userMem, primMem);
      return { binding, userMem, primMem, internal, reorder: r };
    });
    const pairs: [number, Deno.PointerValue][] = this.staged.map((s) => [s.binding.arg, s.primMem]);
    const scratchMd = sym.dnnl_primitive_desc_query_md(
      this.pd,
      C.query.execArgMd,
      C.arg.scratchpad,
    );
    const scratchBytes = scratchMd ? Number(sym.dnnl_memory_desc_get_size(scratchMd)) : 0;
    if (scratchBytes > 0) {
      this.scratch = new Uint8Array(scratchBytes);
      const mem = createMemory(lib, scratchMd);
      check(sym.dnnl_memory_set_data_handle(mem, this.scratch), "set scratch");
      pairs.push([C.arg.scratchpad, mem]);
    }
    this.args = execArgs(pairs);
  }

  /** Runs the primitive on the caller's arrays, given in the order of the bindings. */
  execute(arrays: Float32Array[]): void {
    const sym = this.lib.sym;
    const stream = this.lib.stream;
    for (let i = 0; i < this.staged.length; i++) {
      const s = this.staged[i];
      check(sym.dnnl_memory_set_data_handle(s.userMem, pinned(arrays[i])), "set_data_handle");
      if (s.reorder && !s.binding.output) {
        check(sym.dnnl_primitive_execute(s.reorder.prim, stream, 2, s.reorder.args), "reorder in");
      }
    }
    check(
      sym.dnnl_primitive_execute(this.prim, stream, this.args.length / 16, this.args),
      "execute",
    );
    for (const s of this.staged) {
      if (s.reorder && s.binding.output) {
        check(sym.dnnl_primitive_execute(s.reorder.prim, stream, 2, s.reorder.args), "reorder out");
      }
    }
    check(sym.dnnl_stream_wait(stream), "stream_wait");
  }
}

/** Creates a scratchpad-in-user-mode attribute, optionally with one eltwise post-op. */
export function primitiveAttr(
  lib: DnnlLibrary,
  postEltwise?: { alg: number; alpha: number; beta: number },
): Deno.PointerValue {
  const sym = lib.sym;
  const cell = new BigUint64Array(1);
  check(sym.dnnl_primitive_attr_create(cell), "attr_create");
  const attr = outPointer(cell);
  check(sym.dnnl_primitive_attr_set_scratchpad_mode(attr, C.scratchpadUser), "scratchpad_mode");
  if (postEltwise) {
    check(sym.dnnl_post_ops_create(cell), "post_ops_create");
    const ops = outPointer(cell);
    check(
      sym.dnnl_post_ops_append_eltwise(
        ops,
        1,
        postEltwise.alg,
        postEltwise.alpha,
        postEltwise.beta,
      ),
      "append_eltwise",
    );
    check(sym.dnnl_primitive_attr_set_post_ops(attr, ops), "set_post_ops");
  }
  return attr;
}
