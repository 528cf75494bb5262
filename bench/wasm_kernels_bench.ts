/**
 * Benchmarks of the wasm-SIMD backend (Rust kernels in wasm/kernels/) on one and on two threads: matmul GFLOP/s
 * at the model's shapes, with and without the fused bias + silu epilogue, of a weight gradient (xᵀ·g) and of a
 * product with few rows; GB/s of segment sums, gathers and an elementwise op. Inputs come from a fixed seed;
 * setup is outside the timed functions. The wasm backend runs synchronously, so a timed call is exactly the
 * kernel work.
 *
 *   deno bench -A bench/wasm_kernels_bench.ts     # Deno.bench table
 *   deno run -A bench/wasm_kernels_bench.ts       # GFLOP/s and GB/s table, plus numpy/OpenBLAS
 *   deno run -A bench/wasm_kernels_bench.ts --against ../other-checkout [--rounds 5] [--threads 1|2]
 *       # A/B: the same cases on this checkout's backend and on another checkout's (its src/compute/
 *       # and wasm/kernels/pkg/), interleaved in one process for `rounds` rounds so that both see the
 *       # same machine load; medians over the rounds (each a median of calls for 0.3 s)
 *
 * The numpy side-by-side runs `bench/matmul_compare.py` with $PYTHON (default `python3`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Backend } from "../src/compute/backend.ts";
import * as functional from "../src/compute/functional.ts";
import * as tensor from "../src/compute/tensor.ts";
import * as wasm from "../src/compute/wasm.ts";
import { numpyMatmul } from "./_numpy.ts";

/** The modules a case is built from: this checkout's, or another's (`--against`). */
interface Api {
  F: typeof functional;
  Tensor: typeof tensor.Tensor;
  createWasmBackend: typeof wasm.createWasmBackend;
}
const OURS: Api = { F: functional, Tensor: tensor.Tensor, createWasmBackend: wasm.createWasmBackend };

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

function cases(be: Backend, { F, Tensor }: Api = OURS): Case[] {
  const { gather, matmul, randUniform, scale, segmentSum } = F;
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
  {
    // The weight gradient of a [20000×128]·[128×128] layer: xᵀ·g, a long k and a small output.
    const [m, k, n] = MATMUL_SHAPES[0];
    const x = randUniform(be, [m, k], { seed: 6 }), g = randUniform(be, [m, n], { seed: 7 });
    out.push({
      name: `matmul xᵀ·g [${m}×${k}]ᵀ·[${m}×${n}] (weight gradient)`,
      group: `matmul ${m}x${k}x${n}`,
      work: 2 * m * k * n,
      unit: "GFLOP/s",
      run: () => matmul(x, g, { transA: true }).dispose(),
    });
  }
  {
    // Few rows (a batch of 32 crystals through a wide layer): the threads share column panels.
    const [m, k, n] = [32, 256, 512];
    const a = randUniform(be, [m, k], { seed: 8 }), b = randUniform(be, [k, n], { seed: 9 });
    out.push({
      name: `matmul [${m}×${k}]·[${k}×${n}] (few rows)`,
      group: "matmul few rows",
      work: 2 * m * k * n,
      unit: "GFLOP/s",
      run: () => matmul(a, b).dispose(),
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

/** Median seconds per call: 3 warm-ups, then calls for about `ms` (at least 5). */
function time(c: Case, ms = 1000): number {
  for (let i = 0; i < 3; i++) c.run();
  const ts: number[] = [];
  const start = performance.now();
  while (performance.now() - start < ms || ts.length < 5) {
    const t = performance.now();
    c.run();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)] / 1000;
}

/** Prints the numpy/OpenBLAS rows beside our matmul rates (GFLOP/s by case name). */
async function numpyRows(rates: Map<string, number>, what: string): Promise<void> {
  const np = await numpyMatmul();
  if (typeof np === "string") return console.log(np);
  for (const r of np.results) {
    const [m, k, n] = r.shape;
    const ours = rates.get(`matmul [${m}×${k}]·[${k}×${n}]`) ?? NaN;
    console.log(
      `| numpy ${np.numpy} (${np.blas}) sgemm [${m}×${k}]·[${k}×${n}] | | ${
        r.gflops.toFixed(1)
      } GFLOP/s | | ` +
        `(${what}: ${(100 * ours / r.gflops).toFixed(0)} %) |`,
    );
  }
}

/** Loads another checkout's compute modules (for `--against`). */
async function loadApi(dir: string): Promise<Api> {
  const base = pathToFileURL(resolve(dir) + "/");
  const at = (p: string) => new URL(p, base).href;
  const [F, T, W] = await Promise.all([
    import(at("src/compute/functional.ts")),
    import(at("src/compute/tensor.ts")),
    import(at("src/compute/wasm.ts")),
  ]);
  return { F, Tensor: T.Tensor, createWasmBackend: W.createWasmBackend };
}

/** `--against`: this checkout's cases and another's, interleaved (alternating who goes first). */
async function compare(dir: string, rounds: number, threads: 1 | 2): Promise<void> {
  const other = await loadApi(dir);
  const [ours, theirs] = [
    cases(backends[threads - 1]),
    cases(await other.createWasmBackend({ threads }), other),
  ];
  const rates = ours.map(() => [[], []] as number[][]);
  for (let r = 0; r < rounds; r++) {
    ours.forEach((c, i) => {
      const pair = r % 2 ? [theirs[i], c] : [c, theirs[i]];
      const [x, y] = pair.map((p) => p.work / time(p, 300) / 1e9);
      rates[i][0].push(r % 2 ? y : x);
      rates[i][1].push(r % 2 ? x : y);
    });
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`${threads} thread(s), ${rounds} rounds; other checkout: ${resolve(dir)}`);
  console.log("| benchmark (wasm backend) | other: rate | this: rate | this / other |");
  console.log("| --- | --- | --- | --- |");
  const mine = new Map<string, number>();
  ours.forEach((c, i) => {
    const [a, b] = [median(rates[i][1]), median(rates[i][0])];
    mine.set(c.name, b);
    console.log(
      `| ${c.name} | ${a.toFixed(2)} ${c.unit} | ${b.toFixed(2)} ${c.unit} | ${(b / a).toFixed(2)} |`,
    );
  });
  await numpyRows(mine, `this checkout, ${threads} thread(s)`);
}

const backends: wasm.WasmBackendHandle[] = [
  await wasm.createWasmBackend({ threads: 1 }),
  await wasm.createWasmBackend({ threads: 2 }),
];
if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { against: { type: "string" }, rounds: { type: "string" }, threads: { type: "string" } },
  });
  if (values.against) {
    await compare(values.against, Number(values.rounds ?? 5), values.threads === "1" ? 1 : 2);
  } else {
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
    await numpyRows(rates, `wasm, ${two.threads} threads`);
  }
} else {
  for (const be of backends) {
    for (const c of cases(be)) {
      Deno.bench({ name: `${c.name} (${be.threads} thr.)`, group: c.group, n: 5, warmup: 2, fn: c.run });
    }
  }
}
