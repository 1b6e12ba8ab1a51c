/**
 * Run-time choice of the TensorFlow.js backend.
 *
 * Order of preference: tfjs-node-gpu → tfjs-node → cpu-dnnl (this project's fast CPU path through
 * oneDNN) → wasm → cpu. `opts.prefer` (a CLI flag) or the environment variable `BIOMETRY_BACKEND`
 * moves one backend to the front. The report always says which backend runs and why every better
 * one was skipped, so a slow run is never a silent surprise.
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../core/errors.ts";

export const BACKEND_ORDER = ["tfjs-node-gpu", "tfjs-node", "cpu-dnnl", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendReport {
  /** The backend that runs. */
  name: BackendName;
  /** Every backend tried before `name`, with the reason it was not used. */
  reasons: { backend: BackendName; skipped: string }[];
  /** Threads the heavy kernels use. */
  threads: number;
  /** Backend-specific facts (library path and version, SIMD, tfjs backend name…). */
  details: Record<string, string | number | boolean>;
}

export interface InitBackendOptions {
  /** Try this backend first (overrides `BIOMETRY_BACKEND`). */
  prefer?: string;
  /** Threads for native kernels; default `BIOMETRY_THREADS`, else the cores the load leaves idle. */
  threads?: number;
}

interface Activated {
  tfName: string;
  threads: number;
  details: Record<string, string | number | boolean>;
}

type Activator = (threads: number) => Promise<Activated>;

const WASM_DIST = new URL(
  "../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
  import.meta.url,
);

/** Loads a tfjs-node flavour; the specifier is computed so `deno check` never tries to resolve it. */
async function activateTfjsNode(pkg: string): Promise<Activated> {
  const specifier = ["@tensorflow", pkg].join("/");
  await import(specifier);
  if (!(await tf.setBackend("tensorflow"))) {
    throw new Error(`${pkg} loaded but 'tensorflow' failed`);
  }
  return {
    tfName: "tensorflow",
    threads: navigator.hardwareConcurrency,
    details: { package: pkg },
  };
}

async function activateCpuDnnl(threads: number): Promise<Activated> {
  const { registerCpuDnnlBackend, CPU_DNNL } = await import("./dnnl_backend.ts");
  const info = registerCpuDnnlBackend(threads);
  if (!(await tf.setBackend(CPU_DNNL))) throw new Error("tf.setBackend('cpu-dnnl') failed");
  return { tfName: CPU_DNNL, threads: info.threads, details: { ...info.details } };
}

async function activateWasm(): Promise<Activated> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const { registerWasmGradientKernels } = await import("./wasm_gradients.ts");
  wasm.setWasmPaths(WASM_DIST.pathname);
  if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') failed");
  const added = registerWasmGradientKernels();
  return {
    tfName: "wasm",
    threads: wasm.getThreadsCount(),
    details: { wasmPath: WASM_DIST.pathname, gradientKernelsAdded: added.join(",") },
  };
}

async function activateCpu(): Promise<Activated> {
  if (!(await tf.setBackend("cpu"))) throw new Error("tf.setBackend('cpu') failed");
  return { tfName: "cpu", threads: 1, details: {} };
}

const ACTIVATORS: Record<BackendName, Activator> = {
  "tfjs-node-gpu": () => activateTfjsNode("tfjs-node-gpu"),
  "tfjs-node": () => activateTfjsNode("tfjs-node"),
  "cpu-dnnl": activateCpuDnnl,
  "wasm": activateWasm,
  "cpu": activateCpu,
};

function isBackendName(name: string): name is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(name);
}

/**
 * Threads for native kernels: the option, else BIOMETRY_THREADS, else the cores left idle by the
 * 1-minute load average (at least 1). OpenMP threads that outnumber free cores stall at every
 * barrier: on this shared 2-core machine at load 9–12, two threads ran the U-Net 5× slower than one
 * (1.52 against 7.91 img/s, lib/backend/README.md), and PyTorch suffered the same.
 */
function chooseThreads(opts: InitBackendOptions): { threads: number; why: string } {
  const raw = opts.threads ?? Deno.env.get("BIOMETRY_THREADS");
  const cores = navigator.hardwareConcurrency;
  if (raw === undefined || raw === "") {
    const load = Deno.loadavg()[0];
    const threads = Math.max(1, Math.min(cores, Math.floor(cores - load + 0.5)));
    return { threads, why: `load average ${load.toFixed(1)} on ${cores} cores` };
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError(
      "thread count must be a positive integer",
      opts.threads !== undefined ? "threads option" : "BIOMETRY_THREADS",
      undefined,
      raw,
    );
  }
  return { threads: n, why: opts.threads !== undefined ? "threads option" : "BIOMETRY_THREADS" };
}

type QuietableCpu = tf.KernelBackend & { firstUse?: boolean };

/**
 * tfjs's cpu backend prints an "install tfjs-node" banner on its first write (tfjs-node cannot be
 * installed here). Silence it on the backend that runs and on `cpu`, which tests use as reference.
 */
function silenceCpuBanner(tfName: string): void {
  for (const name of new Set([tfName, "cpu"])) {
    const live = tf.findBackend(name) as QuietableCpu | null;
    if (live) {
      if ("firstUse" in live) live.firstUse = false;
    } else if (name === "cpu" && tf.findBackendFactory("cpu")) {
      tf.removeBackend("cpu");
      tf.registerBackend(
        "cpu",
        () => Object.assign(new tf.MathBackendCPU(), { firstUse: false }),
        1,
      );
    }
  }
}

/**
 * Picks and activates the best backend available. Safe to call more than once: each call
 * re-evaluates the order (tfjs keeps registered backends, so repeat activations are cheap).
 */
export async function initBackend(opts: InitBackendOptions = {}): Promise<BackendReport> {
  const prefer = opts.prefer ?? Deno.env.get("BIOMETRY_BACKEND") ?? "";
  if (prefer !== "" && !isBackendName(prefer)) {
    throw new InputError(
      `unknown backend; expected one of ${BACKEND_ORDER.join(", ")}`,
      opts.prefer !== undefined ? "--backend" : "BIOMETRY_BACKEND",
      undefined,
      prefer,
    );
  }
  const { threads, why } = chooseThreads(opts);
  const order: BackendName[] = prefer === ""
    ? [...BACKEND_ORDER]
    : [prefer as BackendName, ...BACKEND_ORDER.filter((b) => b !== prefer)];
  const reasons: BackendReport["reasons"] = [];
  for (const name of order) {
    try {
      const active = await ACTIVATORS[name](threads);
      await tf.ready();
      silenceCpuBanner(active.tfName);
      return {
        name,
        reasons,
        threads: active.threads,
        details: {
          tfBackend: active.tfName,
          requested: prefer || "auto",
          threadsChosenBy: why,
          ...active.details,
        },
      };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      reasons.push({ backend: name, skipped: message.split("\n")[0] });
    }
  }
  throw new Error(`no tfjs backend could start: ${JSON.stringify(reasons)}`);
}

/** One line per backend, for logs and notebook output. */
export function formatBackendReport(report: BackendReport): string {
  const lines = [`backend: ${report.name} (${report.threads} thread(s))`];
  for (const r of report.reasons) lines.push(`  skipped ${r.backend}: ${r.skipped}`);
  const details = Object.entries(report.details).map(([k, v]) => `${k}=${v}`).join(", ");
  if (details) lines.push(`  ${details}`);
  return lines.join("\n");
}
