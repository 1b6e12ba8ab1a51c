export const CPU_DNNL = "cpu-dnnl";
export function registerCpuDnnlBackend(
  _threads: number,
): { threads: number; details: Record<string, string> } {
  throw new Error("oneDNN fast path not built yet");
}
