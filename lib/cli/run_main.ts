/**
 * The shared tail of every task script: run `main`, exit with its status, and turn bad input
 * (InputError, or a malformed command line) into one `error: …` line and exit status 2 instead of
 * a stack trace. `handle` may claim other errors by returning an exit status. Anything else is a
 * bug and keeps its stack.
 */
import { InputError } from "../core/errors.ts";

export async function runMain(
  main: (args: string[]) => Promise<number>,
  handle: (err: unknown) => number | undefined = () => undefined,
): Promise<never> {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const status = handle(err);
    if (status !== undefined) Deno.exit(status);
    if (
      err instanceof InputError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`error: ${(err as Error).message}`);
      Deno.exit(2);
    }
    throw err;
  }
}
