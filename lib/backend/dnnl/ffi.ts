/**
 * oneDNN 2.x (libdnnl.so.2, the library behind PyTorch's CPU convolutions) through Deno FFI.
 * Only the C API calls this project uses are bound; enum values are those of oneDNN 2.6
 * (dnnl_types.h), and descriptor buffers are over-allocated so a minor 2.x revision still fits.
 *
 * Handles are passed as plain addresses ("usize") and our own structs as buffers: no
 * Deno.UnsafePointer API, which needs unscoped --allow-ffi, while `deno task` grants FFI only for
 * libraries under /usr/lib (lib/cli/launch.ts). Symbols bound twice (`name:`) take a descriptor
 * either as our buffer or as an address oneDNN returned.
 */

export const DEFAULT_DNNL_PATH = "/usr/lib/x86_64-linux-gnu/libdnnl.so.2";
const LIBC_PATH = "/usr/lib/x86_64-linux-gnu/libc.so.6";

const B = "buffer" as const;
const U = "usize" as const;
const I32 = "i32" as const;
const F32 = "f32" as const;

const SYMBOLS = {
  dnnl_version: { parameters: [], result: U },
  dnnl_engine_create: { parameters: [B, I32, U], result: I32 },
  dnnl_stream_create: { parameters: [B, U, "u32"], result: I32 },
  dnnl_memory_desc_init_by_tag: { parameters: [B, I32, B, I32, I32], result: I32 },
  dnnl_memory_desc_get_size: { parameters: [U], result: U },
  dnnl_memory_desc_equal: { parameters: [U, B], result: I32 },
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
  dnnl_pooling_v2_backward_desc_init: {
    parameters: [B, I32, B, B, B, B, B, B, B],
    result: I32,
  },
  dnnl_batch_normalization_forward_desc_init: { parameters: [B, I32, B, F32, "u32"], result: I32 },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: [B, I32, B, B, F32, "u32"],
    result: I32,
  },
  dnnl_binary_desc_init: { parameters: [B, I32, B, B, B], result: I32 },
  dnnl_primitive_attr_create: { parameters: [B], result: I32 },
  dnnl_primitive_attr_set_scratchpad_mode: { parameters: [U, I32], result: I32 },
  dnnl_primitive_attr_set_post_ops: { parameters: [U, U], result: I32 },
  dnnl_post_ops_create: { parameters: [B], result: I32 },
  dnnl_post_ops_append_eltwise: { parameters: [U, F32, I32, F32, F32], result: I32 },
  dnnl_primitive_desc_create: { parameters: [B, B, U, U, U], result: I32 },
  dnnl_primitive_desc_query_md: { parameters: [U, I32, I32], result: U },
  /** Reorder from our buffer descriptor to a descriptor oneDNN chose. */
  dnnl_reorder_into: {
    name: "dnnl_reorder_primitive_desc_create",
    parameters: [B, B, U, U, U, U],
    result: I32,
  },
  /** Reorder from a descriptor oneDNN chose to our buffer descriptor. */
  dnnl_reorder_from: {
    name: "dnnl_reorder_primitive_desc_create",
    parameters: [B, U, U, B, U, U],
    result: I32,
  },
  dnnl_primitive_create: { parameters: [B, U], result: I32 },
  dnnl_memory_create: { parameters: [B, B, U, U], result: I32 },
  dnnl_memory_create_queried: { name: "dnnl_memory_create", parameters: [B, U, U, U], result: I32 },
  dnnl_memory_set_data_handle: { parameters: [U, B], result: I32 },
  dnnl_primitive_execute: { parameters: [U, U, I32, B], result: I32 },
  dnnl_stream_wait: { parameters: [U], result: I32 },
} as const;

export type DnnlSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** An address oneDNN handed out (engine, primitive, memory, descriptor inside a primitive desc). */
export type Handle = bigint;

/** Enum values and constants of oneDNN 2.6 used here. */
export const C = {
  cpu: 1,
  f32: 3,
  tag: { any: 1, a: 2, ab: 3, nhwc: 20, hwio: 30, hwigo: 33 },
  /** Plain row-major tags by rank 1..5 (a, ab, abc, abcd, abcde). */
  plainTags: [2, 3, 4, 5, 7],
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
    swish: 223,
    poolingMax: 511,
    poolingAvgExcludePadding: 1023,
    binaryAdd: 131056,
    binaryMul: 131057,
    binaryDiv: 131060,
    binarySub: 131061,
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
    workspace: 64,
    from: 1,
    to: 17,
    src1: 2,
    mean: 49,
    variance: 50,
    scale: 51,
    shift: 52,
    diffScale: 255,
    diffShift: 256,
  },
  query: { execArgMd: 255 },
  scratchpadUser: 1,
  bnFlags: { useGlobalStats: 1, useScale: 8, useShift: 16 },
  /** sizeof(dnnl_memory_desc_t) in 2.6 is 696; op descriptors are at most about 6 KB. */
  memoryDescBytes: 1024,
  opDescBytes: 8192,
} as const;

export interface DnnlLibrary {
  path: string;
  version: string;
  sym: DnnlSymbols;
  engine: Handle;
  stream: Handle;
  close(): void;
}

export class DnnlError extends Error {}

export function check(status: number, what: string): void {
  if (status !== 0) throw new DnnlError(`oneDNN ${what} failed with status ${status}`);
}

/** Calls `f` with a one-pointer out-argument and returns what it wrote there. */
export function created(f: (cell: BigUint64Array) => number, what: string): Handle {
  const cell = new BigUint64Array(1);
  check(f(cell), what);
  return cell[0];
}

/** Reads the three ints of `dnnl_version()` (libc's memcpy: no pointer API, see above). */
function readVersion(address: Handle): [number, number, number] {
  const libc = Deno.dlopen(LIBC_PATH, { memcpy: { parameters: [B, U, U], result: U } });
  try {
    const out = new Int32Array(3);
    libc.symbols.memcpy(out, address, 12n);
    return [out[0], out[1], out[2]];
  } finally {
    libc.close();
  }
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
  const [major, minor, patch] = readVersion(BigInt(sym.dnnl_version()));
  const version = `${major}.${minor}.${patch}`;
  if (major !== 2) {
    lib.close();
    throw new DnnlError(`${path} is oneDNN ${version}; this binding needs 2.x`);
  }
  const engine = created((c) => sym.dnnl_engine_create(c, C.cpu, 0n), "engine_create");
  const stream = created((c) => sym.dnnl_stream_create(c, engine, 1), "stream_create");
  loaded = { path, version, sym, engine, stream, close: () => lib.close() };
  return loaded;
}
