import assert from "node:assert/strict";
import { formatCell, markdownTable, tableColumns, textTable } from "../../lib/notebook/table.ts";

Deno.test("formatCell: integers as is, decimals fixed, NaN/∞/missing explicit", () => {
  const cases: [Parameters<typeof formatCell>[0], number | undefined, string][] = [
    [3, undefined, "3"],
    [3.14159, undefined, "3.142"],
    [3.14159, 1, "3.1"],
    [-0.5, 2, "-0.50"],
    [NaN, undefined, "–"],
    [Infinity, undefined, "∞"],
    [-Infinity, undefined, "-∞"],
    [null, undefined, ""],
    [undefined, undefined, ""],
    [true, undefined, "true"],
    ["x", undefined, "x"],
  ];
  for (const [v, digits, want] of cases) assert.equal(formatCell(v, digits), want, String(v));
});

Deno.test("columns: union in first-seen order, or as given", () => {
  assert.deepEqual(tableColumns([{ a: 1 }, { b: 2, a: 3 }]), ["a", "b"]);
  assert.deepEqual(tableColumns([{ a: 1 }], ["z"]), ["z"]);
});

Deno.test("text table right-aligns numeric columns; missing cells are blank", () => {
  const text = textTable([{ m: "unet", mre: 12.5 }, { m: "hm", mre: 3 }, { m: "x" }]);
  assert.equal(text, "m        mre\n----  ------\nunet  12.500\nhm         3\nx");
});

Deno.test("markdown table escapes pipes", () => {
  assert.equal(markdownTable([{ a: "x|y" }]), "| a |\n| --- |\n| x\\|y |");
});

Deno.test("empty rows give a header-only table", () => {
  assert.equal(markdownTable([], { columns: ["a"] }), "| a |\n| --- |");
});
