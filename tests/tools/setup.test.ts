import assert from "node:assert/strict";
import { join } from "node:path";
import { hasUsableDenoKernel, missingDebianPackages, packagesFor } from "../../tools/setup.ts";

Deno.test("packagesFor: the demo needs oneDNN, the tests also Jupyter, the bench also PyTorch", () => {
  const runtime = ["libdnnl2"];
  assert.deepEqual(packagesFor("demo"), runtime);
  assert.deepEqual(packagesFor("all"), [
    ...runtime,
    "jupyter-nbconvert",
    "jupyter-client",
    "python3-nbclient",
  ]);
  assert.deepEqual(packagesFor("bench"), [...runtime, "python3-torch", "libjemalloc2"]);
});

Deno.test("missingDebianPackages: dpkg itself is installed, a made-up name is not", async () => {
  assert.deepEqual(await missingDebianPackages(["dpkg", "no-such-package-biometry"]), [
    "no-such-package-biometry",
  ]);
  assert.deepEqual(await missingDebianPackages([]), []);
});

Deno.test("hasUsableDenoKernel: the first deno kernelspec on JUPYTER_PATH decides, and its deno must exist", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("JUPYTER_PATH");
  try {
    Deno.env.set("JUPYTER_PATH", dir);
    const spec = join(dir, "kernels", "deno", "kernel.json");
    await Deno.mkdir(join(dir, "kernels", "deno"), { recursive: true });
    const write = (argv0: string) =>
      Deno.writeTextFile(spec, JSON.stringify({ argv: [argv0, "jupyter", "--kernel"] }));
    await write(Deno.execPath());
    assert.equal(hasUsableDenoKernel(), true);
    await write(join(dir, "moved-npx-cache", "deno")); // e.g. an npx cache that was cleared
    assert.equal(hasUsableDenoKernel(), false);
    await Deno.writeTextFile(spec, "not json");
    assert.equal(hasUsableDenoKernel(), false);
  } finally {
    if (saved === undefined) Deno.env.delete("JUPYTER_PATH");
    else Deno.env.set("JUPYTER_PATH", saved);
    await Deno.remove(dir, { recursive: true });
  }
});
