/**
 * Training and inference throughput of the reference U-Net (at 128 px, batch 8, and at 256 px,
 * batch 16: `unet256`) and the MBConv regressor (bench/models.ts) on every backend that starts
 * here, next to PyTorch (bench/torch_reference.py, Debian's torch, same thread count; with glibc's
 * allocator and with jemalloc). Each configuration runs in its own process (oneDNN's OpenMP
 * thread count is fixed at load), PyTorch and tfjs interleaved `BENCH_REPEAT` times (default 1);
 * the table shows medians. The machine is shared: numbers move with the load. Env: BENCH_MODELS
 * (unet,mbconv; add unet256 for the training size: PyTorch on glibc takes about 25 s a step there,
 * and wasm is not run for it), BENCH_THREADS (2,1), BENCH_REPEAT (1), BENCH_WASM=0 skips the slow
 * wasm rows. "×torch" is against PyTorch on glibc, "×jemalloc" against the jemalloc twin.
 *
 * Run alone: deno run -A bench/sections/training.ts
 */
import type { SectionResult } from "../main.ts";
import type { WorkerResult } from "../train_worker.ts";

const PYTHON = "/usr/bin/python3";
/** What a measurement needs: read the project, load oneDNN (Debian) and sharp-free tfjs, set OMP env. */
const WORKER_PERMISSIONS = [
  "--allow-read",
  "--allow-env",
  "--allow-sys",
  `--allow-ffi=/usr/lib,${new URL("../../node_modules", import.meta.url).pathname}`,
];
const ROOT = new URL("../../", import.meta.url).pathname;

interface TorchResult {
  params: number;
  train_img_per_s: number;
  infer_img_per_s: number;
}

async function runJson<T>(cmd: string, args: string[]): Promise<T | string> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stderr: "piped", stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  if (out.code !== 0) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) =>
      /error/i.test(l)
    )[0];
    return err ?? `exit ${out.code}`;
  }
  return JSON.parse(text) as T;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (v: number) => Math.round(v * 100) / 100;

export async function run(): Promise<SectionResult> {
  const repeat = Number(Deno.env.get("BENCH_REPEAT") ?? 1);
  const models = (Deno.env.get("BENCH_MODELS") ?? "unet,mbconv").split(",");
  const threadCounts = (Deno.env.get("BENCH_THREADS") ?? "2,1").split(",").map(Number);
  const rows: Record<string, string | number>[] = [];
  for (const model of models) {
    for (const threads of threadCounts) {
      const configs = [
        { backend: "cpu-dnnl", threads },
        ...(threads === 1 && model !== "unet256" && Deno.env.get("BENCH_WASM") !== "0"
          ? [{ backend: "wasm", threads: 1 }]
          : []),
      ];
      const torch: TorchResult[] = [];
      const torchJemalloc: TorchResult[] = [];
      const ours = new Map<string, WorkerResult[]>();
      const failures = new Map<string, string>();
      const torchArgs = [
        "bench/torch_reference.py",
        "--model",
        model,
        "--threads",
        String(threads),
      ];
      for (let r = 0; r < repeat; r++) {
        const t = await runJson<TorchResult>(PYTHON, torchArgs);
        if (typeof t === "string") failures.set("pytorch", t);
        else torch.push(t);
        // glibc returns arrays above 32 MB to the kernel, so PyTorch page-faults its large
        // activations afresh every step (as tfjs did before buffer_pool.ts's cap); jemalloc, set
        // to keep freed pages, does not.
        const j = await runJson<TorchResult>(PYTHON, [...torchArgs, "--allocator", "jemalloc"]);
        if (typeof j === "string") failures.set("pytorch + jemalloc", j);
        else torchJemalloc.push(j);
        for (const c of configs) {
          const w = await runJson<WorkerResult>(Deno.execPath(), [
            "run",
            ...WORKER_PERMISSIONS,
            "bench/train_worker.ts",
            "--backend",
            c.backend,
            "--threads",
            String(c.threads),
            "--model",
            model,
          ]);
          if (typeof w === "string") failures.set(c.backend, w);
          else ours.set(c.backend, [...(ours.get(c.backend) ?? []), w]);
        }
      }
      const torchTrain = torch.length ? median(torch.map((t) => t.train_img_per_s)) : NaN;
      const torchInfer = torch.length ? median(torch.map((t) => t.infer_img_per_s)) : NaN;
      const jTrain = median(torchJemalloc.map((t) => t.train_img_per_s));
      const jInfer = median(torchJemalloc.map((t) => t.infer_img_per_s));
      rows.push({
        model,
        backend: "pytorch 1.13",
        threads,
        "train img/s": torch.length ? round(torchTrain) : failures.get("pytorch") ?? "",
        "infer img/s": torch.length ? round(torchInfer) : "",
        "train ×torch": torch.length ? 1 : "",
        "infer ×torch": torch.length ? 1 : "",
        "train ×jemalloc": torch.length && torchJemalloc.length ? round(torchTrain / jTrain) : "",
      });
      rows.push({
        model,
        backend: "pytorch 1.13 + jemalloc",
        threads,
        "train img/s": torchJemalloc.length
          ? round(jTrain)
          : failures.get("pytorch + jemalloc") ?? "",
        "infer img/s": torchJemalloc.length ? round(jInfer) : "",
        "train ×torch": torchJemalloc.length ? round(jTrain / torchTrain) : "",
        "infer ×torch": torchJemalloc.length ? round(jInfer / torchInfer) : "",
        "train ×jemalloc": torchJemalloc.length ? 1 : "",
      });
      for (const c of configs) {
        const got = ours.get(c.backend);
        if (!got) {
          rows.push({
            model,
            backend: c.backend,
            threads: c.threads,
            "train img/s": `failed: ${failures.get(c.backend)}`,
          });
          continue;
        }
        const train = median(got.map((g) => g.trainImgPerSec)),
          infer = median(got.map((g) => g.inferImgPerSec));
        rows.push({
          model,
          backend: c.backend,
          threads: c.threads,
          "train img/s": round(train),
          "infer img/s": round(infer),
          "train ×torch": round(train / torchTrain),
          "infer ×torch": round(infer / torchInfer),
          "train ×jemalloc": torchJemalloc.length ? round(train / jTrain) : "",
        });
      }
    }
  }
  rows.push({
    model: "both",
    backend: "cpu",
    threads: 1,
    "train img/s": "not run: one U-Net step took 1219 s (STACK-NOTES)",
  });
  return {
    title: `Training / inference throughput (batch 8; unet256: batch 16), median of ${repeat} ` +
      "run(s) per configuration",
    rows,
  };
}

if (import.meta.main) {
  const { formatTable } = await import("../main.ts");
  console.log(formatTable(await run()));
}
