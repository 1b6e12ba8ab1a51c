import assert from "node:assert/strict";
import { optionalPositiveInt, positiveInt } from "../../lib/cli/args.ts";
import { InputError } from "../../lib/core/errors.ts";

Deno.test("positiveInt: whole numbers ≥ 1 pass; anything else is an InputError naming the flag and value", () => {
  assert.equal(positiveInt("16", "--batch"), 16);
  assert.equal(optionalPositiveInt(undefined, "--batch"), undefined);
  assert.equal(optionalPositiveInt("3", "--limit"), 3);
  for (const bad of ["0", "-2", "1.5", "abc", "", " "]) {
    assert.throws(
      () => positiveInt(bad, "--batch"),
      (e: unknown) =>
        e instanceof InputError && /--batch must be a positive integer/.test(e.message),
      JSON.stringify(bad),
    );
  }
});
