/** Command-line values shared by the task scripts, checked into InputErrors that name the flag. */
import { InputError } from "../core/errors.ts";

/** `text` as a whole number ≥ 1; `flag` names it in the error (e.g. "--batch"). */
export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 1) {
    throw new InputError(`${flag} must be a positive integer`, undefined, undefined, text);
  }
  return n;
}

/** positiveInt for an optional flag: undefined when it was not given. */
export function optionalPositiveInt(text: string | undefined, flag: string): number | undefined {
  return text === undefined ? undefined : positiveInt(text, flag);
}
