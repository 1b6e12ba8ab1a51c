/**
 * The shared tail of every task script: run `main`, exit with its status, and turn bad input
 * (InputError, or a malformed command line) into one `error: …` line and exit status 2 instead of
 * a stack trace; the wasm backend running out of memory gets its own line and status 1. `handle`
 * may claim other errors by returning an exit status. Anything else is a bug and keeps its stack.
 */
import { InputError } from "../core/errors.ts";

/**
 * tfjs-backend-wasm's heap stops at 4 GiB (its WebAssembly.Memory maximum); an allocation past it
 * traps as "memory access out of bounds" instead of failing cleanly. Nothing else here runs wasm.
 */
function isWasmOutOfMemory(err: unknown): boolean {
  return err instanceof WebAssembly.RuntimeError && /memory access out of bounds/.test(err.message);
}

export const WASM_OUT_OF_MEMORY = "the wasm backend ran out of memory: its heap stops at 4 GiB " +
  "(WebAssembly trapped: memory access out of bounds). Use a smaller --batch or --size (a " +
  "training then needs a new run: --resume replays the saved batch size), or install oneDNN " +
  "(`deno task setup`) so the cpu-dnnl backend runs, which has no such limit";

export async function runMain(
  main: (args: string[]) => Promise<number>,
  handle: (err: unknown) => number | undefined = () => undefined,
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const status = handle(err);
    if (status !== undefined) Deno.exit(status);
    if (isWasmOutOfMemory(err)) {
      console.error(`error: ${WASM_OUT_OF_MEMORY}`);
      Deno.exit(1);
    }
    if (
      err instanceof InputError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`error: ${(err as Error).message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
