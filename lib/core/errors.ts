/** Bad user input: the message names the file, row and value so the user can fix it. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly row?: number,
    readonly value?: unknown,
  ) {
    const where = [file, row !== undefined ? `row ${row}` : undefined].filter(Boolean).join(", ");
    const what = value !== undefined ? ` (value: ${JSON.stringify(value)})` : "";
    super(where ? `${where}: ${message}${what}` : `${message}${what}`);
    this.name = "InputError";
  }
}

/**
 * The InputError for a path that could not be read (`what`: "CSV", "input", …). Under `deno task`
 * a path that does not exist is not granted either, so NotCapable says the same as NotFound.
 */
export function unreadable(
  err: unknown,
  path: string,
  what: string,
  missing = `${what} not found`,
): InputError {
  if (err instanceof Deno.errors.NotFound) return new InputError(missing, path);
  if (err instanceof Deno.errors.NotCapable) {
    return new InputError(
      `cannot read this ${what}: it does not exist, or lies outside what this task may read ` +
        "(the project, --data, and paths named on the command line)",
      path,
    );
  }
  return new InputError(`cannot read ${what}: ${(err as Error).message}`, path);
}
