/**
 * The OpenBLAS baseline of the matmul benchmarks: runs `bench/matmul_compare.py` with `$PYTHON`
 * (default `python3`) in the same process tree, so both sides see the same machine load.
 *
 * @module
 */

/** What matmul_compare.py reports: library versions and GFLOP/s per shape. */
export interface NumpyResult {
  blas: string;
  numpy: string;
  results: { shape: number[]; gflops: number }[];
}

/** Runs the numpy side-by-side; returns its results, or a sentence saying why there are none. */
export async function numpyMatmul(): Promise<NumpyResult | string> {
  try {
    const py = Deno.env.get("PYTHON") ?? "python3";
    const script = new URL("./matmul_compare.py", import.meta.url).pathname;
    const r = await new Deno.Command(py, { args: [script], stdout: "piped", stderr: "piped" }).output();
    if (!r.success) return `numpy run failed: ${new TextDecoder().decode(r.stderr).trim().split("\n").pop()}`;
    return JSON.parse(new TextDecoder().decode(r.stdout));
  } catch (e) {
    return `numpy not available: ${(e as Error).message}`;
  }
}
