/**
 * Temp folders that tests remove after themselves. A training fixture writes checkpoints of tens
 * of MB (weights and optimizer state, best and last), so folders left behind add up to gigabytes
 * over a run; tools/test.ts also removes the run's whole TMPDIR afterwards, for the test that
 * fails halfway.
 */

/** A fresh temp folder, removed with its contents when the `await using` scope ends. */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/**
 * Removes `paths` (with their contents) after the last test of the file that calls this, for
 * fixtures its tests share. Call it at the file's top level, where Deno registers test hooks.
 */
export function removeAfterAll(...paths: string[]): void {
  Deno.test.afterAll(async () => {
    await Promise.all(paths.map((p) => Deno.remove(p, { recursive: true })));
  });
}
