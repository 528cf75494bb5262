/**
 * The start signal of the side-by-side benchmarks: a bench script builds its model, prints READY and
 * waits for a file that the harness creates once the reference script is ready too (see
 * bench/RESULTS.md, "Model training and sampling vs the reference PyTorch CDVAE").
 *
 * @module
 */

/** Resolves once `path` exists (polled every 50 ms). */
export async function waitFor(path: string): Promise<void> {
  for (;;) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
