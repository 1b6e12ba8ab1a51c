/**
 * A oneDNN primitive bound to tfjs's plain layouts (NHWC activations, HWIO filters). oneDNN may
 * pick a faster internal layout (`tag.any`); then the primitive reorders from/to the caller's
 * arrays around each call through temporary buffers. Those buffers and the (user-managed)
 * scratchpads only live during one call, and calls run one at a time, so all primitives share one
 * set of arena slots: per-primitive buffers had taken an MBConv training process to 4.1 GB.
 */
import { C, check, created, type DnnlLibrary, type Handle } from "./ffi.ts";

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
  /**
   * The layout of the caller's array (a `memoryDesc` with a plain tag), or null for the
   * primitive's own: opaque bytes (`bytesOf(arg)`), e.g. a workspace one primitive writes and
   * another reads.
   */
  userMd: Uint8Array | null;
  /** true when oneDNN writes this argument. */
  output: boolean;
}

interface Staged {
  binding: ArgBinding;
  userMem: Handle;
  primMem: Handle;
  /** Present when the primitive wants another layout: arena bytes + reorder. */
  reorder?: { prim: Handle; args: Uint8Array; bytes: number };
}

/** Temporary buffers shared by every primitive: slot i serves binding i, the last one scratchpads. */
class Arena {
  private readonly slots: Uint8Array[] = [];

  get(slot: number, bytes: number): Uint8Array {
    const current = this.slots[slot];
    if (current && current.length >= bytes) return current;
    const grown = new Uint8Array(Math.max(bytes, Math.ceil((current?.length ?? 0) * 1.25)));
    this.slots[slot] = grown;
    return grown;
  }
}

/** Bindings use slots 0…MAX_BINDINGS − 1; the scratchpad has the slot after them. */
const MAX_BINDINGS = 15;
const SCRATCH_SLOT = MAX_BINDINGS;
const arenas = new WeakMap<DnnlLibrary, Arena>();

function arenaOf(lib: DnnlLibrary): Arena {
  let arena = arenas.get(lib);
  if (!arena) arenas.set(lib, arena = new Arena());
  return arena;
}

/** A dnnl_exec_arg_t array: { int arg; dnnl_memory_t memory; } per entry, 16 bytes. */
function execArgs(pairs: [number, Handle][]): Uint8Array {
  const buf = new Uint8Array(16 * pairs.length);
  const view = new DataView(buf.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, mem, true);
  });
  return buf;
}

function primitive(lib: DnnlLibrary, pd: Handle): Handle {
  return created((c) => lib.sym.dnnl_primitive_create(c, pd), "primitive_create");
}

/** Small typed arrays can live inside V8's heap and move; touching `.buffer` pins them off-heap. */
function pinned(a: Float32Array): Float32Array {
  void a.buffer;
  return a;
}

export interface PrimitiveOptions {
  attr?: Handle;
  hint?: Handle;
}

export class DnnlPrimitive {
  readonly pd: Handle;
  private readonly prim: Handle;
  private readonly staged: Staged[];
  private readonly args: Uint8Array;
  private readonly scratch?: { mem: Handle; bytes: number };
  private readonly arena: Arena;

