/**
 * Benchmarks of the wasm-SIMD backend (Rust kernels in wasm/kernels/) on one and on two threads: matmul GFLOP/s
 * at the model's shapes, with and without the fused bias + silu epilogue, and GB/s of segment sums,
 * gathers and an elementwise op. Inputs come from a fixed seed; setup is outside the timed
 * functions. The wasm backend runs synchronously, so a timed call is exactly the kernel work.
 *
 *   deno bench -A bench/wasm_kernels_bench.ts     # Deno.bench table
 *   deno run -A bench/wasm_kernels_bench.ts       # GFLOP/s and GB/s table, plus numpy/OpenBLAS
 *
 * The numpy side-by-side runs `bench/matmul_compare.py` with $PYTHON (default `python3`).
 *
 * @module
 */

import type { Backend } from "../src/compute/backend.ts";
import { gather, matmul, randUniform, scale, segmentSum } from "../src/compute/functional.ts";
import { Tensor } from "../src/compute/tensor.ts";
import { createWasmBackend, type WasmBackendHandle } from "../src/compute/wasm.ts";
import { numpyMatmul } from "./_numpy.ts";

const MATMUL_SHAPES: [number, number, number][] = [[20000, 128, 128], [20000, 256, 128]];
/** 20 000 atoms with 8 edges each, 128 channels: an encoder layer's message passing. */
const ATOMS = 20000, EDGES = 160000, CHANNELS = 128;

interface Case {
  name: string;
  group: string;
  /** Work per call, for the table: flops or bytes moved. */
  work: number;
  unit: "GFLOP/s" | "GB/s";
  run: () => void;
}

function cases(be: Backend): Case[] {
  const out: Case[] = [];
  for (const [m, k, n] of MATMUL_SHAPES) {
    const a = randUniform(be, [m, k], { seed: 1 }), b = randUniform(be, [k, n], { seed: 2 });
    const bias = randUniform(be, [n], { seed: 3 });
    const group = `matmul ${m}x${k}x${n}`, work = 2 * m * k * n;
    out.push({
      name: `matmul [${m}×${k}]·[${k}×${n}]`,
      group,
      work,
      unit: "GFLOP/s",
      run: () => matmul(a, b).dispose(),
    }, {
      name: `matmul [${m}×${k}]·[${k}×${n}] + bias, silu (fused)`,
      group,
      work,
      unit: "GFLOP/s",
      run: () => matmul(a, b, { bias, act: "silu" }).dispose(),
    });
  }
  const x = randUniform(be, [ATOMS, CHANNELS], { seed: 4 });
  const msg = randUniform(be, [EDGES, CHANNELS], { seed: 5 });
  const idx = Tensor.from(be, Uint32Array.from({ length: EDGES }, (_, e) => (e * 7919) % ATOMS));
  const rowptr = Tensor.from(be, Uint32Array.from({ length: ATOMS + 1 }, (_, i) => i * (EDGES / ATOMS)));
  out.push({
    name: `segmentSum [${EDGES}×${CHANNELS}] → [${ATOMS}×${CHANNELS}]`,
    group: "memory-bound",
    work: 4 * (EDGES * CHANNELS + ATOMS * CHANNELS),
    unit: "GB/s",
    run: () => segmentSum(msg, rowptr).dispose(),
  }, {
    name: `gather [${ATOMS}×${CHANNELS}] → [${EDGES}×${CHANNELS}]`,
    group: "memory-bound",
    work: 4 * (2 * EDGES * CHANNELS + EDGES),
    unit: "GB/s",
    run: () => gather(x, idx).dispose(),
  }, {
    name: `scale [${EDGES}×${CHANNELS}]`,
    group: "memory-bound",
    work: 4 * 2 * EDGES * CHANNELS,
    unit: "GB/s",
    run: () => scale(msg, 2, 1).dispose(),
  });
  return out;
}

/** Median seconds per call: 3 warm-ups, then calls for about 1 s (at least 5). */
function time(c: Case): number {
  for (let i = 0; i < 3; i++) c.run();
  const ts: number[] = [];
  const start = performance.now();
  while (performance.now() - start < 1000 || ts.length < 5) {
    const t = performance.now();
    c.run();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)] / 1000;
}

const backends: WasmBackendHandle[] = [
  await createWasmBackend({ threads: 1 }),
  await createWasmBackend({ threads: 2 }),
];
if (import.meta.main) {
  const [one, two] = backends;
  console.log(`backends: ${one.description}; ${two.description}`);
  console.log(
    `| benchmark (wasm backend) | 1 thread: median | 1 thread: rate | ${two.threads} threads: median | rate |`,
  );
  console.log("| --- | --- | --- | --- | --- |");
  const rates = new Map<string, number>();
  const [c1, c2] = [cases(one), cases(two)];
  c1.forEach((c, i) => {
    const [s1, s2] = [time(c), time(c2[i])];
    rates.set(c.name, c.work / s2 / 1e9);
    const r = (s: number) => `${(c.work / s / 1e9).toFixed(2)} ${c.unit}`;
    console.log(
      `| ${c.name} | ${(s1 * 1000).toFixed(2)} ms | ${r(s1)} | ${(s2 * 1000).toFixed(2)} ms | ${r(s2)} |`,
    );
  });
  const np = await numpyMatmul();
  if (typeof np === "string") console.log(np);
  else {
    for (const r of np.results) {
      const [m, k, n] = r.shape;
      const ours = rates.get(`matmul [${m}×${k}]·[${k}×${n}]`) ?? NaN;
      console.log(
        `| numpy ${np.numpy} (${np.blas}) sgemm [${m}×${k}]·[${k}×${n}] | | ${
          r.gflops.toFixed(1)
        } GFLOP/s | | ` +
          `(wasm, ${two.threads} threads: ${(100 * ours / r.gflops).toFixed(0)} %) |`,
      );
    }
  }
} else {
  for (const be of backends) {
    for (const c of cases(be)) {
      Deno.bench({ name: `${c.name} (${be.threads} thr.)`, group: c.group, n: 5, warmup: 2, fn: c.run });
    }
  }
}
