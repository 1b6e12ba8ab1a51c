/**
 * oneDNN 2.x (libdnnl.so.2, the library behind PyTorch's CPU convolutions) through Deno FFI.
 * Only the C API calls this project uses are bound. Struct sizes and enum values are those of
 * oneDNN 2.6 (dnnl_types.h); `descBuffers` over-allocates so a minor 2.x revision still fits.
 */

export const DEFAULT_DNNL_PATH = "/usr/lib/x86_64-linux-gnu/libdnnl.so.2";

const P = "pointer" as const;
const B = "buffer" as const;
const I32 = "i32" as const;
const F32 = "f32" as const;

const SYMBOLS = {
  dnnl_version: { parameters: [], result: P },
  dnnl_engine_create: { parameters: [B, I32, "usize"], result: I32 },
  dnnl_stream_create: { parameters: [B, P, "u32"], result: I32 },
  dnnl_memory_desc_init_by_tag: { parameters: [B, I32, B, I32, I32], result: I32 },
  dnnl_memory_desc_get_size: { parameters: [P], result: "usize" },
  dnnl_memory_desc_equal: { parameters: [P, P], result: I32 },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [B, I32, I32, B, B, B, B, B, B, B, B],
    result: I32,
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [B, I32, B, B, B, B, B, B, B],
    result: I32,
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [B, I32, B, B, B, B, B, B, B, B],
    result: I32,
  },
  dnnl_eltwise_forward_desc_init: { parameters: [B, I32, I32, B, F32, F32], result: I32 },
  dnnl_eltwise_backward_desc_init: { parameters: [B, I32, B, B, F32, F32], result: I32 },
  dnnl_pooling_v2_forward_desc_init: {
    parameters: [B, I32, I32, B, B, B, B, B, B, B],
    result: I32,
  },
  dnnl_primitive_attr_create: { parameters: [B], result: I32 },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: [P, I32], result: I32 },
  dnnl_primitive_attr_set_post_ops: { parameters: [P, P], result: I32 },
  dnnl_post_ops_create: { parameters: [B], result: I32 },
  dnnl_post_ops_append_eltwise: { parameters: [P, F32, I32, F32, F32], result: I32 },
  dnnl_primitive_desc_create: { parameters: [B, B, P, P, P], result: I32 },
  dnnl_primitive_desc_query: { parameters: [P, I32, I32, B], result: I32 },
  dnnl_primitive_desc_query_md: { parameters: [P, I32, I32], result: P },
  dnnl_primitive_desc_destroy: { parameters: [P], result: I32 },
  dnnl_reorder_primitive_desc_create: { parameters: [B, P, P, P, P, P], result: I32 },
  dnnl_primitive_create: { parameters: [B, P], result: I32 },
  dnnl_memory_create: { parameters: [B, P, P, P], result: I32 },
  dnnl_memory_set_data_handle: { parameters: [P, B], result: I32 },
  dnnl_primitive_execute: { parameters: [P, P, I32, B], result: I32 },
  dnnl_stream_wait: { parameters: [P], result: I32 },
} as const;

export type DnnlSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Enum values and constants of oneDNN 2.6 used here. */
export const C = {
  cpu: 1,
  f32: 3,
  tag: { any: 1, a: 2, nhwc: 20, hwio: 30, hwigo: 33 },
  prop: {
    forwardTraining: 64,
    forwardInference: 96,
    backward: 128,
    backwardData: 160,
    backwardWeights: 192,
  },
  alg: {
    convDirect: 1,
    logistic: 175,
    exp: 191,
    tanh: 47,
    poolingMax: 511,
    poolingAvgExcludePadding: 1023,
  },
  arg: {
    src: 1,
    dst: 17,
    weights: 33,
    bias: 41,
    diffSrc: 129,
    diffDst: 145,
    diffWeights: 161,
    diffBias: 169,
    scratchpad: 80,
    from: 1,
    to: 17,
  },
  query: { implInfoStr: 8, execArgMd: 255 },
  scratchpadUser: 1,
  /** sizeof(dnnl_memory_desc_t) in 2.6 is 696; op descriptors are at most about 6 KB. */
  memoryDescBytes: 1024,
  opDescBytes: 8192,
} as const;

export interface DnnlLibrary {
  path: string;
  version: string;
  sym: DnnlSymbols;
  engine: Deno.PointerValue;
  stream: Deno.PointerValue;
  close(): void;
}

export class DnnlError extends Error {}

export function check(status: number, what: string): void {
  if (status !== 0) throw new DnnlError(`oneDNN ${what} failed with status ${status}`);
}

/** Reads the pointer a C function wrote through a `T**` out-argument. */
export function outPointer(cell: BigUint64Array): Deno.PointerValue {
  return Deno.UnsafePointer.create(cell[0]);
}

let loaded: DnnlLibrary | undefined;

/**
 * Opens libdnnl (path from `BIOMETRY_DNNL_PATH`, else the Debian path) once per process. OpenMP
 * reads OMP_NUM_THREADS when the library loads, so the thread count is fixed here.
 */
export function loadDnnl(threads: number): DnnlLibrary {
  if (loaded) return loaded;
  const path = Deno.env.get("BIOMETRY_DNNL_PATH") || DEFAULT_DNNL_PATH;
  Deno.env.set("OMP_NUM_THREADS", String(threads));
  const lib = Deno.dlopen(path, SYMBOLS);
  const sym = lib.symbols;
  const v = new Deno.UnsafePointerView(sym.dnnl_version()!);
  const version = `${v.getInt32(0)}.${v.getInt32(4)}.${v.getInt32(8)}`;
  if (v.getInt32(0) !== 2) {
    lib.close();
    throw new DnnlError(`${path} is oneDNN ${version}; this binding needs 2.x`);
  }
  const cell = new BigUint64Array(1);
  check(sym.dnnl_engine_create(cell, C.cpu, 0n), "engine_create");
  const engine = outPointer(cell);
  check(sym.dnnl_stream_create(cell, engine, 1), "stream_create");
  const stream = outPointer(cell);
  loaded = { path, version, sym, engine, stream, close: () => lib.close() };
  return loaded;
}
