/**
 * Ctrl-C for the long workspace commands (demo, cv): the first interrupt lets the running training
 * step finish and write its `last` checkpoint (the trainer watches the AbortSignal), the second
 * quits at once. Rerunning the same command with the same run id resumes.
 */

/** A training run stopped on request; its `last` checkpoint is on disk. */
export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterruptedError";
  }
}

/** Run `fn` with an AbortSignal tied to SIGINT; the listener is removed afterwards. */
export async function withInterrupt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) Deno.exit(130);
    console.error(
      "\ninterrupt: finishing the current step and saving `last` (Ctrl-C again to quit now)",
    );
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    return await fn(controller.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}
