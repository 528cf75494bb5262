/**
 * Compute runtime benchmarks on the WebGPU backend: matmul GFLOP/s at the model's shapes, GB/s of
 * segment sums and gathers, and dispatch overhead. Inputs come from a fixed seed; setup is outside
 * the timed functions; each timed call records its dispatches into one encoder and waits for them.
 *
 *   deno bench -A bench/compute_bench.ts        # Deno.bench table
 *   deno run -A bench/compute_bench.ts          # GFLOP/s and GB/s table, plus numpy/OpenBLAS
 *
 * The numpy side-by-side runs `bench/matmul_compare.py` with $PYTHON (default `python3`).
 *
 * @module
 */

import { type Backend, getBackend } from "../src/compute/backend.ts";
import { fill, gather, randUniform, segmentSum } from "../src/compute/functional.ts";
import { Tensor } from "../src/compute/tensor.ts";
import { numpyMatmul } from "./_numpy.ts";
import { matmulRun, type MatmulShape, medianSeconds } from "./_timing.ts";

const MATMUL_SHAPES: MatmulShape[] = [[20000, 128, 128], [20000, 256, 128]];
/** 20 000 atoms with 8 edges each, 128 channels: an encoder layer's message passing. */
const ATOMS = 20000, EDGES = 160000, CHANNELS = 128;
/** Heavy ops per timed call, recorded into one encoder (amortises the ~10 ms submit-and-wait). */
const REPS = 4;
/** Dispatches per timed call in the overhead benchmark. */
const TINY_DISPATCHES = 100;

const be: Backend | undefined = await getBackend({ prefer: "webgpu" }).catch(() => undefined);

interface Case {
  name: string;
  group: string;
  /** Work per call, for the table: flops or bytes moved. */
  work: number;
  unit: "GFLOP/s" | "GB/s" | "µs/dispatch";
  run: () => Promise<void>;
}

function cases(be: Backend): Case[] {
  const out: Case[] = [];
  for (const [m, k, n] of MATMUL_SHAPES) {
    const { run, flops } = matmulRun(be, [m, k, n], REPS);
    out.push({
      name: `${REPS}× matmul [${m}×${k}]·[${k}×${n}] + bias, silu`,
      group: `matmul ${m}x${k}x${n}`,
      work: flops,
      unit: "GFLOP/s",
      run,
    });
  }
  const x = randUniform(be, [ATOMS, CHANNELS], { seed: 4 });
  const msg = randUniform(be, [EDGES, CHANNELS], { seed: 5 });
  const idx = Tensor.from(be, Uint32Array.from({ length: EDGES }, (_, e) => (e * 7919) % ATOMS));
  const rowptr = Tensor.from(be, Uint32Array.from({ length: ATOMS + 1 }, (_, i) => i * (EDGES / ATOMS)));
  const bytes = 4 * (EDGES * CHANNELS + ATOMS * CHANNELS);
  out.push({
    name: `${REPS}× segmentSum [${EDGES}×${CHANNELS}] → [${ATOMS}×${CHANNELS}]`,
    group: "segments and gathers",
    work: REPS * bytes,
    unit: "GB/s",
    run: async () => {
      for (let i = 0; i < REPS; i++) segmentSum(msg, rowptr).dispose();
      await be.sync();
    },
  }, {
    name: `${REPS}× gather [${ATOMS}×${CHANNELS}] → [${EDGES}×${CHANNELS}]`,
    group: "segments and gathers",
    work: REPS * 4 * (2 * EDGES * CHANNELS + EDGES),
    unit: "GB/s",
    run: async () => {
      for (let i = 0; i < REPS; i++) gather(x, idx).dispose();
      await be.sync();
    },
  }, {
    name: `${TINY_DISPATCHES} one-element dispatches, one submit`,
    group: "dispatch overhead",
    work: TINY_DISPATCHES,
    unit: "µs/dispatch",
    run: async () => {
      for (let i = 0; i < TINY_DISPATCHES; i++) fill(be, [1], i).dispose();
      await be.sync();
    },
  }, {
    name: "one dispatch + submit + wait",
    group: "dispatch overhead",
    work: 1,
    unit: "µs/dispatch",
    run: async () => {
      fill(be, [1], 0).dispose();
      await be.sync();
    },
  });
  return out;
}

if (import.meta.main) {
  if (!be) throw new Error("No WebGPU adapter: these benchmarks need one (see src/compute/webgpu.ts)");
  console.log(`adapter: ${(be as Backend & { adapterName?: string }).adapterName}`);
  console.log("| benchmark | median time | rate |\n| --- | --- | --- |");
  for (const c of cases(be)) {
    const s = await medianSeconds(c.run);
    const rate = c.unit === "µs/dispatch" ? (s * 1e6) / c.work : c.work / s / 1e9;
    console.log(
      `| ${c.name} | ${(s * 1000).toFixed(2)} ms | ${
        rate.toFixed(c.unit === "µs/dispatch" ? 1 : 2)
      } ${c.unit} |`,
    );
  }
  const np = await numpyMatmul();
  if (typeof np === "string") console.log(np);
  else {
    for (const r of np.results) {
      const [m, k, n] = r.shape;
      console.log(
        `| numpy ${np.numpy} (${np.blas}) sgemm [${m}×${k}]·[${k}×${n}] | | ${r.gflops.toFixed(1)} GFLOP/s |`,
      );
    }
  }
} else if (be) {
  // Few iterations: one call takes seconds on llvmpipe.
  for (const c of cases(be)) Deno.bench({ name: c.name, group: c.group, n: 3, warmup: 1, fn: c.run });
}
