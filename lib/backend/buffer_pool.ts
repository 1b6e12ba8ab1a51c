/**
 * Recycles the large Float32Arrays of the cpu-dnnl backend. Every tfjs op allocates a fresh output;
 * for a training step that is hundreds of 8–50 MB arrays, and on this VM touching fresh pages made
 * a 2 M-element ReLU take about 12 ms instead of 1.3 ms with a reused array (bench/README numbers).
 *
 * Safety rules, since an array handed back too early would corrupt a live tensor:
 * - only arrays this pool allocated are recycled (never an array a user passed to tf.tensor);
 * - an array stored under several data ids is recycled after the last one is disposed;
 * - a buffer seen as a view (tfjs's cpu slice returns subarrays) or read out by the user
 *   (dataSync/data return the backend's own array on cpu) is pinned and never recycled.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";

/** Arrays below this many elements are cheap to allocate and are left to the GC. */
const MIN_POOLED = 1 << 14;

const MIB = 2 ** 20;

/**
 * The cap on bytes kept for reuse: `BIOMETRY_POOL_MB` if set, else a quarter of the machine's
 * memory, at least 768 MiB. It must hold what one training step frees: a `unet-fine/cpu` step
 * (unet-r18-w0.5, batch 16, 256 px) frees about 2.4 GB of transient arrays, and under the former
 * fixed 768 MiB it page-faulted 1.6 GB of fresh arrays every step (3.4 s a step against 1.6 s, one
 * thread; peak memory 3.0 against 2.9 GB, since the arrays it drops wait for the GC anyway).
 */
export function defaultPoolBytes(): number {
  const raw = Deno.env.get("BIOMETRY_POOL_MB")?.trim();
  if (raw !== undefined && raw !== "") {
    const mb = Number(raw);
    if (!(Number.isFinite(mb) && mb >= 0)) {
      throw new InputError(
        "pool size must be a number of MiB ≥ 0",
        "BIOMETRY_POOL_MB",
        undefined,
        raw,
      );
    }
    return mb * MIB;
  }
  // Asked first, so that a run without --allow-sys keeps the floor instead of prompting.
  const sys = Deno.permissions.querySync({ name: "sys", kind: "systemMemoryInfo" });
  const total = sys.state === "granted" ? Deno.systemMemoryInfo().total : 0;
  return Math.max(768 * MIB, Math.floor(total / 4));
}

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly owned = new WeakSet<ArrayBuffer>();
  private readonly pinned = new WeakSet<ArrayBuffer>();
  private readonly holders = new WeakMap<Float32Array, number>();
  private freeBytes = 0;

  constructor(readonly maxFreeBytes = defaultPoolBytes()) {}

  /** An array of n floats with unspecified contents (the caller overwrites every element). */
  alloc(n: number): Float32Array {
    if (n < MIN_POOLED) return new Float32Array(n);
    const reused = this.free.get(n)?.pop();
    if (reused) {
      this.freeBytes -= reused.byteLength;
      return reused;
    }
    const fresh = new Float32Array(n);
    this.owned.add(fresh.buffer);
    return fresh;
  }

  /** An array of n zeros. */
  allocZeroed(n: number): Float32Array {
    const reused = n >= MIN_POOLED ? this.free.get(n)?.pop() : undefined;
    if (!reused) return this.alloc(n); // fresh memory is zeroed
    this.freeBytes -= reused.byteLength;
    return reused.fill(0);
  }

  private whole(values: Float32Array): boolean {
    return values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
  }

  /** The backend stored `values` under a data id. */
  adopt(values: unknown): void {
    if (!(values instanceof Float32Array) || !this.owned.has(values.buffer as ArrayBuffer)) return;
    if (!this.whole(values)) this.pinned.add(values.buffer as ArrayBuffer);
    else this.holders.set(values, (this.holders.get(values) ?? 0) + 1);
  }

  /** Someone outside the backend holds `values` now: never recycle it. */
  pin(values: unknown): void {
    if (values instanceof Float32Array && this.owned.has(values.buffer as ArrayBuffer)) {
      this.pinned.add(values.buffer as ArrayBuffer);
    }
  }

  /** The backend dropped one data id holding `values`. */
  release(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buffer = values.buffer as ArrayBuffer;
    if (!this.owned.has(buffer) || this.pinned.has(buffer) || !this.whole(values)) return;
    const left = (this.holders.get(values) ?? 1) - 1;
    if (left > 0) {
      this.holders.set(values, left);
      return;
    }
    this.holders.delete(values);
    if (this.freeBytes + values.byteLength > this.maxFreeBytes) return;
    const list = this.free.get(values.length) ?? [];
    list.push(values);
    this.free.set(values.length, list);
    this.freeBytes += values.byteLength;
  }

  /** Bytes waiting for reuse. */
  get pooledBytes(): number {
    return this.freeBytes;
  }
}

type DataId = object;

/** MathBackendCPU whose float32 outputs come from, and return to, a BufferPool. */
export class PooledCpuBackend extends tf.MathBackendCPU {
  constructor(readonly pool: BufferPool) {
    super();
    (this as unknown as { firstUse: boolean }).firstUse = false; // no "install tfjs-node" banner
  }

  override write(
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
  ): DataId {
    this.pool.adopt(values);
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    this.pool.pin(values);
    return values;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const deleted = super.disposeData(dataId, force);
    if (deleted && values !== undefined && !this.data.has(dataId)) this.pool.release(values);
    return deleted;
  }
}
