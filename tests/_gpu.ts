/**
 * The one place GPU tests learn whether a WebGPU adapter exists. In CI one does (Mesa's llvmpipe),
 * so the tests run; `ignore` is true only on a machine with no adapter at all.
 *
 * ```ts ignore
 * Deno.test({ name: "matmul() on WebGPU", ignore, fn: async () => {} });
 * ```
 *
 * @module
 */

/** True when no WebGPU adapter can be requested (GPU tests are then skipped). */
export const ignore: boolean = await (async () => {
  try {
    return !("gpu" in navigator) || (await navigator.gpu.requestAdapter()) === null;
  } catch {
    return true;
  }
})();