  constructor(
    private readonly lib: DnnlLibrary,
    opDesc: Uint8Array,
    bindings: ArgBinding[],
    opts: PrimitiveOptions = {},
  ) {
    const sym = lib.sym;
    if (bindings.length > MAX_BINDINGS) {
      throw new RangeError(
        `a primitive binds at most ${MAX_BINDINGS} arrays, got ${bindings.length}`,
      );
    }
    this.arena = arenaOf(lib);
    this.pd = created(
      (c) =>
        sym.dnnl_primitive_desc_create(c, opDesc, opts.attr ?? 0n, lib.engine, opts.hint ?? 0n),
      "primitive_desc_create",
    );
    this.prim = primitive(lib, this.pd);
    this.staged = bindings.map((binding) => {
      const user = binding.userMd;
      const primMd = BigInt(
        sym.dnnl_primitive_desc_query_md(this.pd, C.query.execArgMd, binding.arg),
      );
      if (user === null) {
        const mem = created(
          (c) => sym.dnnl_memory_create_queried(c, primMd, lib.engine, 0n),
          "memory_create",
        );
        return { binding, userMem: mem, primMem: mem };
      }
      const userMem = created(
        (c) => sym.dnnl_memory_create(c, user, lib.engine, 0n),
        "memory_create",
      );
      if (sym.dnnl_memory_desc_equal(primMd, user) === 1) {
        return { binding, userMem, primMem: userMem };
      }
      const primMem = created(
        (c) => sym.dnnl_memory_create_queried(c, primMd, lib.engine, 0n),
        "memory_create",
      );
      const bytes = Number(sym.dnnl_memory_desc_get_size(primMd));
      const pd = binding.output
        ? created(
          (c) => sym.dnnl_reorder_from(c, primMd, lib.engine, user, lib.engine, 0n),
          "reorder_pd",
        )
        : created(
          (c) => sym.dnnl_reorder_into(c, user, lib.engine, primMd, lib.engine, 0n),
          "reorder_pd",
        );
      const args = binding.output
        ? execArgs([[C.arg.from, primMem], [C.arg.to, userMem]])
        : execArgs([[C.arg.from, userMem], [C.arg.to, primMem]]);
      return { binding, userMem, primMem, reorder: { prim: primitive(lib, pd), args, bytes } };
    });
    const pairs: [number, Handle][] = this.staged.map((s) => [s.binding.arg, s.primMem]);
    const scratchMd = BigInt(
      sym.dnnl_primitive_desc_query_md(this.pd, C.query.execArgMd, C.arg.scratchpad),
    );
    const scratchBytes = scratchMd !== 0n ? Number(sym.dnnl_memory_desc_get_size(scratchMd)) : 0;
    if (scratchBytes > 0) {
      const mem = created(
        (c) => sym.dnnl_memory_create_queried(c, scratchMd, lib.engine, 0n),
        "memory_create",
      );
      this.scratch = { mem, bytes: scratchBytes };
      pairs.push([C.arg.scratchpad, mem]);
    }
    this.args = execArgs(pairs);
  }

  /** Bytes of an argument in the primitive's own layout (what a `userMd: null` binding holds). */
  bytesOf(arg: number): number {
    const sym = this.lib.sym;
    return Number(
      sym.dnnl_memory_desc_get_size(
        sym.dnnl_primitive_desc_query_md(this.pd, C.query.execArgMd, arg),
      ),
    );
  }

  /** Runs the primitive on the caller's arrays, given in the order of the bindings. */
  execute(arrays: Float32Array[]): void {
    const sym = this.lib.sym;
    const stream = this.lib.stream;
    for (let i = 0; i < this.staged.length; i++) {
      const s = this.staged[i];
      check(sym.dnnl_memory_set_data_handle(s.userMem, pinned(arrays[i])), "set_data_handle");
      if (!s.reorder) continue;
      check(
        sym.dnnl_memory_set_data_handle(s.primMem, this.arena.get(i, s.reorder.bytes)),
        "set_data_handle",
      );
      if (!s.binding.output) {
        check(sym.dnnl_primitive_execute(s.reorder.prim, stream, 2, s.reorder.args), "reorder in");
      }
    }
    if (this.scratch) {
      const { mem, bytes } = this.scratch;
      check(
        sym.dnnl_memory_set_data_handle(mem, this.arena.get(SCRATCH_SLOT, bytes)),
        "set scratch",
      );
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
): Handle {
  const sym = lib.sym;
  const attr = created((c) => sym.dnnl_primitive_attr_create(c), "attr_create");
  check(sym.dnnl_primitive_attr_set_scratchpad_mode(attr, C.scratchpadUser), "scratchpad_mode");
  if (postEltwise) {
    const ops = created((c) => sym.dnnl_post_ops_create(c), "post_ops_create");
    const { alg, alpha, beta } = postEltwise;
    check(sym.dnnl_post_ops_append_eltwise(ops, 1, alg, alpha, beta), "append_eltwise");
    check(sym.dnnl_primitive_attr_set_post_ops(attr, ops), "set_post_ops");
  }
  return attr;
}
