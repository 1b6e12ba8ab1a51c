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
