/**
 * Timing helpers shared by the compute benchmarks and the GPU check: the median of repeated timed
 * calls, and the model's heaviest op (matmul + bias + silu) recorded several times per call so that
 * one submit-and-wait (~10 ms on llvmpipe) is amortised.
 *
 * @module
 */

import type { Backend } from "../src/compute/backend.ts";
import { matmul, randUniform } from "../src/compute/functional.ts";

/** How long {@linkcode medianSeconds} keeps timing, at least. */
export interface TimingBudget {
  /** Untimed calls first (shader compilation, buffer pools). Default 3. */
  warmup?: number;
  /** Keep timing until this many ms have passed… Default 1 500. */
  minMs?: number;
  /** …and at least this many calls were timed. Default 5. */
  minRuns?: number;
}

/**
 * Median wall time of `run`, in seconds, after untimed warm-up calls.
 *
 * @param run One call of the work; resolves when the work is done (waited on)
 * @param budget Warm-up calls and how long to keep timing
 * @returns The median seconds per call
 */
export async function medianSeconds(run: () => Promise<void>, budget: TimingBudget = {}): Promise<number> {
  const { warmup = 3, minMs = 1500, minRuns = 5 } = budget;
  for (let i = 0; i < warmup; i++) await run();
  const ts: number[] = [];
  const start = performance.now();
  while (performance.now() - start < minMs || ts.length < minRuns) {
    const t = performance.now();
    await run();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)] / 1000;
}

/** A matmul shape `[m, k, n]`: `[m×k]·[k×n]`. */
export type MatmulShape = [number, number, number];

/**
 * `reps` × `[m×k]·[k×n]` + bias with the fused silu, on inputs made once from fixed seeds: returns
 * the timed call, its flop count, and `dispose` to free the inputs.
 *
 * @param be The backend to run on
 * @param shape `[m, k, n]`
 * @param reps Matmuls per call, all recorded before one wait
 * @returns The call, the flops it does, and the inputs' release
 */
export function matmulRun(be: Backend, shape: MatmulShape, reps: number): {
  run: () => Promise<void>;
  flops: number;
  dispose: () => void;
} {
  const [m, k, n] = shape;
  const a = randUniform(be, [m, k], { seed: 1 }), b = randUniform(be, [k, n], { seed: 2 });
  const bias = randUniform(be, [n], { seed: 3 });
  return {
    flops: reps * 2 * m * k * n,
    run: async () => {
      for (let i = 0; i < reps; i++) matmul(a, b, { bias, act: "silu" }).dispose();
      await be.sync();
    },
    dispose: () => {
      for (const t of [a, b, bias]) t.dispose();
    },
  };
}
